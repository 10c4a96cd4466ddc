package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lineTimeout bounds one documented command (a go install on a loaded
// machine, a benchmark): a failure bound only.
const lineTimeout = 10 * time.Minute

// docShell runs documented commands one at a time, with bash, as in one
// terminal: the working directory and the exported variables carry from
// one command to the next.
type docShell struct {
	t       *testing.T
	cwd     string
	base    []string // the environment each command starts from
	envFile string   // the exports so far (export -p)
	cwdFile string
	loggers map[string]bool // the logger names of the JSON log lines seen
}

func newDocShell(t *testing.T, cwd string, base []string) *docShell {
	dir := t.TempDir()
	return &docShell{t: t, cwd: cwd, base: base, envFile: filepath.Join(dir, "env"),
		cwdFile: filepath.Join(dir, "cwd"), loggers: map[string]bool{}}
}

// script is the bash script that runs line in the shell's state and saves
// that state afterwards; with replace, line replaces the shell (a process
// to signal) and no state is saved.
func (sh *docShell) script(line string, replace bool) string {
	pre := fmt.Sprintf("[ -f %[1]q ] && . %[1]q\ncd %[2]q || exit 97\n", sh.envFile, sh.cwd)
	if replace {
		return pre + "exec " + line + "\n"
	}
	return pre + "set -o pipefail\n" + line + fmt.Sprintf("\n__rc=$?\nexport -p > %[1]q.new && mv %[1]q.new %[1]q\npwd > %[2]q\nexit $__rc\n", sh.envFile, sh.cwdFile)
}

func (sh *docShell) command(ctx context.Context, line string, replace bool) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "bash", "-c", sh.script(line, replace))
	cmd.Env = sh.base
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// run runs one command and returns its exit code and output.
func (sh *docShell) run(line string) result {
	ctx, cancel := context.WithTimeout(sh.t.Context(), lineTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := sh.command(ctx, line, false)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		code = -1
	}
	if b, err := os.ReadFile(sh.cwdFile); err == nil {
		sh.cwd = strings.TrimSpace(string(b))
	}
	sh.noteLoggers(stderr.String())
	return result{code, stdout.String(), stderr.String()}
}

// noteLoggers records the logger names of the JSON log lines in stderr.
func (sh *docShell) noteLoggers(stderr string) {
	for _, l := range strings.Split(stderr, "\n") {
		var e struct {
			Logger string `json:"logger"`
		}
		if json.Unmarshal([]byte(l), &e) == nil && e.Logger != "" {
			sh.loggers[e.Logger] = true
		}
	}
}

// exports is the shell's environment now: its base and its exports.
func (sh *docShell) exports() []string {
	r := sh.run("env")
	if r.code != 0 {
		sh.t.Fatalf("env: %+v", r)
	}
	return strings.Split(strings.TrimSpace(r.stdout), "\n")
}

// keep runs `reconciler demo --keep` (line) in the background, then every
// command it prints, as printed, in another terminal: a shell with this
// one's environment (what a profile gives) but none of the sandbox's
// variables, which the printed commands must carry themselves. Ctrl-C ends
// the demo, which must exit 0. It returns how many printed commands ran.
func (sh *docShell) keep(line string) int {
	t := sh.t
	ctx, cancel := context.WithTimeout(t.Context(), lineTimeout)
	defer cancel()
	out := &promptWriter{ready: make(chan struct{})}
	var stderr bytes.Buffer
	cmd := sh.command(ctx, line, true)
	cmd.Stdout, cmd.Stderr = out, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-out.ready:
	case err := <-done:
		t.Fatalf("%s exited before its prompt (%v):\n%s%s", line, err, out.String(), stderr.String())
	case <-ctx.Done():
		t.Fatalf("%s: no prompt:\n%s", line, out.String())
	}
	var env []string
	for _, kv := range sh.exports() {
		if !strings.HasPrefix(kv, "RAILWAY_") && !strings.HasPrefix(kv, "RECONCILER_") {
			env = append(env, kv)
		}
	}
	other := newDocShell(t, t.TempDir(), env)
	cmds := keepCommands(out.String())
	for _, c := range cmds {
		if r := other.run(c); r.code != 0 {
			t.Errorf("printed by %s: `%s`: exit %d\n%s%s", line, c, r.code, r.stdout, r.stderr)
		}
	}
	_ = syscall.Kill(cmd.Process.Pid, syscall.SIGINT) // Ctrl-C
	if err := <-done; err != nil {
		t.Errorf("%s after Ctrl-C: %v\n%s", line, err, stderr.String())
	}
	return len(cmds)
}

// keepCommands are the commands demo --keep prints to try: the indented
// lines after "Try, from another terminal", up to the next blank line
// after them.
func keepCommands(text string) []string {
	_, rest, ok := strings.Cut(text, "Try, from another terminal")
	if !ok {
		return nil
	}
	var out []string
	for _, l := range strings.Split(rest, "\n") {
		switch {
		case strings.HasPrefix(l, "  "):
			out = append(out, strings.TrimSpace(l))
		case strings.TrimSpace(l) == "" && len(out) > 0:
			return out
		}
	}
	return out
}
