package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
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
// instructions it prints: validate, status and plan on the generated spec
// with the printed environment, and the controller's /status; Ctrl-C
// (the context) ends it with exit 0.
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
	exp := regexp.MustCompile(`export RAILWAY_PROJECT_ID=(\S+) RAILWAY_API_TOKEN=(\S+) RECONCILER_FILE=(\S+)`).FindStringSubmatch(text)
	status := regexp.MustCompile(`controller   (http://\S+)/status`).FindStringSubmatch(text)
	if exp == nil || status == nil {
		t.Fatalf("no export line or controller url:\n%s", text)
	}
	env := map[string]string{"RAILWAY_PROJECT_ID": exp[1], "RAILWAY_API_TOKEN": exp[2], "RECONCILER_FILE": exp[3]}
	for _, args := range [][]string{{"validate"}, {"status"}, {"plan"}} {
		if got := runNow(t, env, args...); got.code != ExitOK {
			t.Errorf("%s: exit %d\n%s%s", args[0], got.code, got.stdout, got.stderr)
		}
	}
	assertStatus(t, status[1]+"/status")
	cancel()
	if c := <-code; c != ExitOK {
		t.Errorf("demo --keep exited %d after Ctrl-C", c)
	}
}

// runNow is run with the real clock (the demo's simulator uses it).
func runNow(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := Run(t.Context(), Options{Args: args, Stdout: &stdout, Stderr: &stderr,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	return result{c, stdout.String(), stderr.String()}
}

func assertStatus(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Phase string `json:"phase"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || doc.Phase != "Healthy" {
		t.Errorf("/status: phase %q, err %v", doc.Phase, err)
	}
}
