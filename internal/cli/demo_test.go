package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/demo"
)

// promptWriter is a buffer that closes ready once the --keep prompt is
// written.
type promptWriter struct {
	mu    sync.Mutex
	b     bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (w *promptWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if strings.Contains(w.b.String(), demo.KeepPrompt) {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

func (w *promptWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestDemoKeep runs `demo --keep --embedded-redis`, then follows the
// instructions it prints, each line as it is (its env prefix is its whole
// environment): validate, status, plan, report, rollback, rollforward on the
// generated spec, and the controller's /status. It also checks what the
// issue asked of that text: no export line (the throwaway token must not
// outlive the demo), no meaningless budget figures, a lock that names the
// demo, and a rollforward with nothing rolled back that is a no-op handed
// to the running controller. Ctrl-C (the context) ends it with exit 0.
func TestDemoKeep(t *testing.T) {
	t.Parallel()
	out := &promptWriter{ready: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	code := make(chan int, 1)
	go func() {
		code <- Run(ctx, Options{
			Args: []string{"demo", "--keep", "--embedded-redis"}, Stdout: out, Stderr: io.Discard,
			Logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)),
		})
	}()
	select {
	case <-out.ready:
	case c := <-code:
		t.Fatalf("demo exited %d before the prompt:\n%s", c, out.String())
	case <-time.After(3 * time.Minute): // a failure bound only
		t.Fatalf("no prompt:\n%s", out.String())
	}
	text := out.String()
	for _, bad := range []string{"export ", "budget", "headroom"} {
		if strings.Contains(text, bad) {
			t.Errorf("the demo prints %q:\n%s", bad, text)
		}
	}
	if !regexp.MustCompile(`(?m)^Railway: \d+ requests to the simulated Railway during the demo\.$`).MatchString(text) {
		t.Errorf("no plain Railway line in the report:\n%s", text)
	}
	status := regexp.MustCompile(`controller   (http://\S+)/status`).FindStringSubmatch(text)
	cmds := printedCommands(text)
	if status == nil || len(cmds) < 7 {
		t.Fatalf("no controller url or too few commands (%d):\n%s", len(cmds), text)
	}
	var env map[string]string
	var spec string
	for _, c := range cmds {
		got := runNow(t, c.env, c.args...)
		env, spec = c.env, c.args[slices.Index(c.args, "-f")+1]
		if got.code != ExitOK {
			t.Errorf("%s: exit %d\n%s%s", c.line, got.code, got.stdout, got.stderr)
		}
		if c.args[0] == "rollforward" && !strings.Contains(got.stdout, "done by the running controller") {
			t.Errorf("%s: %s", c.line, got.stdout)
		}
	}
	// Healthy again: a second rollforward has nothing to do, through the controller.
	if got := runNow(t, env, "rollforward", "-f", spec); got.code != ExitOK || !strings.Contains(got.stdout, "nothing to roll forward") {
		t.Errorf("rollforward with nothing rolled back: %+v", got)
	}
	if got := runNow(t, env, "apply", "-f", spec); got.code != ExitFailure || !strings.Contains(got.stderr, "(reconciler demo --keep)") {
		t.Errorf("apply while the demo runs must name it as the lock's holder: %+v", got)
	}
	assertStatus(t, status[1]+"/status")
	cancel()
	if c := <-code; c != ExitOK {
		t.Errorf("demo --keep exited %d after Ctrl-C", c)
	}
}

// printed is one `env VAR=V ... reconciler ARGS` line of the --keep text.
type printed struct {
	line string
	env  map[string]string
	args []string
}

// printedCommands parses the reconciler lines --keep prints, as a shell
// would: the env assignments are the command's whole environment.
func printedCommands(text string) []printed {
	var out []printed
	for _, line := range strings.Split(text, "\n") {
		toks := shellFields(strings.TrimSpace(line))
		if len(toks) < 2 || toks[0] != "env" {
			continue
		}
		p := printed{line: strings.TrimSpace(line), env: map[string]string{}}
		i := 1
		for ; i < len(toks) && envAssign.MatchString(toks[i]); i++ {
			k, v, _ := strings.Cut(toks[i], "=")
			p.env[k] = v
		}
		if i < len(toks) && toks[i] == "reconciler" {
			p.args = toks[i+1:]
			out = append(out, p)
		}
	}
	return out
}

// runNow is run with the real clock (the demo's simulator uses it).
func runNow(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := Run(t.Context(), Options{Args: args, Stdout: &stdout, Stderr: &stderr,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	return result{c, stdout.String(), stderr.String()}
}

// assertStatus waits for the controller's /status to say Healthy (after a
// rollforward the backend's deploy takes a moment: Provisioning first).
func assertStatus(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a failure bound only
	phase := ""
	for time.Now().Before(deadline) {
		if phase = statusPhase(t, url); phase == "Healthy" {
			return
		}
		time.Sleep(100 * time.Millisecond) // polling an outside process's state: no event to wait on
	}
	t.Errorf("/status: phase %q, want Healthy", phase)
}

func statusPhase(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Phase string `json:"phase"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("/status: %v", err)
	}
	return doc.Phase
}
