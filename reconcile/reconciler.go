package reconcile

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

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
	// where the addon's private REDIS_URL is reachable.
	InsideRailway bool
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
	return nil
}

// Reconciler converges one spec. Its methods are safe for concurrent use:
// Pass (the reconcile schedule) and Round (the probe schedule) run side by
// side; a rollback decided by a round preempts a pass in flight.
type Reconciler struct {
	opts Options
	log  *zap.Logger

	// spec is swapped whole by SetSpec, never under mu, so a reload never
	// waits behind a pass's writes.
	spec atomic.Pointer[spec.Spec]
	// view is what a probe round needs to start, published under mu at
	// every state save, so that a round never waits for a pass to probe
	// (and to decide whether to preempt it).
	view atomic.Pointer[roundView]

	// mu guards everything below and serialises every Railway write.
	mu       sync.Mutex
	st       *state.State
	obs      obsState
	lastObs  *Observed
	lastPlan *Plan
	url      urlCache
	reqBase  int64

	// writes counts Railway writes; a pass whose observation predates a
	// write re-observes rather than act on what it no longer describes.
	writes uint64

	// cmu guards cancelAct (the cancel of the pass currently acting) and
	// preempting (rounds waiting for the lock to write).
	cmu        sync.Mutex
	cancelAct  context.CancelFunc
	preempting int

	// roundsWaiting counts rounds waiting for mu (tests observe it).
	roundsWaiting atomic.Int32
}

// New returns a reconciler; it makes no call.
func New(opts Options) (*Reconciler, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	st := opts.State
	if st == nil {
		st = state.New(opts.Spec.Name, opts.Now())
	}
	r := &Reconciler{opts: opts, log: opts.Logger.Named("reconcile"), st: st}
	r.spec.Store(opts.Spec)
	r.publish()
	if opts.Requests != nil {
		r.reqBase, _ = opts.Requests()
		r.reqBase -= st.Observed.Requests
	}
	return r, nil
}

// SetSpec replaces the spec from the next pass or round on (live reload).
func (r *Reconciler) SetSpec(sp *spec.Spec) { r.spec.Store(sp) }

// Spec returns the spec in use.
func (r *Reconciler) Spec() *spec.Spec { return r.spec.Load() }

// State returns a copy of the current state.
func (r *Reconciler) State() *state.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st.Clone()
}

func (r *Reconciler) now() time.Time { return r.opts.Now() }

// lockPreempting takes the lock, first cancelling the act step of a pass in
// flight so that a rollback never waits behind retries of other writes.
func (r *Reconciler) lockPreempting() {
	r.cmu.Lock()
	r.preempting++
	if r.cancelAct != nil {
		r.cancelAct()
	}
	r.cmu.Unlock()
	r.roundsWaiting.Add(1) // after the cancel: a test that sees it can rely on it
	r.mu.Lock()
	r.roundsWaiting.Add(-1)
	r.cmu.Lock()
	r.preempting--
	r.cmu.Unlock()
}

// preemptible derives the context of an act step that lockPreempting may
// cancel; call the returned func when the step ends.
func (r *Reconciler) preemptible(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	r.cmu.Lock()
	r.cancelAct = cancel
	if r.preempting > 0 {
		cancel() // a round is already waiting to write
	}
	r.cmu.Unlock()
	return ctx, func() {
		r.cmu.Lock()
		r.cancelAct = nil
		r.cmu.Unlock()
		cancel()
	}
}

// record adds events to the state, logs them and calls the hook.
func (r *Reconciler) record(evs ...state.Event) {
	for _, e := range evs {
		// Messages are built from masked values; this is the last guard
		// against a URL quoted whole (from an app's answer, from Railway).
		e.Message = spec.RedactURLsIn(e.Message)
		r.st.AddEvent(e)
		r.logEvent(e)
		if r.opts.Hooks.Event != nil {
			r.opts.Hooks.Event(e)
		}
	}
}

func (r *Reconciler) logEvent(e state.Event) {
	fields := []zap.Field{zap.String("event", e.Type), zap.String("reason", e.Message)}
	switch e.Type {
	case EventDegraded, EventRolledBack, EventHeld, EventRecoveryInterrupted, EventDeployFailed,
		EventAddonCreateFailed, EventAddonMissing, EventObservationFailed:
		r.log.Warn("reconciler event", fields...)
	default:
		r.log.Info("reconciler event", fields...)
	}
}

// persist publishes the round view and saves the state when there is a
// store. The caller holds mu.
func (r *Reconciler) persist() error {
	r.publish()
	if r.opts.Store == nil {
		return nil
	}
	if r.opts.Requests != nil {
		total, remaining := r.opts.Requests()
		r.st.Observed.Requests = total - r.reqBase
		r.st.Observed.RateLimitRemaining = remaining
	}
	r.st.SpecHash = r.spec.Load().Hash
	return r.opts.Store.Save(r.st)
}

// roundView is the part of the reconciler's state a probe round reads
// before it takes the lock.
type roundView struct {
	health state.Health
	// owed: writes of a rollback or roll forward are still owed.
	owed bool
	// skipExpect: the endpoints' expect checks do not count now. They count
	// only while the consumers are bound and no deploy the operator started
	// is rolling out: before binding, while rolled back, and while the
	// previous deployment still serves, the apps rightly report Redis as
	// disabled, and that must not read as a Redis failure.
	skipExpect bool
	// known: the last Railway observation succeeded.
	known bool
	// url is the cached rendered Redis URL (a secret; memory only).
	url spec.Secret
}

// publish makes the current state visible to rounds. The caller holds mu.
func (r *Reconciler) publish() {
	st := r.st
	h := st.Health
	h.Rollbacks = slices.Clone(h.Rollbacks)
	r.view.Store(&roundView{
		health:     h,
		owed:       len(st.Owed) > 0,
		skipExpect: h.Mode != state.Bound || len(st.Deploys) > 0 || len(st.Owed) > 0,
		known:      r.obs == obsOK,
		url:        r.url.url,
	})
}

// roundConfig is the probe configuration of a round under view v.
func roundConfig(sp *spec.Spec, v *roundView) probes.RoundConfig {
	url := sp.Health.Redis.URL
	if url.IsZero() {
		url = v.url
	}
	return probes.RoundConfig{Name: sp.Name, Health: sp.Health, RedisURL: url, SkipExpect: v.skipExpect}
}
