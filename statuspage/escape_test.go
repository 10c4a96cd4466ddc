package statuspage

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smartlic/reconciler/internal/browser/browsertest"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// hostile is markup that would escape its context if a data string were
// written raw: a script, a double- and a single-quoted attribute break-out
// with event handlers, the end of the <style> and <title> elements, an
// image with an error handler, an entity and a '+'.
const hostile = `<script>alert(1)</script>" onmouseover="x' onfocus='y</style></title><img src=x onerror=alert(2)>&amp;+`

// hostileView is a unit whose name and every free-text field is hostile.
func hostileView(name string, phase state.Phase) View {
	v := rolledBackView()
	st := &v.Status
	st.Name, st.Phase = name, phase
	st.SpecValid, st.SpecErrors = false, []string{hostile}
	for i := range st.Conditions {
		st.Conditions[i].Reason, st.Conditions[i].Message = hostile, hostile
	}
	st.Drift = []state.DriftItem{{Kind: hostile, Service: hostile, Name: hostile, Desired: hostile, Actual: hostile, Message: hostile}}
	st.Blocked = []string{hostile}
	st.LastProbe = &state.Probe{At: t0, Verdict: hostile, Reason: hostile, Checks: []state.ProbeCheck{{Name: hostile, Message: hostile}}}
	st.Events = append(st.Events, state.Event{At: t0, Type: hostile, Message: hostile})
	st.Railway.ObservationError = hostile
	st.Deploys = []reconcile.DeployStatus{{Service: hostile, DeploymentID: hostile, Status: hostile, Reason: hostile}}
	v.Health.Decision, v.Health.HoldReason = hostile, hostile
	if phase == state.Held {
		v.Health.Mode = state.ModeHeld
	}
	v.History.ObservePhase(t0.Add(-time.Second), phase, hostile)
	v.History.ObserveReport(t0, hostile, hostile)
	return v
}

// hostilePages serves a fleet of two hostile units (one rolled back, one
// held) and a login form, and returns the base URL and the paths of the
// listing, both unit pages and the login form (whose next is hostile).
func hostilePages(t *testing.T) (base string, paths []string) {
	t.Helper()
	held := hostile + " (held)"
	src := &fakeSource{names: []string{hostile, held},
		views: map[string]View{hostile: hostileView(hostile, state.RolledBack), held: hostileView(held, state.Held)}}
	srv := newServer(t, Options{Source: src})
	auth := NewAuth(AuthOptions{Token: spec.NewSecret(token)})
	login := newServer(t, Options{Source: src, Auth: auth})
	next := "/units/" + hostile
	return srv.URL, []string{srv.URL + "/", srv.URL + UnitPath(hostile), srv.URL + UnitPath(held),
		login.URL + "/login?next=" + url.QueryEscape(next)}
}

// TestHostileTextRendersInert checks the HTML as written: every hostile
// string is escaped, so that none of its markup is there raw.
func TestHostileTextRendersInert(t *testing.T) {
	_, paths := hostilePages(t)
	escaped := `&lt;script&gt;alert(1)&lt;/script&gt;&#34; onmouseover=&#34;x&#39; onfocus=&#39;y&lt;/style&gt;&lt;/title&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;+`
	for i, path := range paths {
		resp, body := fetch(t, path, "Accept", browserAccept)
		if resp.StatusCode != 200 {
			t.Fatalf("%s = %d", path, resp.StatusCode)
		}
		scripts := 1
		if strings.Contains(path, "/login") {
			scripts = 0
		}
		for what, n := range map[string]int{"<script": scripts, "</style>": 1, "</title>": 1, "<img": 0, "onmouseover=\"": 0, "onfocus='": 0, "&amp;+": 0} {
			if got := strings.Count(body, what); got != n {
				t.Errorf("page %d (%s): %q appears %d times, want %d", i, path, what, got, n)
			}
		}
		if !strings.Contains(body, escaped) {
			t.Errorf("page %d (%s) does not show the hostile text escaped as %s", i, path, escaped)
		}
	}
}

// pageShape is what the browser parsed from a page.
type pageShape struct {
	Tags, Attrs  []string
	Scripts      int
	Foreign      int
	Title, H1    string
	Names, Links []string
	Next         string
}

// shapeJS collects the element and attribute names of the page, its
// scripts (and how many are not ours), and the texts that carry a
// hostile string.
const shapeJS = `(() => {
	const all = [...document.querySelectorAll('*')];
	const h1 = document.querySelector('#phase h1');
	const next = document.querySelector('input[name="next"]');
	return {
		tags: [...new Set(all.map(e => e.localName))],
		attrs: [...new Set(all.flatMap(e => [...e.attributes].map(a => a.name.toLowerCase())))],
		scripts: document.scripts.length,
		foreign: [...document.scripts].filter(s => !s.nonce || !s.textContent.includes("localStorage.getItem('reconciler.refresh')")).length,
		title: document.title,
		h1: h1 ? h1.textContent : '',
		names: [...document.querySelectorAll('tr.unit')].map(r => r.dataset.name),
		links: [...document.querySelectorAll('tr.unit a')].map(a => a.getAttribute('href')),
		next: next ? next.value : '',
	};
})()`

// ourTags and ourAttrs are every element and attribute the pages write.
var (
	ourTags = strings.Fields(`html head meta title style body header span a label input form button main section h1 h2 p
		table thead tbody tr th td time div strong ul li code dl dt dd details summary figure figcaption svg line rect
		polyline circle script`)
	ourAttrs = strings.Fields(`lang charset name content class id href type checked method action nonce role style title
		datetime viewbox preserveaspectratio x1 y1 x2 y2 x y cx cy r width height fill stroke stroke-width stroke-dasharray
		stroke-linejoin vector-effect points value for autocomplete autofocus required aria-label aria-hidden
		data-name data-phase data-type data-status data-points`)
)

// TestBrowserHostileTextIsInert loads the hostile pages in headless
// Chromium and checks what it parsed: no element, attribute or script
// that the page does not write itself, and each hostile string shown as
// text, or kept as an attribute's value, exactly.
func TestBrowserHostileTextIsInert(t *testing.T) {
	_, paths := hostilePages(t)
	tab := browsertest.Start(t, 1100, 900)
	for i, path := range paths {
		ctx, cancel := context.WithTimeout(tab, 60*time.Second)
		var shape pageShape
		err := chromedp.Do(ctx, chromedp.Navigate(path))
		if err == nil {
			shape, err = chromedp.Run(ctx, chromedp.Evaluate[pageShape](shapeJS))
		}
		cancel()
		if err != nil {
			t.Fatalf("page %d (%s): %v", i, path, err)
		}
		for _, tag := range shape.Tags {
			if !slices.Contains(ourTags, tag) {
				t.Errorf("page %d (%s) has a <%s> element the page does not write", i, path, tag)
			}
		}
		for _, a := range shape.Attrs {
			if !slices.Contains(ourAttrs, a) {
				t.Errorf("page %d (%s) has an attribute %q the page does not write", i, path, a)
			}
		}
		login := strings.Contains(path, "/login")
		if shape.Foreign != 0 || shape.Scripts != map[bool]int{false: 1, true: 0}[login] {
			t.Errorf("page %d (%s) has %d scripts, %d not ours", i, path, shape.Scripts, shape.Foreign)
		}
		checkHostileShown(t, i, path, shape, login)
	}
}

// checkHostileShown checks that the hostile strings came through as text.
func checkHostileShown(t *testing.T, i int, path string, s pageShape, login bool) {
	t.Helper()
	switch {
	case login:
		if s.Next != "/units/"+hostile {
			t.Errorf("page %d (%s): the form's next is %q, want /units/%s", i, path, s.Next, hostile)
		}
	case strings.HasSuffix(path, "/"):
		if len(s.Names) != 2 || s.Names[0] != hostile || len(s.Links) != 2 || s.Links[0] != UnitPath(hostile) {
			t.Errorf("listing: names %q, links %q; want %q first, linking %s", s.Names, s.Links, hostile, UnitPath(hostile))
		}
	default:
		if !strings.HasPrefix(s.H1, hostile) || !strings.HasPrefix(s.Title, hostile) {
			t.Errorf("page %d (%s): heading %q, title %q; want the unit's name %q", i, path, s.H1, s.Title, hostile)
		}
	}
}
