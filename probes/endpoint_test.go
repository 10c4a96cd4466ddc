package probes

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/spec"
)

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func jsonHandler(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func probeEndpoint(t *testing.T, ep spec.Endpoint, rolledBack bool, timeout time.Duration) Check {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	return NewEndpointProbe(EndpointOptions{Logger: zaptest.NewLogger(t)}).Probe(ctx, ep, rolledBack)
}

func ptr[T any](v T) *T { return &v }

func TestEndpointProbeFailureModes(t *testing.T) {
	huge := strings.Repeat(" ", MaxBodyBytes) + "{}" // valid JSON, but over the cap
	expect := []spec.Expectation{{Field: "redis", Equals: "connected"}}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		expect  []spec.Expectation
		step    string
		msg     string
	}{
		{name: "healthy", handler: jsonHandler(200, `{"redis":"connected"}`), expect: expect},
		{name: "no expect, body ignored", handler: jsonHandler(200, `garbage`)},
		{name: "wrong status", handler: jsonHandler(503, `{"redis":"connected"}`), expect: expect,
			step: StepStatus, msg: "status 503, want 200"},
		{name: "garbage body", handler: jsonHandler(200, `{"redis":`), expect: expect,
			step: StepBody, msg: "body is not valid JSON: unexpected end of JSON input"},
		{name: "huge body", handler: jsonHandler(200, huge), expect: expect,
			step: StepBody, msg: "body larger than 1 MiB"},
		{name: "wrong content type", expect: expect, step: StepBody,
			msg: `body is not JSON (content type "text/html; charset=utf-8")`,
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				_, _ = io.WriteString(w, "<html>ok</html>")
			}},
		{name: "JSON served as text/plain is accepted", expect: expect,
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				_, _ = io.WriteString(w, `{"redis":"connected"}`)
			}},
		{name: "redirect loop", expect: expect, step: StepStatus, msg: "more than 5 redirects",
			handler: func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, r.URL.Path, http.StatusFound) }},
		{name: "expect fails", handler: jsonHandler(200, `{"redis":"down"}`), expect: expect,
			step: StepExpect, msg: `field "redis" is "down", want "connected"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, tc.handler)
			c := probeEndpoint(t, spec.Endpoint{Name: "backend", URL: srv.URL, Expect: tc.expect}, false, time.Second)
			if c.Name != "endpoint/backend" || c.Kind != KindEndpoint {
				t.Errorf("name %q kind %q", c.Name, c.Kind)
			}
			if tc.step == "" {
				mustOK(t, c)
				return
			}
			mustFail(t, c, tc.step)
			if c.Message != tc.msg {
				t.Errorf("message %q, want %q", c.Message, tc.msg)
			}
			if c.RedisProblem != (tc.step == StepExpect) {
				t.Errorf("RedisProblem = %v for step %s", c.RedisProblem, tc.step)
			}
		})
	}
}

func TestEndpointProbeFollowsFiveRedirects(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		var n int
		_, _ = fmt.Sscanf(r.URL.Path, "/r%d", &n)
		if n < 5 {
			http.Redirect(w, r, fmt.Sprintf("/r%d", n+1), http.StatusFound)
			return
		}
		jsonHandler(200, `{}`)(w, r)
	})
	mustOK(t, probeEndpoint(t, spec.Endpoint{Name: "b", URL: srv.URL + "/r0"}, false, time.Second))
}

func TestEndpointProbeSlowServerTimesOut(t *testing.T) {
	srv := serve(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	start := time.Now()
	c := probeEndpoint(t, spec.Endpoint{Name: "b", URL: srv.URL}, false, 200*time.Millisecond)
	mustFail(t, c, StepUnreachable)
	if !strings.HasPrefix(c.Message, "timed out after ") || c.RedisProblem {
		t.Errorf("message %q (RedisProblem %v)", c.Message, c.RedisProblem)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v with a 200ms budget", took)
	}
}

func TestEndpointProbeConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := probeEndpoint(t, spec.Endpoint{Name: "b", URL: url}, false, time.Second)
	mustFail(t, c, StepUnreachable)
	if c.Message != "connection refused" {
		t.Errorf("message %q", c.Message)
	}
}

func TestEndpointProbeCustomStatus(t *testing.T) {
	srv := serve(t, jsonHandler(http.StatusAccepted, `{}`))
	mustOK(t, probeEndpoint(t, spec.Endpoint{Name: "b", URL: srv.URL, Status: 202}, false, time.Second))
	c := probeEndpoint(t, spec.Endpoint{Name: "b", URL: srv.URL}, false, time.Second)
	mustFail(t, c, StepStatus)
}

func TestEndpointProbeExpectOperators(t *testing.T) {
	body := `{"redis":"connected","latency_ms":12,"ok":true,"nested":{"a":{"b":1}},"list":[{"s":"x"}],"nullv":null}`
	srv := serve(t, jsonHandler(200, body))
	for _, tc := range []struct {
		name string
		e    spec.Expectation
		msg  string // "" = passes
	}{
		{"equals string", spec.Expectation{Field: "redis", Equals: "connected"}, ""},
		{"equals string fails", spec.Expectation{Field: "redis", Equals: "up"}, `field "redis" is "connected", want "up"`},
		{"equals float", spec.Expectation{Field: "latency_ms", Equals: 12.0}, ""},
		{"equals int is numeric", spec.Expectation{Field: "latency_ms", Equals: 12}, ""},
		{"equals never across types", spec.Expectation{Field: "latency_ms", Equals: "12"}, `field "latency_ms" is 12, want "12"`},
		{"equals bool", spec.Expectation{Field: "ok", Equals: true}, ""},
		{"equals bool fails", spec.Expectation{Field: "ok", Equals: false}, `field "ok" is true, want false`},
		{"equals nested", spec.Expectation{Field: "nested.a.b", Equals: 1.0}, ""},
		{"equals in array", spec.Expectation{Field: "list.0.s", Equals: "x"}, ""},
		{"equals missing", spec.Expectation{Field: "nested.x", Equals: "y"}, `field "nested.x" is missing, want "y"`},
		{"lessThan", spec.Expectation{Field: "latency_ms", LessThan: ptr(50.0)}, ""},
		{"lessThan fails", spec.Expectation{Field: "latency_ms", LessThan: ptr(10.0)}, `field "latency_ms" is 12, want less than 10`},
		{"lessThan equal fails", spec.Expectation{Field: "latency_ms", LessThan: ptr(12.0)}, `field "latency_ms" is 12, want less than 12`},
		{"lessThan not a number", spec.Expectation{Field: "redis", LessThan: ptr(1.0)}, `field "redis" is "connected", not a number`},
		{"lessThan missing", spec.Expectation{Field: "gone", LessThan: ptr(1.0)}, `field "gone" is missing, want less than 1`},
		{"greaterThan", spec.Expectation{Field: "latency_ms", GreaterThan: ptr(10.0)}, ""},
		{"greaterThan fails", spec.Expectation{Field: "latency_ms", GreaterThan: ptr(20.5)}, `field "latency_ms" is 12, want greater than 20.5`},
		{"exists", spec.Expectation{Field: "nested.a", Exists: ptr(true)}, ""},
		{"exists null", spec.Expectation{Field: "nullv", Exists: ptr(true)}, ""},
		{"exists fails", spec.Expectation{Field: "nested.z", Exists: ptr(true)}, `field "nested.z" is missing`},
		{"absent", spec.Expectation{Field: "error", Exists: ptr(false)}, ""},
		{"absent fails", spec.Expectation{Field: "redis", Exists: ptr(false)}, `field "redis" is present ("connected"), want absent`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := probeEndpoint(t, spec.Endpoint{Name: "b", URL: srv.URL, Expect: []spec.Expectation{tc.e}}, false, time.Second)
			if tc.msg == "" {
				mustOK(t, c)
				return
			}
			mustFail(t, c, StepExpect)
			if c.Message != tc.msg || !c.RedisProblem {
				t.Errorf("message %q (RedisProblem %v), want %q", c.Message, c.RedisProblem, tc.msg)
			}
		})
	}
}

func TestEndpointProbeReportsEveryFailedExpectation(t *testing.T) {
	srv := serve(t, jsonHandler(200, `{"redis":"down","latency_ms":99}`))
	c := probeEndpoint(t, spec.Endpoint{Name: "b", URL: srv.URL, Expect: []spec.Expectation{
		{Field: "redis", Equals: "connected"}, {Field: "latency_ms", LessThan: ptr(50.0)},
	}}, false, time.Second)
	want := `field "redis" is "down", want "connected"; field "latency_ms" is 99, want less than 50`
	if c.OK || c.Message != want {
		t.Errorf("message %q, want %q", c.Message, want)
	}
}

func TestEndpointProbeRolledBackSkipsExpect(t *testing.T) {
	expect := []spec.Expectation{{Field: "redis", Equals: "connected"}}
	down := serve(t, jsonHandler(200, `{"redis":"unavailable"}`))
	mustOK(t, probeEndpoint(t, spec.Endpoint{Name: "b", URL: down.URL, Expect: expect}, true, time.Second))
	broken := serve(t, jsonHandler(500, `{"redis":"unavailable"}`))
	c := probeEndpoint(t, spec.Endpoint{Name: "b", URL: broken.URL, Expect: expect}, true, time.Second)
	mustFail(t, c, StepStatus)
	if c.RedisProblem {
		t.Errorf("a wrong status is a consumer problem")
	}
}

// An expect message quotes what the app answered; a Redis URL in it (the
// app reporting its connection) must not carry its password into a round's
// reason, and from there into conditions, events, reports and logs.
func TestEndpointProbeExpectMessageMasksURLCredentials(t *testing.T) {
	const password = "app-Pa55word-q9z"
	body := `{"redis":{"status":"down","url":"redis://default:` + password + `@redis.railway.internal:6379"},` +
		`"cache":"rediss://:` + password + `@cache:6380/0?tls=1","note":"dial redis://default:` + password + `@10.0.0.1:6379 failed"}`
	srv := serve(t, jsonHandler(200, body))
	c := probeEndpoint(t, spec.Endpoint{Name: "b", URL: srv.URL, Expect: []spec.Expectation{
		{Field: "redis", Equals: "connected"}, {Field: "cache", Equals: "ok"}, {Field: "note", Exists: ptr(false)},
	}}, false, time.Second)
	mustFail(t, c, StepExpect)
	if strings.Contains(c.Message, password) {
		t.Fatalf("the message quotes the password: %s", c.Message)
	}
	for _, want := range []string{`"redis://default:***@redis.railway.internal:6379"`, `"rediss://:***@cache:6380/0?***"`,
		`field "note" is present ("dial redis://default:***@10.0.0.1:6379 failed"), want absent`} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("message %q lacks %s", c.Message, want)
		}
	}
}
