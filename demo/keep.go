package demo

import (
	"fmt"
	"strings"
)

// KeepPrompt is the last line Run prints in Keep mode, once everything is
// ready to explore.
const KeepPrompt = "Everything keeps running. Press Ctrl-C to stop."

// keep prints how to explore the running sandbox. The token printed is the
// demo's throwaway, valid only for this in-process simulator.
func (s *sandbox) keep() {
	var b strings.Builder
	fmt.Fprintf(&b, "\nThe sandbox is still running:\n\n")
	fmt.Fprintf(&b, "  controller   %s/status   %s/metrics   %s/readyz\n", s.ctrl.url, s.ctrl.url, s.ctrl.url)
	fmt.Fprintf(&b, "  backend app  %s   %s/v1/cache/KEY (GET, PUT)\n", s.app.HealthURL(), s.app.URL())
	fmt.Fprintf(&b, "  railway      %s (simulated; the token below is a throwaway for it)\n", s.sim.URL())
	fmt.Fprintf(&b, "  redis        %s (%s)\n", redactedRedis(s.redis), s.redis.Describe())
	fmt.Fprintf(&b, "  spec         %s\n\n", s.specPath)
	fmt.Fprintf(&b, "Try, from another terminal:\n\n")
	fmt.Fprintf(&b, "  export RAILWAY_PROJECT_ID=%s RAILWAY_API_TOKEN=%s RECONCILER_FILE=%s\n", s.projectID, s.token, s.specPath)
	b.WriteString("  reconciler validate\n")
	b.WriteString("  reconciler status\n")
	b.WriteString("  reconciler plan\n")
	b.WriteString("  reconciler report\n")
	fmt.Fprintf(&b, "  curl -s %s/status\n", s.ctrl.url)
	fmt.Fprintf(&b, "  curl -s %s/metrics | grep ^reconciler_phase\n", s.ctrl.url)
	fmt.Fprintf(&b, "  curl -s %s\n\n", s.app.HealthURL())
	fmt.Fprintf(&b, "Edit the spec to see a live reload (an invalid edit is rejected and shown on /status).\n")
	b.WriteString("Rollback and roll forward by hand: reconciler rollback --reason test, then reconciler rollforward\n\n")
	b.WriteString(KeepPrompt + "\n")
	s.n.raw(b.String())
}
