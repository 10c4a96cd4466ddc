package railwaytest

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestInjectedFaults(t *testing.T) {
	tests := []struct {
		name        string
		faults      Faults
		wantStatus  int
		wantType    string
		wantExec    bool
		retryAfter  string
		bodyContain string
	}{
		{"500", Faults{Error500: 1}, http.StatusInternalServerError, "text/plain", false, "", "Internal Server Error"},
		{"429", Faults{RateLimit429: 1, RetryAfter: 2 * time.Second}, http.StatusTooManyRequests, "application/json", false, "2", "Rate limit"},
		{"429 default", Faults{RateLimit429: 1}, http.StatusTooManyRequests, "application/json", false, "1", "Rate limit"},
		{"html 403", Faults{HTML403: 1}, http.StatusForbidden, "text/html", false, "", "Access denied | backboard.railway.com used Cloudflare"},
		{"500 after execute", Faults{AfterExecute500: 1}, http.StatusInternalServerError, "text/plain", true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, Options{})
			w.s.SetFaults(tt.faults)
			r := gql(t, w.s, bearer(adminToken), deployMutation, map[string]any{"e": w.envID, "s": w.backendID})
			if r.Status != tt.wantStatus || !strings.HasPrefix(r.Header.Get("Content-Type"), tt.wantType) {
				t.Fatalf("status %d type %q, want %d %q", r.Status, r.Header.Get("Content-Type"), tt.wantStatus, tt.wantType)
			}
			if got := r.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if !strings.Contains(string(r.Body), tt.bodyContain) {
				t.Errorf("body %s", r.Body)
			}
			if executed := len(w.s.Deployments(w.envID, w.backendID)) == 1; executed != tt.wantExec {
				t.Errorf("executed = %v, want %v", executed, tt.wantExec)
			}
			reqs := w.s.Requests()
			if len(reqs) != 1 || !reqs[0].Faulted || reqs[0].Status != tt.wantStatus || !reqs[0].Mutation {
				t.Errorf("request log = %+v", reqs)
			}
		})
	}
}

func TestFaultSharesAreSeeded(t *testing.T) {
	pattern := func() string {
		w := newWorld(t, Options{})
		w.s.SetFaults(Faults{Error500: 0.3, RateLimit429: 0.2, HTML403: 0.1, Seed: 42})
		var b strings.Builder
		for range 40 {
			b.WriteString(strconv.Itoa(gql(t, w.s, anonymous(), `{ template(code: "redis") { id } }`, nil).Status / 100))
		}
		return b.String()
	}
	a, b := pattern(), pattern()
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, "2") || !strings.Contains(a, "4") || !strings.Contains(a, "5") {
		t.Errorf("fault mix %s lacks a kind", a)
	}
}

func TestFailNextRequests(t *testing.T) {
	w := newWorld(t, Options{})
	w.s.FailNextRequests(Fault429, 1)
	w.s.FailNextRequests(FaultHTML403, 1)
	var got []int
	for range 3 {
		got = append(got, gql(t, w.s, anonymous(), `{ template(code: "redis") { id } }`, nil).Status)
	}
	if got[0] != 429 || got[1] != 403 || got[2] != 200 {
		t.Errorf("statuses %v", got)
	}
}

func TestLatency(t *testing.T) {
	w := newWorld(t, Options{})
	w.s.SetFaults(Faults{Latency: 50 * time.Millisecond})
	start := time.Now()
	gql(t, w.s, anonymous(), `{ template(code: "redis") { id } }`, nil).ok(t)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("answered in %v, want ≥ 50ms", d)
	}
}

func TestRateLimitHeadersAndExhaustion(t *testing.T) {
	w := newWorld(t, Options{RateLimit: 3})
	reset := strconv.FormatInt(w.clock.Now().Add(time.Hour).Unix(), 10)
	for i, want := range []struct {
		status    int
		remaining string
	}{{200, "2"}, {200, "1"}, {200, "0"}, {429, "0"}} {
		r := gql(t, w.s, anonymous(), `{ template(code: "redis") { id } }`, nil)
		h := r.Header
		if r.Status != want.status || h.Get("X-RateLimit-Limit") != "3" || h.Get("X-RateLimit-Remaining") != want.remaining || h.Get("X-RateLimit-Reset") != reset {
			t.Errorf("request %d: status %d headers %v", i, r.Status, h)
		}
		if want.status == 429 && h.Get("Retry-After") != "3600" {
			t.Errorf("Retry-After %q, want 3600", h.Get("Retry-After"))
		}
	}
	w.clock.Advance(time.Hour)
	if r := gql(t, w.s, anonymous(), `{ template(code: "redis") { id } }`, nil); r.Status != 200 || r.Header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("new window: %d %v", r.Status, r.Header)
	}
}
