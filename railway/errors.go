package railway

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Check them with errors.Is.
var (
	// ErrNotFound means Railway answered that the object does not exist (a
	// GraphQL error whose message contains "not found"). It is permanent for
	// that call; callers refresh their ids.
	ErrNotFound = errors.New("railway: not found")
	// ErrUnauthorized means Railway rejected the token or denied access
	// ("Not Authorized", "project token not found"). It is permanent: retrying
	// cannot help until the token changes.
	ErrUnauthorized = errors.New("railway: not authorized")
	// ErrBudgetExhausted means the client-side request budget
	// (Options.MaxRequestsPerHour) has no token left before the context's
	// deadline. Nothing was sent. It is transient.
	ErrBudgetExhausted = errors.New("railway: request budget exhausted before the deadline")
	// ErrTokenScope means the token is valid but scoped elsewhere: a project
	// token for another project or environment, or a workspace token without
	// the project. Errors wrapping it also wrap ErrUnauthorized. It is
	// permanent until the token or the spec changes.
	ErrTokenScope = errors.New("railway: token scoped to another project or environment")
	// ErrProjectTokenCannotCreate means Railway refused to create the addon
	// (templateDeployV2) for a project token (RAILWAY_TOKEN): creating it
	// needs a workspace or account token in RAILWAY_API_TOKEN. Errors
	// wrapping it also wrap ErrUnauthorized. It is permanent.
	ErrProjectTokenCannotCreate = errors.New("railway: a project token cannot create the addon")
)

// RateLimitedError is an HTTP 429 from Railway with a Retry-After header.
// RetryAfter is the wait Railway asked for (seconds or an HTTP date), zero
// when the header was unreadable. It is transient. A 429 without Retry-After
// is Cloudflare's edge block: *EdgeBlockedError.
type RateLimitedError struct {
	Op         string
	RetryAfter time.Duration
}

// Error implements error.
func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("railway %s: rate limited, retry after %s", e.Op, e.RetryAfter)
}

// TransientError is a failure worth retrying later: a 5xx, a timeout, a
// connection error, a response that is not GraphQL JSON (such as Cloudflare's
// HTML 403 page) or one without data. Status is the HTTP status, 0 when no
// response arrived. Err describes the failure briefly; it never holds a
// response body.
type TransientError struct {
	Op     string
	Status int
	Err    error

	// sent is false only when the request surely never reached Railway
	// (it was never fully written), so that even a non-idempotent mutation
	// may be retried.
	sent bool
}

// Error implements error.
func (e *TransientError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("railway %s: HTTP %d: %v", e.Op, e.Status, e.Err)
	}
	return fmt.Sprintf("railway %s: %v", e.Op, e.Err)
}

// Unwrap returns the underlying cause (e.g. context.DeadlineExceeded).
func (e *TransientError) Unwrap() error { return e.Err }

// GraphQLError is an answer carrying GraphQL errors (with or without partial
// data). Messages are Railway's messages, in order. It unwraps to ErrNotFound
// or ErrUnauthorized when the messages say so. It is permanent.
type GraphQLError struct {
	Op       string
	Messages []string

	kind error // ErrNotFound, ErrUnauthorized or nil
}

// Error implements error.
func (e *GraphQLError) Error() string {
	return fmt.Sprintf("railway %s: %s", e.Op, strings.Join(e.Messages, "; "))
}

// Unwrap returns ErrNotFound, ErrUnauthorized or nil.
func (e *GraphQLError) Unwrap() error { return e.kind }

// IsPermanent reports whether retrying err cannot help until the token, the
// spec or the project changes: not found (an unknown project, environment
// or service), unauthorized ("Not Authorized", a revoked token), a token of
// the wrong scope (ErrTokenScope), a project token asked to create the
// addon (ErrProjectTokenCannotCreate), any other GraphQL error, or no token.
func IsPermanent(err error) bool {
	var gql *GraphQLError
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrTokenScope) ||
		errors.Is(err, ErrProjectTokenCannotCreate) || errors.Is(err, ErrNoToken) || errors.As(err, &gql)
}

// IsTransient reports whether err may go away by itself: a transient
// transport or server failure, a rate limit (Retry-After or the edge block,
// *EdgeBlockedError), the client-side budget or the rate-limit reserve.
func IsTransient(err error) bool {
	var te *TransientError
	var rl *RateLimitedError
	var eb *EdgeBlockedError
	return errors.As(err, &te) || errors.As(err, &rl) || errors.As(err, &eb) || errors.Is(err, ErrBudgetExhausted)
}

// gqlResponse is the GraphQL response envelope.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

// classify turns one HTTP answer into the response's data or a typed error.
// It is the single place that decides what an answer means: the HTTP status,
// the body's shape and the GraphQL error messages. now resolves an HTTP-date
// Retry-After.
func classify(op string, resp *http.Response, body []byte, now time.Time) (json.RawMessage, error) {
	if resp.StatusCode == http.StatusTooManyRequests {
		if strings.TrimSpace(resp.Header.Get("Retry-After")) == "" {
			// Cloudflare's edge block ("error code: 1015"): no Retry-After,
			// no X-RateLimit-*. The client's edge gate takes over.
			return nil, &EdgeBlockedError{Op: op}
		}
		return nil, &RateLimitedError{Op: op, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now)}
	}
	var env gqlResponse
	if err := json.Unmarshal(body, &env); err != nil || (env.Data == nil && env.Errors == nil) {
		if resp.StatusCode == http.StatusUnauthorized {
			return nil, &GraphQLError{Op: op, Messages: []string{"HTTP 401 Unauthorized"}, kind: ErrUnauthorized}
		}
		return nil, &TransientError{Op: op, Status: resp.StatusCode, Err: describeBody(resp, body), sent: true}
	}
	msgs := make([]string, 0, len(env.Errors))
	for _, e := range env.Errors {
		msgs = append(msgs, e.Message)
	}
	if resp.StatusCode >= 500 {
		return nil, &TransientError{Op: op, Status: resp.StatusCode, Err: serverError(msgs), sent: true}
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return nil, &GraphQLError{Op: op, Messages: append(msgs, "HTTP 401 Unauthorized"), kind: ErrUnauthorized}
	}
	if len(msgs) > 0 {
		// Partial data with errors is an error: never taken as complete.
		return nil, &GraphQLError{Op: op, Messages: msgs, kind: messageKind(msgs)}
	}
	if isNull(env.Data) {
		return nil, &TransientError{Op: op, Status: resp.StatusCode, Err: errors.New("response without data"), sent: true}
	}
	return env.Data, nil
}

// messageKind is Railway's documented error vocabulary (README section 3):
// "Not Authorized" and "project token not found" mean the token is rejected
// or lacks access; any other "... not found" means the object is absent.
func messageKind(msgs []string) error {
	for _, m := range msgs {
		l := strings.ToLower(m)
		if strings.Contains(l, "not authorized") || strings.Contains(l, "project token not found") ||
			strings.Contains(l, "two factor authentication required") {
			return ErrUnauthorized
		}
	}
	for _, m := range msgs {
		if strings.Contains(strings.ToLower(m), "not found") {
			return ErrNotFound
		}
	}
	return nil
}

// serverError describes a 5xx that came with a GraphQL body.
func serverError(msgs []string) error {
	if len(msgs) == 0 {
		return errors.New("server error")
	}
	return fmt.Errorf("server error: %s", strings.Join(msgs, "; "))
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// describeBody summarises a body that is not GraphQL JSON without quoting it.
func describeBody(resp *http.Response, body []byte) error {
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "" {
		ct = "no content type"
	}
	what := "non-JSON response"
	if strings.Contains(strings.ToLower(string(body)), "cloudflare") {
		what = "non-JSON response (Cloudflare page)"
	} else if json.Valid(body) {
		what = "JSON response that is not a GraphQL answer"
	}
	return fmt.Errorf("%s: %s, %d bytes", what, ct, len(body))
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; 0 when absent
// or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// resultLabel is the OnRequest result for an attempt's outcome.
func resultLabel(err error) string {
	var rl *RateLimitedError
	var gql *GraphQLError
	var eb *EdgeBlockedError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrBudgetExhausted):
		return "budget"
	case errors.As(err, &eb) && !eb.Sent:
		return "edge_blocked"
	case errors.As(err, &rl) || eb != nil:
		return "rate_limited"
	case errors.Is(err, ErrUnauthorized):
		return "unauthorized"
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.As(err, &gql):
		return "graphql_error"
	}
	return "transient"
}
