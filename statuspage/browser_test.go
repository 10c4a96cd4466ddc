package statuspage_test

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smartlic/reconciler/controller"
	"github.com/smartlic/reconciler/internal/browser/browsertest"
	"github.com/smartlic/reconciler/state"
)

// update writes the screenshots under docs/img (make screenshots).
var update = flag.Bool("update", false, "write the status page screenshots under docs/img")

// screenshotDir is docs/img, from this package's directory.
const screenshotDir = "../docs/img"

// step bounds one browser step: generous, for a loaded two-core machine.
const step = 60 * time.Second

// tab drives the page of one controller in one browser tab.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func run[T any](b *tab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// open loads path and waits for the phase to be shown.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("#phase .name")))
}

// waitPhase waits until the page shows phase, by its own auto-refresh.
func (b *tab) waitPhase(phase state.Phase) {
	b.t.Helper()
	js := `document.querySelector('#phase .name') && document.querySelector('#phase .name').textContent === '` + string(phase) + `'`
	run(b, "the page to show "+string(phase), chromedp.Poll[bool](js, chromedp.WithPollingInterval(100*time.Millisecond),
		chromedp.WithPollingTimeout(step)))
}

func (b *tab) text(css string) string {
	b.t.Helper()
	return run(b, "text of "+css, chromedp.Text(chromedp.CSS(css)))
}

// expectPhase checks the visible phase.
func (b *tab) expectPhase(want state.Phase) {
	b.t.Helper()
	if got := b.text("#phase .name"); got != string(want) {
		b.t.Errorf("visible phase = %q, want %s", got, want)
	}
}

// expectConditions checks that all six conditions are shown, with the
// statuses given.
func (b *tab) expectConditions(want map[string]string) {
	b.t.Helper()
	got := run(b, "conditions", chromedp.Evaluate[map[string]string](
		`Object.fromEntries([...document.querySelectorAll('#conditions .cond')].map(c => [c.dataset.type, c.querySelector('.badge').textContent]))`))
	for _, typ := range state.ConditionTypes {
		if _, ok := got[typ]; !ok {
			b.t.Errorf("condition %s is not shown (shown: %v)", typ, got)
		}
	}
	for typ, status := range want {
		if got[typ] != status {
			b.t.Errorf("condition %s shows %q, want %s", typ, got[typ], status)
		}
	}
}

// expectEvent checks that an event of typ is listed.
func (b *tab) expectEvent(typ string) {
	b.t.Helper()
	n := run(b, "events", chromedp.Evaluate[int](`document.querySelectorAll('#events li.event[data-type="`+typ+`"]').length`))
	if n == 0 {
		b.t.Errorf("no %s event shown; events: %s", typ, b.text("#events"))
	}
}

var uuid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// expectDeploymentIDs checks that Railway deployment ids are shown
// prominently (as deploy chips).
func (b *tab) expectDeploymentIDs() {
	b.t.Helper()
	ids := run(b, "deployment ids", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#events code.deploy')].map(e => e.textContent)`))
	if len(ids) == 0 || !uuid.MatchString(ids[0]) {
		b.t.Errorf("deployment ids shown = %q, want Railway ids", ids)
	}
}

// expectCharts checks that both charts are drawn with at least min points.
func (b *tab) expectCharts(min int) {
	b.t.Helper()
	for _, id := range []string{"chart-latency", "chart-memory"} {
		n := run(b, id, chromedp.Evaluate[int](`(() => { const s = document.querySelector('#`+id+` svg');
			return s && s.querySelector('polyline, circle') ? Number(s.dataset.points) : 0 })()`))
		if n < min {
			b.t.Errorf("%s has %d data points drawn, want at least %d", id, n, min)
		}
	}
}

// expectReadableOnAPhone loads path 375 px wide and checks that nothing
// scrolls sideways.
func (b *tab) expectReadableOnAPhone(path string) {
	b.t.Helper()
	b.do("phone viewport", chromedp.EmulateViewport(375, 812, chromedp.EmulateScale(2)))
	defer b.do("desktop viewport", chromedp.EmulateViewport(1100, 900))
	b.open(path)
	w := run(b, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if w > 375 {
		b.t.Errorf("the page is %d px wide on a 375 px phone: it scrolls sideways", w)
	}
}

// screenshot saves the page as docs/img/status-NAME.png when -update.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	if !*update {
		return
	}
	png := run(b, "screenshot", chromedp.FullScreenshot(100))
	path := filepath.Join(screenshotDir, "status-"+name+".png")
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("wrote %s (%d KiB)", path, len(png)>>10)
}

// TestBrowserRollbackAndRollForward drives the page of a controller on the
// simulator through Healthy, a rollback (Redis killed), a roll forward
// (Redis back) and a manual hold, checking what a person sees at each
// step. With -update it saves a screenshot of each state under docs/img.
func TestBrowserRollbackAndRollForward(t *testing.T) {
	h := startController(t, "")
	b := &tab{t: t, ctx: browsertest.Start(t, 1100, 900), base: h.base}
	h.waitPhase(state.Healthy)
	points := 3
	if *update {
		points = 60 // a fuller chart for the docs
	}
	h.waitFor(60*time.Second, "rounds on the chart", func() bool { return h.latencyPoints() >= points })
	h.waitFor(60*time.Second, "a drift report", func() bool { return strings.Contains(h.page(), `id="report-summary"`) })

	b.open("/")
	b.expectPhase(state.Healthy)
	b.expectConditions(map[string]string{state.CondReady: state.True, state.CondRedisHealthy: state.True, state.CondRolledBack: state.False})
	b.expectEvent("Bound")
	b.expectDeploymentIDs()
	b.expectCharts(points)
	if got := b.text("#report-summary"); got != "in sync and healthy" {
		t.Errorf("last report summary = %q, want the report's verdict", got)
	}
	median, slowest := h.pageTime(20)
	t.Logf("GET / on the running controller: median %s, slowest %s (20 requests)", median, slowest)
	b.expectReadableOnAPhone("/")
	b.open("/")
	b.screenshot("healthy")

	// Redis dies: the open page follows by itself (auto-refresh).
	h.redis.Kill()
	h.waitPhase(state.RolledBack)
	b.waitPhase(state.RolledBack)
	b.expectConditions(map[string]string{state.CondRedisHealthy: state.False, state.CondRolledBack: state.True})
	b.expectEvent("RolledBack")
	if got := b.text("#rollbacks-in-window"); !strings.HasPrefix(got, "1 of 3") {
		t.Errorf("rollbacks in the window = %q, want 1 of 3", got)
	}
	b.expectCharts(points)
	b.open("/")
	b.screenshot("rolledback")

	// Redis is back: the controller rolls forward.
	if err := h.redis.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.waitFor(60*time.Second, "the roll forward", func() bool {
		st, _ := h.ctrl.Status()
		return st.Phase == state.Healthy && st.Mode == state.Bound && hasEvent(st.Events, "RolledForward")
	})
	b.open("/")
	b.expectPhase(state.Healthy)
	b.expectEvent("RolledForward")
	b.expectConditions(map[string]string{state.CondRolledBack: state.False})

	// A person holds it.
	ctx, cancel := context.WithTimeout(t.Context(), step)
	defer cancel()
	if err := controller.SendControl(ctx, controller.ControlSocketPath(h.state), controller.ActionRollback, "investigating a memory leak"); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	h.waitPhase(state.Held)
	b.open("/")
	b.expectPhase(state.Held)
	if held := b.text("#held"); !strings.Contains(held, "reconciler rollforward") || !strings.Contains(held, "investigating a memory leak") {
		t.Errorf("the hold says %q, want its reason and how to leave it", held)
	}
	b.expectEvent("Held")
	b.screenshot("held")
	if html := run(b, "page", chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, h.redis.Password()) || strings.Contains(html, railwayToken) {
		t.Error("the page shows the Redis password or the Railway token")
	}
}

func hasEvent(evs []state.Event, typ string) bool {
	for _, e := range evs {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// TestBrowserLogin: with a token, a browser gets the login form; a wrong
// token is refused, the right one opens the page with an HttpOnly
// session cookie that also opens /status, and signing out closes it.
func TestBrowserLogin(t *testing.T) {
	const pageToken = "page-token-5e1c9a7b3d2f4e6a"
	h := startController(t, pageToken)
	b := &tab{t: t, ctx: browsertest.Start(t, 1100, 900), base: h.base}

	resp := run(b, "open /", chromedp.NavigateResponse(h.base+"/"))
	if resp.Status != http.StatusUnauthorized {
		t.Errorf("GET / without credentials = %d, want 401", resp.Status)
	}
	b.do("wrong token", chromedp.WaitVisible(chromedp.ID("token")), chromedp.SendKeys(chromedp.ID("token"), "not-the-token"),
		chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.ID("login-error")))
	if got := b.text("#login-error"); got != "Wrong token." {
		t.Errorf("login error = %q, want Wrong token.", got)
	}
	b.do("right token", chromedp.SendKeys(chromedp.ID("token"), pageToken), chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.CSS("#phase .name")))
	if c := run(b, "document.cookie", chromedp.Evaluate[string](`document.cookie`)); c != "" {
		t.Errorf("scripts can read the session cookie %q; want it HttpOnly", c)
	}
	code := run(b, "fetch /status", chromedp.Evaluate[int](`fetch('/status').then(r => r.status)`, chromedp.EvalAwaitPromise))
	if code != http.StatusOK {
		t.Errorf("/status with the session = %d, want 200", code)
	}
	for path, want := range map[string]int{"/status": 401, "/metrics": 401, "/": 401, "/healthz": 200} {
		resp, err := http.Get(h.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s without credentials = %d, want %d", path, resp.StatusCode, want)
		}
	}
	// Scripts and Prometheus use the bearer token; `/` answers JSON to them
	// (the status document, 503 until the controller has started).
	h.waitFor(30*time.Second, "the controller started", func() bool { _, ok := h.ctrl.Status(); return ok })
	for path, accept := range map[string]string{"/": "application/json", "/status": "", "/metrics": ""} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, h.base+path, nil)
		req.Header.Set("Authorization", "Bearer "+pageToken)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Name string }
		if accept != "" {
			_ = json.NewDecoder(resp.Body).Decode(&doc)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || accept != "" && doc.Name != "smartlic-production" {
			t.Errorf("GET %s with the bearer token = %d (name %q), want 200 and the status document for JSON", path, resp.StatusCode, doc.Name)
		}
	}
	b.do("sign out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.ID("token")))
	if resp := run(b, "reopen /", chromedp.NavigateResponse(h.base+"/")); resp.Status != http.StatusUnauthorized {
		t.Errorf("GET / after signing out = %d, want 401", resp.Status)
	}
}
