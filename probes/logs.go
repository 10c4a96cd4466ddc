package probes

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
)

// Log probe defaults.
const (
	// DefaultLogMinInterval is the least time between two log reads for one
	// pending expectation: the Railway budget is small.
	DefaultLogMinInterval = 30 * time.Second
	// DefaultLogLimit is how many lines one read asks for.
	DefaultLogLimit = 200
)

// LogSource reads a deployment's runtime logs (the railway client's
// deploymentLogs). filter uses Railway's query language.
type LogSource interface {
	DeploymentLogs(ctx context.Context, deploymentID string, limit int, filter string) ([]railway.Log, error)
}

var _ LogSource = (*railway.Client)(nil)

// LogOptions configures a LogProbe.
type LogOptions struct {
	Source LogSource
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MinInterval is the least time between two reads for one pending
	// expectation; DefaultLogMinInterval when 0.
	MinInterval time.Duration
	// Limit is the number of lines per read; DefaultLogLimit when 0.
	Limit  int
	Logger *zap.Logger
}

// LogProbe checks that a consumer logged an expected line after its latest
// successful deployment. It remembers the outcome per deployment, so a met or
// failed expectation costs no more API calls, and reads at most once per
// MinInterval while pending. It is safe for concurrent use.
type LogProbe struct {
	opts LogOptions
	log  *zap.Logger

	mu    sync.Mutex
	state map[string]*logState // by service + "\x00" + contains
}

// logState is what the probe knows about one expectation on one deployment.
type logState struct {
	deployment string
	lastRead   time.Time
	last       Check
	final      bool
}

// NewLogProbe returns a probe reading from opts.Source.
func NewLogProbe(opts LogOptions) *LogProbe {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MinInterval <= 0 {
		opts.MinInterval = DefaultLogMinInterval
	}
	if opts.Limit <= 0 {
		opts.Limit = DefaultLogLimit
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return &LogProbe{opts: opts, log: log.Named("probe.logs"), state: map[string]*logState{}}
}

// Check reports whether exp is met for dep, the consumer's latest SUCCESS
// deployment. Its success time is dep.StatusUpdatedAt, else dep.CreatedAt.
// A line containing exp.Contains, stamped between dep.CreatedAt (apps often
// log the connection while still deploying) and success+within, meets it.
// Until success+within it is Pending; after that it fails (step logs, never
// a Redis problem). A read error leaves it Pending with the error in the
// message, and is retried after MinInterval.
func (p *LogProbe) Check(ctx context.Context, exp spec.LogExpectation, dep railway.Deployment) Check {
	c := Check{Name: "log/" + exp.Service, Kind: KindLog, Step: StepLogs}
	if dep.ID == "" {
		c.Pending, c.Message = true, "no successful deployment yet"
		return c
	}
	w := newWindow(exp, dep)
	now := p.opts.Now()
	if last, due := p.reserve(exp, dep.ID, now, w.end); !due {
		if last.Name == "" { // the first read is still in flight
			c.Pending, c.Message = true, "reading logs"
			return c
		}
		return last
	}
	c = p.read(ctx, c, exp, dep.ID, w, now)
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.state[stateKey(exp)]; s != nil && s.deployment == dep.ID {
		s.last, s.final = c, c.OK || c.Failed()
	}
	return c
}

// window is the time span in which the expected line counts.
type window struct {
	from, success, end time.Time
	within             time.Duration
}

func newWindow(exp spec.LogExpectation, dep railway.Deployment) window {
	w := window{from: dep.CreatedAt, success: dep.StatusUpdatedAt, within: exp.Within}
	if w.within <= 0 {
		w.within = spec.DefaultLogWithin
	}
	if w.success.IsZero() {
		w.success = dep.CreatedAt
	}
	w.end = w.success.Add(w.within)
	return w
}

// reserve returns the remembered outcome when no read is due, or records
// that a read starts now (so that concurrent callers do not read too). A
// read is due on the first call, MinInterval after the previous read, and
// once as soon as the window has closed, so that a failure is not reported
// later than needed.
func (p *LogProbe) reserve(exp spec.LogExpectation, depID string, now, end time.Time) (Check, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := stateKey(exp)
	s := p.state[key]
	if s == nil || s.deployment != depID { // a new deployment starts afresh
		s = &logState{deployment: depID}
		p.state[key] = s
	}
	due := s.lastRead.IsZero() || now.Sub(s.lastRead) >= p.opts.MinInterval ||
		(!now.Before(end) && s.lastRead.Before(end))
	if s.final || !due {
		return s.last, false
	}
	s.lastRead = now
	return Check{}, true
}

func (p *LogProbe) read(ctx context.Context, c Check, exp spec.LogExpectation, depID string, w window, now time.Time) Check {
	lines, err := p.opts.Source.DeploymentLogs(ctx, depID, p.opts.Limit, quoteFilter(exp.Contains))
	if err != nil {
		p.log.Debug("reading logs failed", zap.String("service", exp.Service), zap.Error(err))
		c.Pending, c.Message = true, "could not read logs: "+err.Error()
		return c
	}
	for _, l := range lines {
		if !strings.Contains(l.Message, exp.Contains) || !inWindow(l.Timestamp, w.from, w.end) {
			continue
		}
		c.OK, c.Step = true, ""
		switch {
		case l.Timestamp.IsZero():
			c.Message = fmt.Sprintf("%q logged", exp.Contains)
		case l.Timestamp.Before(w.success):
			c.Message = fmt.Sprintf("%q logged %s before deployment success", exp.Contains, formatDuration(w.success.Sub(l.Timestamp)))
		default:
			c.Message = fmt.Sprintf("%q logged %s after deployment success", exp.Contains, formatDuration(l.Timestamp.Sub(w.success)))
		}
		return c
	}
	if now.Before(w.end) {
		c.Pending = true
		c.Message = fmt.Sprintf("waiting for %q (until %s)", exp.Contains, w.end.UTC().Format(time.RFC3339))
		return c
	}
	c.Message = fmt.Sprintf("%q not logged within %s of deployment success", exp.Contains, w.within)
	return c
}

// inWindow accepts a line stamped in [from, to]; a zero stamp is accepted
// (Railway did not say), as is any stamp when from is unknown.
func inWindow(ts, from, to time.Time) bool {
	if ts.IsZero() {
		return true
	}
	return (from.IsZero() || !ts.Before(from)) && !ts.After(to)
}

// quoteFilter makes text a phrase in Railway's log query language.
func quoteFilter(text string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(text) + `"`
}

func stateKey(exp spec.LogExpectation) string { return exp.Service + "\x00" + exp.Contains }
