package statuspage

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/state"
)

// leakyView is a unit whose every free-text field quotes a URL with a
// password in its userinfo or its query: what a careless message upstream
// would produce.
func leakyView() View {
	u := "redis://default:" + leaked + "@redis.railway.internal:6379/0"
	q := "https://hooks.example.com/x?token=" + leaked
	v := rolledBackView()
	st := &v.Status
	st.SpecValid, st.SpecErrors = false, []string{"desired.yaml:3:1: health.redis.url: bad " + u}
	for i := range st.Conditions {
		st.Conditions[i].Reason = "R " + u
		st.Conditions[i].Message = "dial " + u + " and " + q
	}
	st.Drift = []state.DriftItem{{Kind: "variable " + u, Service: "backend " + u, Name: "REDIS_URL " + q, Desired: u, Actual: q, Message: u}}
	st.Blocked = []string{"blocked on " + u}
	st.LastProbe = &state.Probe{At: t0, Verdict: "unhealthy " + u, Reason: "reason " + u,
		Checks: []state.ProbeCheck{{Name: "redis " + u, Message: "refused by " + u, Step: u}}}
	st.Events = append(st.Events, state.Event{At: t0, Type: "Degraded " + u, Message: "quoted (" + u + "), " + q + "."})
	st.Railway.ObservationError = "post " + q + ": timeout"
	st.Deploys = []reconcile.DeployStatus{{Service: "backend " + u, DeploymentID: deployID, Status: "FAILED " + u, Reason: u}}
	st.HoldReason = "held: " + u
	v.Health.Decision, v.Health.HoldReason, v.Health.LastReason = "decided "+u, "hold "+q, "last "+u
	v.History.ObservePhase(t0.Add(-time.Second), state.RolledBack, "roll back: "+u)
	v.History.ObserveReport(t0, "DRIFT "+u, "summary with "+q)
	return v
}

// TestNoSecretOnAnyPage renders every page and document of units whose
// texts quote secrets and asserts the password appears nowhere, in any
// encoding a browser would decode.
func TestNoSecretOnAnyPage(t *testing.T) {
	for _, held := range []bool{false, true} {
		v := leakyView()
		if held {
			v.Status.Phase, v.Health.Mode = state.Held, state.ModeHeld
		}
		other := leakyView()
		other.Status.Name = "smartlic/staging " + "redis://u:" + leaked + "@h"
		src := &fakeSource{names: []string{v.Status.Name, other.Status.Name}, views: map[string]View{v.Status.Name: v, other.Status.Name: other}}
		srv := newServer(t, Options{Source: src})
		single := newServer(t, Options{Source: oneUnit(v)})
		pages := []string{srv.URL + "/", srv.URL + UnitPath(v.Status.Name), srv.URL + UnitPath(other.Status.Name), single.URL + "/"}
		for _, page := range pages {
			for _, accept := range []string{browserAccept, "application/json"} {
				resp, body := fetch(t, page, "Accept", accept)
				if resp.StatusCode != 200 {
					t.Errorf("%s (%s) = %d", page, accept, resp.StatusCode)
				}
				for _, form := range []string{leaked, url.QueryEscape(leaked), strings.ToUpper(leaked)} {
					if strings.Contains(body, form) || strings.Contains(strings.ToUpper(body), strings.ToUpper(form)) {
						t.Errorf("%s (%s, held %v) shows the password", page, accept, held)
					}
				}
				if accept == browserAccept && !strings.Contains(body, "***") {
					t.Errorf("%s: no masked value shown (is the leaky fixture rendered?)", page)
				}
			}
		}
	}
}
