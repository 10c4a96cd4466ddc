package probes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/spec"
)

// MaxBodyBytes caps how much of an endpoint's body is read; a bigger body
// fails the check (step body) instead of being buffered.
const MaxBodyBytes = 1 << 20

// MaxRedirects is how many redirects an endpoint probe follows.
const MaxRedirects = 5

var errTooManyRedirects = errors.New("too many redirects")

// EndpointOptions configures an EndpointProbe.
type EndpointOptions struct {
	// HTTPClient sends the requests; a client with its own transport when
	// nil. It is copied; a nil CheckRedirect is replaced by one that follows
	// at most MaxRedirects redirects. Its Timeout, if any, still applies,
	// but the probe's context is the intended bound.
	HTTPClient *http.Client
	// Logger receives debug lines about failures; nop when nil.
	Logger *zap.Logger
}

// EndpointProbe fetches consumers' health endpoints. It is safe for
// concurrent use.
type EndpointProbe struct {
	client *http.Client
	log    *zap.Logger
}

// NewEndpointProbe returns a probe using opts.
func NewEndpointProbe(opts EndpointOptions) *EndpointProbe {
	c := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	if opts.HTTPClient != nil {
		cp := *opts.HTTPClient
		c = &cp
	}
	if c.CheckRedirect == nil {
		c.CheckRedirect = limitRedirects
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return &EndpointProbe{client: c, log: log.Named("probe.endpoint")}
}

// CloseIdleConnections closes the probe's idle keep-alive connections.
func (p *EndpointProbe) CloseIdleConnections() { p.client.CloseIdleConnections() }

func limitRedirects(_ *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return errTooManyRedirects
	}
	return nil
}

// Probe GETs ep.URL within ctx (spec.DefaultProbeTimeout when ctx has no
// deadline) and checks the status, then the JSON body against ep.Expect.
// The failing step is unreachable (connect error, timeout), status (another
// status, a redirect loop), body (unreadable, over MaxBodyBytes, not JSON)
// or expect. Only an expect failure counts against Redis. When rolledBack,
// the expect checks are skipped and only the status counts.
func (p *EndpointProbe) Probe(ctx context.Context, ep spec.Endpoint, rolledBack bool) Check {
	ctx, cancel := withDefaultDeadline(ctx)
	defer cancel()
	budget := remaining(ctx)
	c := Check{Name: "endpoint/" + ep.Name, Kind: KindEndpoint}
	start := time.Now() // a measurement of real elapsed time, never an injected clock
	f := p.fetch(ctx, ep, rolledBack, budget)
	c.Latency = time.Since(start)
	if f != nil {
		c.Step, c.Message, c.RedisProblem = f.step, f.msg, f.step == StepExpect
		p.log.Debug("endpoint probe failed", zap.String("endpoint", ep.Name),
			zap.String("step", c.Step), zap.String("message", c.Message))
		return c
	}
	c.OK = true
	return c
}

func (p *EndpointProbe) fetch(ctx context.Context, ep spec.Endpoint, rolledBack bool, budget time.Duration) *failure {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.URL, nil)
	if err != nil {
		return &failure{step: StepUnreachable, msg: "invalid url"}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "reconciler-probe")
	resp, err := p.client.Do(req)
	if err != nil {
		return classifyHTTP(err, budget)
	}
	defer resp.Body.Close()
	want := ep.Status
	if want == 0 {
		want = spec.DefaultEndpointStatus
	}
	if resp.StatusCode != want {
		return &failure{step: StepStatus, msg: fmt.Sprintf("status %d, want %d", resp.StatusCode, want)}
	}
	if rolledBack || len(ep.Expect) == 0 {
		return nil // the body is not looked at: closing it is enough
	}
	doc, f := readJSON(resp, budget)
	if f != nil {
		return f
	}
	if problems := evaluate(doc, ep.Expect); len(problems) > 0 {
		return &failure{step: StepExpect, msg: strings.Join(problems, "; ")}
	}
	return nil
}

// readJSON reads at most MaxBodyBytes and decodes them. A body that decodes
// is accepted whatever its Content-Type; the type is named when it does not.
func readJSON(resp *http.Response, budget time.Duration) (any, *failure) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	if err != nil {
		f := classifyHTTP(err, budget)
		return nil, &failure{step: StepBody, msg: "reading body: " + f.msg}
	}
	if len(body) > MaxBodyBytes {
		return nil, &failure{step: StepBody, msg: "body larger than 1 MiB"}
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		ct := resp.Header.Get("Content-Type")
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" && !strings.HasSuffix(mt, "+json") {
			return nil, &failure{step: StepBody, msg: fmt.Sprintf("body is not JSON (content type %q)", ct)}
		}
		return nil, &failure{step: StepBody, msg: "body is not valid JSON: " + err.Error()}
	}
	return doc, nil
}

// classifyHTTP turns a client error into an operator's message. It never
// quotes the URL (url.Error does).
func classifyHTTP(err error, budget time.Duration) *failure {
	f := &failure{step: StepUnreachable, cause: err}
	var dnsErr *net.DNSError
	var urlErr *url.Error
	switch {
	case errors.Is(err, errTooManyRedirects):
		f.step, f.msg = StepStatus, fmt.Sprintf("more than %d redirects", MaxRedirects)
	case isTimeout(err):
		f.msg = "timed out after " + formatDuration(budget)
	case errors.Is(err, syscall.ECONNREFUSED):
		f.msg = "connection refused"
	case errors.As(err, &dnsErr):
		f.msg = "cannot resolve " + dnsErr.Name
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		f.msg = "connection closed by the server"
	case errors.As(err, &urlErr):
		f.msg = urlErr.Err.Error()
	default:
		f.msg = err.Error()
	}
	return f
}
