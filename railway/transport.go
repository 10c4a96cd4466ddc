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
	op       string
	doc      string
	vars     map[string]any
	policy   retryPolicy
	mutation bool // bounded by MutationTimeout; always essential
	noAuth   bool // send without credentials (template, like the CLI)
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
		c.logAttempt(cl.op, attempt, wait, retry, err, last)
		if !retry {
			if attempt > 1 {
				return fmt.Errorf("after %d attempts: %w", attempt, err)
			}
			return err
		}
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
	if attempt >= c.attempts || isSingleAttempt(ctx) || ctx.Err() != nil || !retryable(p, err) {
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

type singleAttemptKey struct{}

// SingleAttempt marks ctx so that calls made with it send one HTTP attempt
// and are not retried: for a caller that retries on a schedule of its own
// (a probe round retrying an owed write every probe interval), where the
// client's retries would only multiply the requests a failing Railway gets.
func SingleAttempt(ctx context.Context) context.Context {
	return context.WithValue(ctx, singleAttemptKey{}, true)
}

func isSingleAttempt(ctx context.Context) bool {
	v, _ := ctx.Value(singleAttemptKey{}).(bool)
	return v
}

func retryable(p retryPolicy, err error) bool {
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return true
	}
	var te *TransientError
	if !errors.As(err, &te) {
		return false // edge blocks, the budget and permanent errors included
	}
	return p == retryTransient || !te.sent
}

// logAttempt logs a failed attempt. With Options.LogAttempts every attempt
// is logged at warn ("attempt 3/5, next in 4s: ..."); otherwise only retries,
// at warn when the failure differs from the previous one and at debug when
// it repeats. Errors never carry secrets.
func (c *Client) logAttempt(op string, attempt int, wait time.Duration, retry bool, err, last error) {
	if c.logAttempts {
		if retry {
			c.log.Warn(fmt.Sprintf("attempt %d/%d, next in %s: %v", attempt, c.attempts, roundWait(wait), err), zap.String("op", op))
		} else {
			c.log.Warn(fmt.Sprintf("attempt %d/%d, giving up: %v", attempt, c.attempts, err), zap.String("op", op))
		}
		return
	}
	if !retry {
		return
	}
	log := c.log.Debug
	if last == nil || last.Error() != err.Error() {
		log = c.log.Warn
	}
	log("railway request failed, retrying",
		zap.String("op", op), zap.Int("attempt", attempt), zap.Duration("wait", wait), zap.Error(err))
}

// roundWait shows a wait the way a person reads it: whole seconds from one
// second up, else milliseconds.
func roundWait(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

// attempt sends one HTTP request, unless the rate-limit reserve, the edge
// block or the budget stops it first.
func (c *Client) attempt(ctx context.Context, cl call, body []byte) (json.RawMessage, error) {
	if err := c.limits.check(cl.op, cl.mutation || IsEssential(ctx), c.now()); err != nil {
		if c.onRequest != nil {
			c.onRequest(cl.op, resultLabel(err))
		}
		return nil, err
	}
	ticket, err := c.edgeAdmit(cl.op)
	if err != nil {
		return nil, err
	}
	if err := c.takeBudget(ctx, cl.op); err != nil {
		c.edge.release(ticket)
		return nil, err
	}
	data, status, err := c.send(ctx, cl, body)
	return data, c.finish(cl.op, status, c.edgeOutcome(ticket, err, status != 0))
}

// send posts one request, bounded by the attempt timeout, and classifies
// the answer. status is 0 when no answer came.
func (c *Client) send(ctx context.Context, cl call, body []byte) (json.RawMessage, int, error) {
	timeout := c.queryTO
	if cl.mutation {
		timeout = c.mutationTO
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true)
		}
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(actx, trace), http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("railway %s: building request: %w", cl.op, err)
	}
	c.setHeaders(req.Header, cl.noAuth)
	c.requests.Add(1)
	c.limits.sent()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, transportError(ctx, actx, timeout, cl.op, err, wrote.Load())
	}
	defer resp.Body.Close()
	if limit := c.limits.record(resp.Header, c.now()); limit > 0 {
		c.budget.follow(limit, c.now())
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		err = transportError(ctx, actx, timeout, cl.op, fmt.Errorf("reading response: %w", err), true)
		return nil, resp.StatusCode, withStatus(err, resp.StatusCode)
	}
	if len(raw) > maxResponseBytes {
		return nil, resp.StatusCode, &TransientError{Op: cl.op, Status: resp.StatusCode, Err: errors.New("response too large"), sent: true}
	}
	data, err := classify(cl.op, resp, raw, c.now())
	return data, resp.StatusCode, err
}

// withStatus sets a transient error's HTTP status.
func withStatus(err error, status int) error {
	var te *TransientError
	if errors.As(err, &te) {
		te.Status = status
	}
	return err
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

// InstanceHeader carries Options.Instance on every request.
const InstanceHeader = "X-Reconciler-Instance"

func (c *Client) setHeaders(h http.Header, noAuth bool) {
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	h.Set("User-Agent", c.userAgent)
	if c.instance != "" {
		h.Set(InstanceHeader, c.instance)
	}
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

// transportError wraps a failure to get an answer. The URL is dropped; when
// ctx ended, its error is the cause; when only the attempt's own timeout
// ended, the cause says so and wraps context.DeadlineExceeded.
func transportError(ctx, attemptCtx context.Context, timeout time.Duration, op string, err error, sent bool) error {
	err = unwrapURL(err)
	switch {
	case ctx.Err() != nil:
		err = ctx.Err()
	case attemptCtx.Err() != nil:
		err = fmt.Errorf("no answer within %s: %w", timeout, context.DeadlineExceeded)
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
