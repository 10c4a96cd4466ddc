package railway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/spec"
)

// maxResponseBytes caps how much of an answer is read (logs are the largest).
const maxResponseBytes = 16 << 20

// retryPolicy says which failures of an operation may be retried.
type retryPolicy int

const (
	// retryTransient retries every transient failure and 429. Queries and
	// idempotent mutations (variableCollectionUpsert) use it.
	retryTransient retryPolicy = iota
	// retryUnsent retries a 429 (Railway refused the request) and failures
	// where the request was never fully written, and nothing else: a timeout,
	// a reset after sending or a 5xx may have created something. Mutations
	// that are not idempotent (templateDeployV2, serviceInstanceDeployV2) use
	// it; the caller observes again before repeating them.
	retryUnsent
)

// call is one GraphQL operation to send.
type call struct {
	op     string
	doc    string
	vars   map[string]any
	policy retryPolicy
	noAuth bool // send without credentials (template, like the CLI)
}

type gqlRequest struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables,omitempty"`
	OperationName string         `json:"operationName"`
}

// do sends cl, retrying as its policy allows, and decodes the answer's data
// into out (when out is not nil).
func (c *Client) do(ctx context.Context, cl call, out any) error {
	body, err := json.Marshal(gqlRequest{Query: cl.doc, Variables: cl.vars, OperationName: cl.op})
	if err != nil {
		return fmt.Errorf("railway %s: encoding request: %w", cl.op, err)
	}
	bo := c.newBackOff()
	var last error
	for attempt := 1; ; attempt++ {
		data, err := c.attempt(ctx, cl, body)
		if err == nil {
			return decodeData(cl.op, data, out)
		}
		wait, retry := c.retryWait(ctx, cl.policy, err, attempt, bo)
		if !retry {
			if attempt > 1 {
				return fmt.Errorf("after %d attempts: %w", attempt, err)
			}
			return err
		}
		c.logRetry(cl.op, attempt, wait, err, last)
		last = err
		if serr := c.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w (stopped retrying: %w)", err, serr)
		}
	}
}

func decodeData(op string, data json.RawMessage, out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("railway %s: decoding response: %w", op, err)
	}
	return nil
}

func (c *Client) newBackOff() *backoff.ExponentialBackOff {
	return backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(500*time.Millisecond),
		backoff.WithRandomizationFactor(0.5),
		backoff.WithMultiplier(2),
		backoff.WithMaxInterval(30*time.Second),
		backoff.WithMaxElapsedTime(0), // attempts are bounded by MaxAttempts
		backoff.WithClockProvider(clockFunc(c.now)),
	)
}

// clockFunc adapts the injected now to backoff.Clock.
type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// retryWait decides whether err is retried and after how long: never past
// MaxAttempts, never for a failure the policy forbids, never when the wait
// would pass ctx's deadline; at least Retry-After after a 429.
func (c *Client) retryWait(ctx context.Context, p retryPolicy, err error, attempt int, bo backoff.BackOff) (time.Duration, bool) {
	if attempt >= c.attempts || ctx.Err() != nil || !retryable(p, err) {
		return 0, false
	}
	wait := bo.NextBackOff()
	var rl *RateLimitedError
	if errors.As(err, &rl) && rl.RetryAfter > wait {
		wait = rl.RetryAfter
	}
	if dl, ok := ctx.Deadline(); ok && c.now().Add(wait).After(dl) {
		return 0, false
	}
	return wait, true
}

func retryable(p retryPolicy, err error) bool {
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return true
	}
	var te *TransientError
	if !errors.As(err, &te) {
		return false
	}
	return p == retryTransient || !te.sent
}

// logRetry logs at warn when the failure differs from the previous one and
// at debug when it repeats. Errors never carry secrets.
func (c *Client) logRetry(op string, attempt int, wait time.Duration, err, last error) {
	log := c.log.Debug
	if last == nil || last.Error() != err.Error() {
		log = c.log.Warn
	}
	log("railway request failed, retrying",
		zap.String("op", op), zap.Int("attempt", attempt), zap.Duration("wait", wait), zap.Error(err))
}

// attempt takes a budget token and sends one HTTP request.
func (c *Client) attempt(ctx context.Context, cl call, body []byte) (json.RawMessage, error) {
	if err := c.takeBudget(ctx, cl.op); err != nil {
		return nil, err
	}
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true)
		}
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("railway %s: building request: %w", cl.op, err)
	}
	c.setHeaders(req.Header, cl.noAuth)
	c.requests.Add(1)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.finish(cl.op, 0, transportError(ctx, cl.op, err, wrote.Load()))
	}
	defer resp.Body.Close()
	c.recordRateLimit(resp.Header)
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		err = &TransientError{Op: cl.op, Status: resp.StatusCode, Err: fmt.Errorf("reading response: %w", unwrapURL(err)), sent: true}
		return nil, c.finish(cl.op, resp.StatusCode, err)
	}
	if len(raw) > maxResponseBytes {
		err = &TransientError{Op: cl.op, Status: resp.StatusCode, Err: errors.New("response too large"), sent: true}
		return nil, c.finish(cl.op, resp.StatusCode, err)
	}
	data, err := classify(cl.op, resp, raw, c.now())
	return data, c.finish(cl.op, resp.StatusCode, err)
}

// finish scrubs, reports and logs an attempt's outcome.
func (c *Client) finish(op string, status int, err error) error {
	err = c.redact(err)
	result := resultLabel(err)
	if c.onRequest != nil {
		c.onRequest(op, result)
	}
	c.log.Debug("railway request", zap.String("op", op), zap.Int("status", status), zap.String("result", result))
	return err
}

func (c *Client) setHeaders(h http.Header, noAuth bool) {
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	h.Set("User-Agent", c.userAgent)
	if noAuth {
		return
	}
	switch c.creds.Kind {
	case BearerToken:
		h.Set("Authorization", "Bearer "+c.creds.value())
	case ProjectToken:
		h.Set("Project-Access-Token", c.creds.value())
	}
}

// takeBudget waits for a request token. It returns ErrBudgetExhausted, without
// waiting, when the token would come after ctx's deadline.
func (c *Client) takeBudget(ctx context.Context, op string) error {
	if c.limiter == nil {
		return nil
	}
	now := c.now()
	r := c.limiter.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && now.Add(d).After(dl) {
		r.CancelAt(now)
		err := fmt.Errorf("railway %s: next request allowed in %s: %w", op, d.Round(time.Second), ErrBudgetExhausted)
		if c.onRequest != nil {
			c.onRequest(op, resultLabel(err))
		}
		return err
	}
	c.log.Debug("waiting for request budget", zap.String("op", op), zap.Duration("wait", d))
	if err := c.sleep(ctx, d); err != nil {
		r.CancelAt(c.now())
		return &TransientError{Op: op, Err: err}
	}
	return nil
}

// transportError wraps a failure to get an answer. The URL is dropped; when
// ctx ended, its error is the cause.
func transportError(ctx context.Context, op string, err error, sent bool) error {
	err = unwrapURL(err)
	if ctxErr := ctx.Err(); ctxErr != nil {
		err = ctxErr
	}
	return &TransientError{Op: op, Err: err, sent: sent}
}

func unwrapURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// redact removes the token from err should Railway ever echo it.
func (c *Client) redact(err error) error {
	tok := c.creds.value()
	if err == nil || tok == "" || !strings.Contains(err.Error(), tok) {
		return err
	}
	var gql *GraphQLError
	var te *TransientError
	switch {
	case errors.As(err, &gql):
		for i, m := range gql.Messages {
			gql.Messages[i] = strings.ReplaceAll(m, tok, spec.Masked)
		}
	case errors.As(err, &te):
		te.Err = errors.New(strings.ReplaceAll(te.Err.Error(), tok, spec.Masked))
	}
	return err
}

// recordRateLimit keeps X-RateLimit-Remaining and X-RateLimit-Reset.
func (c *Client) recordRateLimit(h http.Header) {
	rem, remErr := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining")))
	reset, resetOK := parseReset(h.Get("X-RateLimit-Reset"), c.now())
	if remErr != nil && !resetOK {
		return
	}
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	if remErr == nil {
		c.rateLimits.RateLimitRemaining, c.rateLimits.RateLimitKnown = rem, true
	}
	if resetOK {
		c.rateLimits.RateLimitReset = reset
	}
}

// parseReset reads X-RateLimit-Reset: a Unix time in seconds or milliseconds,
// a small number of seconds from now, RFC 3339 or an HTTP date.
func parseReset(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case n > 1e12:
			return time.UnixMilli(n), true
		case n > 1e9:
			return time.Unix(n, 0), true
		default:
			return now.Add(time.Duration(n) * time.Second), true
		}
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t, true
	}
	return time.Time{}, false
}
