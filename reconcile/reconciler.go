package reconcile

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/addon"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// saveTimeout bounds one state save (a shared store may hang).
const saveTimeout = 10 * time.Second

// Options configure a Reconciler.
type Options struct {
	Spec    *spec.Spec
	Railway Railway
	Prober  Prober
	// Logs checks log expectations; nil skips them.
	Logs LogChecker
	// Store persists the state; nil writes nothing (plan, dry runs).
	Store Store
	// State is the loaded state; nil starts fresh.
	State  *state.State
	Logger *zap.Logger
	// Now is the clock; typically replaced in tests. Default time.Now.
	Now   func() time.Time
	Hooks Hooks
	// InsideRailway says the reconciler runs in the project's own network,
	// where the addon's private URL is reachable.
	InsideRailway bool
	// Addon is the kind of addon managed; default addon.Redis.
	Addon addon.Kind
	// Siblings, when set, returns the addon service names the other units
	// of this controller manage in the same project and environment. While
	// a creation is in flight, a new service is this unit's only when it
	// carries the spec's name, or is the only new addon service and no
	// sibling exists: a service a sibling created meanwhile is never taken
	// for this unit's.
	Siblings func() []string
	// Requests reports the Railway request counter and the last
	// X-RateLimit-Remaining (-1 unknown), recorded in the state; optional.
	Requests func() (total int64, remaining int)
}

func (o *Options) validate() error {
	switch {
	case o.Spec == nil:
		return errors.New("reconcile: no spec")
	case o.Railway == nil:
		return errors.New("reconcile: no railway client")
	case o.Prober == nil:
		return errors.New("reconcile: no prober")
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Addon.Name == "" {
		o.Addon = addon.Redis
	}
	return nil
}

// Reconciler converges one unit: one spec in one environment. It is a
// stateless sync around one owner goroutine (see owner.go): callers read
// Railway and probe from a published published, and the owner alone applies
// what they found to the state and writes to Railway. Its methods are safe
// for concurrent use. Close it when done.
type Reconciler struct {
	opts Options
	log  *zap.Logger

	// spec is swapped whole by SetSpec.
	spec atomic.Pointer[spec.Spec]
	// snap is the owner's published view, replaced at every change.
	snap atomic.Pointer[published]

	urgent, normal chan *job
	stopping       chan struct{} // closed by Close
	stopped        chan struct{} // closed when the owner has returned
	closeOnce      sync.Once

	o owned // only the owner goroutine touches it
}

// owned is the state the owner goroutine keeps.
type owned struct {
	st       *state.State
	obs      obsState
	lastObs  *Observed
	lastPlan *Plan
	url      urlCache
	reqBase  int64
	// railErr is the error of the last pass, or of the last write a round
	// or a command carried out, whichever came last: what Ready reports
	// until the next of them.
	railErr error
	// writes counts Railway writes; a pass whose observation predates a
	// write observes again rather than act on what it no longer describes.
	writes uint64
	// fenced is set once a save was refused because the lease is lost:
	// from then on nothing is written, to Railway or to the store.
	fenced error
	// deferred holds urgent jobs that write, waiting for the job in
	// progress to end.
	deferred []*job
}

// published is what callers read without the owner (a snapshot): published at every
// change, never modified.
type published struct {
	state *state.State
	// owed: writes of a rollback or roll forward are still owed.
	owed bool
	// skipExpect: the endpoints' expect checks do not count now. They count
	// only while the consumers are bound and no deploy the operator started
	// is rolling out: before binding, while rolled back, and while the
	// previous deployment still serves, the apps rightly report Redis as
	// disabled, and that must not read as a Redis failure.
	skipExpect bool
	// known: the last Railway observation succeeded; failing: it failed.
	known, failing bool
	url            urlCache
	observe        observeInput
	writes         uint64
}

// New returns a reconciler and starts its owner goroutine; it makes no
// call. Close releases it.
func New(opts Options) (*Reconciler, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	st := opts.State
	if st == nil {
		st = state.New(opts.Spec.Name, opts.Now())
	}
	r := &Reconciler{opts: opts, log: opts.Logger.Named("reconcile"),
		urgent: make(chan *job), normal: make(chan *job), stopping: make(chan struct{}), stopped: make(chan struct{})}
	r.o.st = st
	r.spec.Store(opts.Spec)
	if opts.Requests != nil {
		r.o.reqBase, _ = opts.Requests()
		r.o.reqBase -= st.Observed.Requests
	}
	r.publish()
	go r.loop()
	return r, nil
}

// Close stops the owner after the job in progress; later calls return
// ErrClosed (or a Result carrying it). It waits for the owner to return.
func (r *Reconciler) Close() {
	r.closeOnce.Do(func() { close(r.stopping) })
	<-r.stopped
}

// SetSpec replaces the spec from the next pass or round on (live reload).
func (r *Reconciler) SetSpec(sp *spec.Spec) { r.spec.Store(sp) }

// Spec returns the spec in use.
func (r *Reconciler) Spec() *spec.Spec { return r.spec.Load() }

// State returns a copy of the state as last published.
func (r *Reconciler) State() *state.State { return r.snap.Load().state.Clone() }

// Status returns the current status document; it never waits for the
// owner.
func (r *Reconciler) Status() Status { return StatusOf(r.snap.Load().state) }

func (r *Reconciler) now() time.Time { return r.opts.Now() }

// record adds events to the state, logs them and calls the hook.
func (r *Reconciler) record(evs ...state.Event) {
	for _, e := range evs {
		// Messages are built from masked values; this is the last guard
		// against a URL quoted whole (from an app's answer, from Railway).
		e.Message = spec.RedactURLsIn(e.Message)
		r.o.st.AddEvent(e)
		r.logEvent(e)
		if r.opts.Hooks.Event != nil {
			r.opts.Hooks.Event(e)
		}
	}
}

func (r *Reconciler) logEvent(e state.Event) {
	fields := []zap.Field{zap.String("event", e.Type), zap.String("reason", e.Message)}
	if state.WarnEvent(e.Type) {
		r.log.Warn("reconciler event", fields...)
	} else {
		r.log.Info("reconciler event", fields...)
	}
}

// persist publishes the published and saves the state when there is a
// store. A save refused for a lost lease fences the reconciler: nothing
// is written after it.
func (r *Reconciler) persist() error {
	if r.o.fenced != nil {
		return r.o.fenced
	}
	if r.opts.Store != nil && r.opts.Requests != nil {
		total, remaining := r.opts.Requests()
		r.o.st.Observed.Requests = total - r.o.reqBase
		r.o.st.Observed.RateLimitRemaining = remaining
	}
	r.o.st.SpecHash = r.spec.Load().Hash
	r.publish()
	if r.opts.Store == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
	defer cancel()
	err := r.opts.Store.Save(ctx, r.o.st)
	if errors.Is(err, state.ErrFenced) {
		r.o.fenced = err
		r.log.Error("the lease on this unit is lost: acting stops here", zap.Error(err))
	}
	return err
}

// publish makes the current state visible to callers.
func (r *Reconciler) publish() {
	st := r.o.st
	h := st.Health
	r.snap.Store(&published{
		state:      st.Clone(),
		owed:       len(st.Owed) > 0,
		skipExpect: h.Mode != state.Bound || len(st.Deploys) > 0 || len(st.Owed) > 0,
		known:      r.o.obs == obsOK,
		failing:    r.o.obs == obsFailed,
		url:        r.o.url,
		observe:    observeInputOf(st),
		writes:     r.o.writes,
	})
}

// roundConfig is the probe configuration of a round under published v.
func roundConfig(sp *spec.Spec, v *published) probes.RoundConfig {
	cfg := probes.RoundConfig{Name: sp.Name, Health: sp.Health, RedisURL: sp.Health.Redis.URL, SkipExpect: v.skipExpect}
	if cfg.RedisURL.IsZero() {
		cfg.RedisURL, cfg.RedisURLUnknown = v.url.url, v.url.why
	}
	return cfg
}
