package demo

import (
	"fmt"
	"strings"
)

// KeepPrompt is the last line Run prints in Keep mode, once everything is
// ready to explore.
const KeepPrompt = "Everything keeps running. Press Ctrl-C to stop."

// keep prints how to explore the running sandbox: addresses, then commands
// that run as they are printed. The environment they need (the project id
// the spec interpolates, the demo's throwaway token) is given to each with
// an `env` prefix and never exported: the token is valid only for this
// simulator, and must not linger in a shell whose later commands would
// send it to the real Railway.
func (s *sandbox) keep() {
	var b strings.Builder
	fmt.Fprintf(&b, "\nThe sandbox is still running:\n\n")
	fmt.Fprintf(&b, "  controller   %s/status   %s/metrics   %s/readyz\n", s.ctrl.url, s.ctrl.url, s.ctrl.url)
	fmt.Fprintf(&b, "  backend app  %s   %s/v1/cache/KEY (GET, PUT)\n", s.app.HealthURL(), s.app.URL())
	fmt.Fprintf(&b, "  railway      %s (simulated)\n", s.sim.URL())
	fmt.Fprintf(&b, "  redis        %s (%s)\n", redactedRedis(s.redis), s.redis.Describe())
	fmt.Fprintf(&b, "  spec         %s\n\n", s.specPath)
	b.WriteString("Try, from another terminal. Each line runs as it is: the variables a command\n")
	b.WriteString("needs come with it (env ...), nothing is exported, and the token is a throwaway\n")
	b.WriteString("that only this simulator accepts.\n\n")
	for _, c := range s.keepCommands() {
		b.WriteString("  " + c + "\n")
	}
	if s.opts.Program != "reconciler" {
		fmt.Fprintf(&b, "\n(%s is this binary: reconciler is not on your PATH. In the repository,\n", s.opts.Program)
		b.WriteString("`go install ./cmd/reconciler` puts it in $(go env GOPATH)/bin.)\n")
	}
	b.WriteString("\nEdit the spec to see a live reload (an invalid edit is rejected and shown on /status).\n\n")
	b.WriteString(KeepPrompt + "\n")
	s.n.raw(b.String())
}

// keepCommands are the commands keep prints, each complete.
func (s *sandbox) keepCommands() []string {
	env := fmt.Sprintf("env RAILWAY_PROJECT_ID=%s RAILWAY_API_TOKEN=%s ", s.projectID, s.token)
	file := " -f " + shellQuote(s.specPath)
	var out []string
	for _, args := range []string{"validate", "status", "plan", "report --out -",
		"rollback --reason test", "status", "rollforward"} {
		cmd, rest, _ := strings.Cut(args, " ")
		out = append(out, strings.TrimSpace(env+shellQuote(s.opts.Program)+" "+cmd+file+" "+rest))
	}
	return append(out,
		fmt.Sprintf("curl -s %s/status", s.ctrl.url),
		fmt.Sprintf("curl -s %s/metrics | grep ^reconciler_phase", s.ctrl.url),
		fmt.Sprintf("curl -s %s", s.app.HealthURL()))
}

// shellQuote quotes a path for sh when it holds anything but plain
// characters (a TMPDIR with a space).
func shellQuote(s string) string {
	if strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
