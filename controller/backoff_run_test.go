package controller_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/smartlic/reconciler/controller"
	"github.com/smartlic/reconciler/railway/railwaytest"
	"github.com/smartlic/reconciler/state"
)

// offsetClock is the wall clock plus an offset the test moves forward: the
// controller's cron fires on the wall clock (every 200 ms here), while its
// backoff reads this clock, so minutes of backoff pass in a jump.
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) Now() time.Time       { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) Jump(d time.Duration) { c.off.Add(int64(d)) }

// Issue 11, item 5, in `run`: once Railway refuses the token, the passes
// back off 1 min, then 2 min (doubling to 10 min), whatever the reconcile
// schedule (here every 200 ms), with Ready=False and its reason and one
// log line for the unchanged error; probe rounds go on; a spec reload
// tries again at once.
func TestRunBacksOffAfterAPermanentError(t *testing.T) {
	h := newHarness(t)
	clk := &offsetClock{}
	h.start(func(o *controller.Options) { o.Now = clk.Now })
	h.converge()

	// The token stops working for Bearer requests: every pass is refused.
	h.sim.AddToken(testToken, railwaytest.ProjectToken, h.projectID, h.envID)
	h.waitFor(10*time.Second, "Ready=False Unauthorized", func() bool {
		st, _ := h.ctrl.Status()
		for _, c := range st.Conditions {
			if c.Type == state.CondReady {
				return c.Status == state.False && c.Reason == state.ReasonUnauthorized
			}
		}
		return false
	})
	n := h.sim.RequestCount()
	// quiet waits for 5 reconcile ticks held back by the backoff, and a
	// probe round, and checks that nothing reached Railway meanwhile.
	quiet := func(what string, want int) {
		t.Helper()
		skipped, probed := h.logged(skippedPass, "", ""), h.lastProbe()
		h.waitFor(15*time.Second, what+": 5 passes skipped and a probe round", func() bool {
			return h.logged(skippedPass, "", "") >= skipped+5 && h.lastProbe().After(probed)
		})
		if got := h.sim.RequestCount(); got != want {
			t.Fatalf("%s: %d requests to Railway, want %d", what, got, want)
		}
	}
	quiet("within the first minute of backoff", n)
	clk.Jump(61 * time.Second)
	h.waitFor(10*time.Second, "the pass after 1 min", func() bool { return h.sim.RequestCount() == n+1 })
	quiet("within the next 2 min of backoff", n+1)
	clk.Jump(61 * time.Second)
	quiet("1 min into a 2 min backoff", n+1)
	clk.Jump(61 * time.Second)
	h.waitFor(10*time.Second, "the pass after 2 min", func() bool { return h.sim.RequestCount() == n+2 })
	if got := h.logged("reconcile pass failed permanently: backing off until the spec, the token or the project changes", "", ""); got != 1 {
		t.Errorf("%d backoff log lines for one unchanged error, want 1", got)
	}

	h.writeSpec(3, "") // a reload: a person may have fixed something
	h.waitFor(10*time.Second, "a pass at once after the reload", func() bool { return h.sim.RequestCount() > n+2 })
}

const skippedPass = "reconcile pass skipped: backing off after a permanent error"

// lastProbe is when the last probe round ran.
func (h *harness) lastProbe() time.Time {
	st, _ := h.ctrl.Status()
	if st.LastProbe == nil {
		return time.Time{}
	}
	return st.LastProbe.At
}
