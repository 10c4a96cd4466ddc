package statuspage

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/state"
)

// browserAccept is what Chromium sends when it navigates.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

func newServer(t *testing.T, o Options) *httptest.Server {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return t0 }
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// fetch GETs url with headers (name, value pairs) and returns the answer.
func fetch(t *testing.T, url string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func TestPageShowsTheUnit(t *testing.T) {
	srv := newServer(t, Options{Source: oneUnit(rolledBackView())})
	resp, body := fetch(t, srv.URL+"/", "Accept", browserAccept)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	mustContain(t, body,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`data-phase="RolledBack">RolledBack</div>`, "2026-11-25 09:58:00 UTC", "(2m ago)", // phase, since
		"roll back: 3 unhealthy rounds",                                             // the reason
		`id="rollbacks-in-window">2 of 3`, "After 8 more healthy rounds", "4 of 12", // rollback state
		`id="timeline"`, `data-phase="Recovering"`, // the 24 h bar
		`id="chart-latency"`, `id="chart-memory"`, "<polyline points=", // charts
		`<code class="deploy">`+deployID+`</code>`,                               // deployment ids, prominent
		"${{Redis.REDIS_URL}}", "1 drift item, phase RolledBack since 09:58 UTC", // drift, report
	)
	for _, typ := range state.ConditionTypes {
		mustContain(t, body, `data-type="`+typ+`"`)
	}
	if strings.Contains(body, "reconciler rollforward") {
		t.Error("the page tells to run rollforward while not Held")
	}
	for _, id := range []string{"chart-latency", "chart-memory"} {
		re := regexp.MustCompile(`id="` + id + `"[^§]*?data-points="(\d+)"`)
		if m := re.FindStringSubmatch(body); m == nil || m[1] == "0" {
			t.Errorf("%s has no data points", id)
		}
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'nonce-") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	nonce := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(csp)
	if nonce == nil || !strings.Contains(body, `<script nonce="`+nonce[1]+`">`) {
		t.Error("the inline script does not carry the CSP nonce")
	}
}

func TestPageShowsHowToLeaveHeld(t *testing.T) {
	v := rolledBackView()
	v.Status.Phase, v.Status.Mode = state.Held, state.ModeHeld
	v.Health.Mode = state.ModeHeld
	v.Health.HoldReason = "flap guard: 4 rollbacks within 1h"
	srv := newServer(t, Options{Source: oneUnit(v), Refresh: -1})
	_, body := fetch(t, srv.URL+"/")
	mustContain(t, body, `id="held"`, "flap guard: 4 rollbacks within 1h", "<code>reconciler rollforward</code>", "Never by itself")
	if strings.Contains(body, "<script") {
		t.Error("a page without auto-refresh carries a script")
	}
}

func TestPageWithoutHistory(t *testing.T) {
	v := rolledBackView()
	v.History = nil
	v.Status.LastProbe, v.Status.Events, v.Status.Drift, v.Status.Conditions = nil, nil, nil, nil
	srv := newServer(t, Options{Source: oneUnit(v)})
	resp, body := fetch(t, srv.URL+"/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", resp.StatusCode)
	}
	mustContain(t, body, "No data yet", "No events yet.", "No drift", "not evaluated yet")
	if strings.Contains(body, "<polyline") {
		t.Error("a chart without data draws a line")
	}
}

func TestJSONByAccept(t *testing.T) {
	v := rolledBackView()
	status := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"from":"the status handler"}`))
	})
	for _, tt := range []struct {
		accept string
		json   bool
	}{
		{"application/json", true},
		{"application/json, text/plain, */*", true},
		{"text/html;q=0.5, application/json", true},
		{browserAccept, false},
		{"*/*", false},
		{"", false},
		{"application/json;q=0.1, text/html", false},
	} {
		resp, body := fetch(t, newServer(t, Options{Source: oneUnit(v), Status: status}).URL+"/", "Accept", tt.accept)
		if got := body == `{"from":"the status handler"}`; got != tt.json {
			t.Errorf("Accept %q: JSON %v (%s), want %v", tt.accept, got, resp.Header.Get("Content-Type"), tt.json)
		}
	}
	// Without a status handler, and on a unit's page: the unit's document.
	srv := newServer(t, Options{Source: oneUnit(v)})
	for _, path := range []string{"/", "/units/smartlic-production"} {
		_, body := fetch(t, srv.URL+path, "Accept", "application/json")
		var doc reconcile.Status
		if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.Name != "smartlic-production" || doc.Phase != state.RolledBack {
			t.Errorf("%s as JSON = %.80s (%v), want the status document", path, body, err)
		}
	}
}

func TestFleetListsUnits(t *testing.T) {
	prod, staging := rolledBackView(), rolledBackView()
	staging.Status.Name, staging.Status.Phase = "smartlic/staging", state.Healthy
	staging.Status.Conditions[0].Status = state.True
	src := &fakeSource{names: []string{"smartlic-production", "smartlic/staging"},
		views: map[string]View{"smartlic-production": prod, "smartlic/staging": staging}}
	srv := newServer(t, Options{Source: src})
	_, body := fetch(t, srv.URL+"/")
	mustContain(t, body, `href="/units/smartlic-production"`, `href="/units/smartlic%2Fstaging"`,
		`data-name="smartlic/staging"`, ">Healthy<", ">RolledBack<", ">True<", ">False<")

	resp, body := fetch(t, srv.URL+"/units/smartlic%2Fstaging")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-phase="Healthy"`) || !strings.Contains(body, "← all units") {
		t.Errorf("/units/smartlic%%2Fstaging = %d, want staging's page with a way back", resp.StatusCode)
	}
	if resp, _ := fetch(t, srv.URL+"/units/nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown unit = %d, want 404", resp.StatusCode)
	}
	_, body = fetch(t, srv.URL+"/", "Accept", "application/json")
	var list struct{ Units []UnitSummary }
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Units) != 2 || list.Units[1].Ready != state.True {
		t.Errorf("fleet JSON = %s (%v)", body, err)
	}
}

func TestUnknownPathsAreNotThePage(t *testing.T) {
	srv := newServer(t, Options{Source: oneUnit(rolledBackView())})
	if resp, _ := fetch(t, srv.URL+"/nothing-here"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nothing-here = %d, want 404", resp.StatusCode)
	}
}

func TestNewNeedsASource(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("New without a source succeeded")
	}
}
