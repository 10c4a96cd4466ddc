package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
)

// Doctor's bounds on Railway (CONTRACT §11).
const (
	// doctorMaxRequests is the most Railway requests one doctor run sends.
	doctorMaxRequests = 10
	// doctorRailwayTimeout bounds each Railway request; there are no
	// retries, so an unreachable Railway costs this once.
	doctorRailwayTimeout = 5 * time.Second
)

// doctor runs the checks of one `doctor` invocation.
type doctor struct {
	sp       *spec.Spec
	log      *zap.Logger
	lookup   func(string) (string, bool)
	now      func() time.Time
	timeout  time.Duration // probeTimeout: the bound of each probe
	sendTest bool
	inside   bool // running as a Railway service (private network reachable)

	client    *railway.Client // nil when no token was found
	clientErr error
	transport *cappedTransport

	// What Railway said, filled in order by the Railway checks.
	down  bool // a request got no answer: send no more
	info  *railway.TokenInfo
	proj  *railway.Project
	env   railway.Environment
	where string // the environment as named in messages
	obs   *railway.Observation
}

func newDoctor(a *App, sp *spec.Spec, sendTest bool) *doctor {
	d := &doctor{sp: sp, log: a.Logger.Named("doctor"), lookup: a.LookupEnv, now: a.Now,
		timeout: sp.Health.ProbeTimeout, sendTest: sendTest, inside: runsInRailway(a.LookupEnv)}
	if d.timeout <= 0 {
		d.timeout = spec.DefaultProbeTimeout
	}
	creds, err := railway.CredentialsFromEnv(a.LookupEnv)
	if err != nil {
		d.clientErr = err
		return d
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	d.transport = &cappedTransport{base: base, max: doctorMaxRequests}
	d.client, d.clientErr = railway.New(railway.Options{
		Endpoint: sp.Railway.Endpoint, Credentials: creds, Version: Build().Version,
		HTTPClient: &http.Client{Transport: d.transport}, QueryTimeout: doctorRailwayTimeout,
		MaxAttempts: 1, Logger: a.Logger, Now: a.Now,
	})
	return d
}

// insideRailway reports whether the process runs as a Railway service,
// where private networking (*.railway.internal) is reachable (as the
// reconciler decides it).
func runsInRailway(lookup func(string) (string, bool)) bool {
	_, ok := lookup("RAILWAY_PRIVATE_DOMAIN")
	return ok
}

func (d *doctor) close() {
	if d.transport != nil {
		d.transport.base.CloseIdleConnections()
	}
}

// count is the number of checks doctor may print.
func (d *doctor) count() int {
	h := d.sp.Health
	return 8 + len(d.sp.Consumers) + len(h.Endpoints) + len(h.Logs) + len(d.webhooks())
}

// deadline bounds the whole run: probeTimeout per check plus doctorMargin.
func (d *doctor) deadline() time.Duration {
	return d.timeout*time.Duration(d.count()) + doctorMargin
}

// run runs every check after the spec's, in their printed order. The checks
// that need no Railway answer run concurrently with the Railway ones.
func (d *doctor) run(ctx context.Context) []doctorCheck {
	var wg sync.WaitGroup
	local := make([][]doctorCheck, 4)
	goCheck := func(i int, f func(context.Context) []doctorCheck) {
		wg.Go(func() { local[i] = f(ctx) })
	}
	goCheck(1, d.endpointChecks)
	goCheck(2, d.stateChecks)
	goCheck(3, d.webhookChecks)
	if !d.sp.Health.Redis.URL.IsZero() {
		goCheck(0, func(ctx context.Context) []doctorCheck {
			return []doctorCheck{d.probeRedis(ctx, d.sp.Health.Redis.URL, "health.redis.url")}
		})
	}
	rctx, cancel := d.railwayContext(ctx)
	rw := d.railwayChecks(rctx)
	cancel()
	if d.sp.Health.Redis.URL.IsZero() {
		local[0] = d.addonRedisCheck(ctx)
	}
	wg.Wait()
	out := append(rw.main, rw.rate...)
	out = append(out, local[0]...)
	out = append(out, local[1]...)
	out = append(out, rw.logs...)
	out = append(out, local[2]...)
	return append(out, local[3]...)
}

// railwayContext leaves, after the Railway checks, time for the Redis probe
// of the URL they find.
func (d *doctor) railwayContext(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, dl.Add(-d.timeout-probes.RoundMargin))
}

// errRequestCap is what the transport answers past doctorMaxRequests.
var errRequestCap = fmt.Errorf("doctor sends at most %d Railway requests", doctorMaxRequests)

// cappedTransport refuses requests past max: doctor's promise of at most
// doctorMaxRequests Railway requests holds whatever the checks ask for.
type cappedTransport struct {
	base *http.Transport
	max  int64
	sent atomic.Int64
}

// RoundTrip sends r unless the cap is reached.
func (t *cappedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.sent.Add(1) > t.max {
		if r.Body != nil {
			_ = r.Body.Close() // RoundTrip must close it, even on error
		}
		return nil, errRequestCap
	}
	return t.base.RoundTrip(r)
}

// left is how many more Railway requests doctor may send.
func (d *doctor) left() int { return doctorMaxRequests - int(d.transport.sent.Load()) }

// transient records that Railway did not answer err (a timeout, a
// connection error, a 5xx, a rate limit), after which no more requests are
// sent, and reports whether it was so.
func (d *doctor) transient(err error) bool {
	if railway.IsTransient(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		d.down = true
	}
	return d.down
}

// unreachable is the one line for a Railway that did not answer.
func (d *doctor) unreachable(name string, err error) doctorCheck {
	return doctorFail(name, fmt.Sprintf("Railway (%s) did not answer: %v; the checks that need Railway are left out", d.sp.Railway.Endpoint, err),
		"check this machine's network and proxy settings for "+d.sp.Railway.Endpoint+
			" and Railway's status (https://status.railway.com), then run doctor again")
}
