package demo

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/state"
)

// storyTimeout bounds each step in tests: generous, for a loaded machine.
const storyTimeout = 60 * time.Second

// wantPhases is the story, as a subsequence of the phases the controller
// goes through (a loaded machine may add a transient one).
var wantPhases = []state.Phase{
	state.Pending, state.Provisioning, state.Healthy, state.Degraded,
	state.RolledBack, state.Recovering, state.Healthy,
}

// syncBuffer is a bytes.Buffer safe for the narrator's writer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// phaseLog records OnPhase calls.
type phaseLog struct {
	mu     sync.Mutex
	phases []state.Phase
}

func (p *phaseLog) add(ph state.Phase) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phases = append(p.phases, ph)
}

func (p *phaseLog) get() []state.Phase {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.phases)
}

func TestDemoRedisServer(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server is required in CI: %v", err)
		}
		t.Skip("redis-server not installed; TestDemoEmbeddedRedis covers the fallback")
	}
	t.Parallel()
	out := runStory(t, false)
	if !strings.Contains(out, "Redis: redis-server from PATH") {
		t.Errorf("the narration does not say redis-server is used")
	}
}

func TestDemoEmbeddedRedis(t *testing.T) {
	t.Parallel()
	out := runStory(t, true)
	if !strings.Contains(out, "Redis: embedded Go Redis (miniredis") {
		t.Errorf("the narration does not say the embedded redis is used")
	}
}

// runStory runs the whole demo and checks the story it told.
func runStory(t *testing.T, embedded bool) string {
	t.Helper()
	var out syncBuffer
	var phases phaseLog
	start := time.Now()
	err := Run(t.Context(), Options{
		Out: &out, Logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), EmbeddedRedis: embedded,
		Dir: t.TempDir(), StepTimeout: storyTimeout, OnPhase: phases.add,
	})
	text := out.String()
	t.Logf("demo took %s; narration:\n%s", time.Since(start).Round(100*time.Millisecond), text)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := append([]state.Phase{state.Pending}, phases.get()...)
	if !isSubsequence(wantPhases, got) {
		t.Errorf("phases %v, want %v in this order", got, wantPhases)
	}
	if got[len(got)-1] != state.Healthy {
		t.Errorf("final phase %s, want Healthy", got[len(got)-1])
	}
	for _, want := range []string{
		"Redis not configured: using in-memory cache",
		"Redis pool connected: 127.0.0.1:",
		"AddonCreated:",
		`"redis":"connected"`,
		`"redis":"unavailable"`,
		`backend REDIS_URL="" (the documented rollback`,
		`"redis":"disabled"`,
		"source memory",
		"RolledBack: roll back: 3 unhealthy rounds",
		"RolledForward:",
		"OK smartlic-demo: in sync and healthy",
		"Done in ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the narration lacks %q", want)
		}
	}
	assertNoSecret(t, text)
	return text
}

// assertNoSecret checks that every Redis URL shown is redacted and that no
// token is printed.
func assertNoSecret(t *testing.T, text string) {
	t.Helper()
	for _, m := range regexp.MustCompile(`redis://[^\s"]*`).FindAllString(text, -1) {
		if !strings.HasPrefix(m, "redis://default:***@") {
			t.Errorf("unredacted redis url %q", m)
		}
	}
	if strings.Contains(text, "RAILWAY_API_TOKEN=") || regexp.MustCompile(`demo-[0-9a-f]{32}`).MatchString(text) {
		t.Error("the demo token is printed outside --keep")
	}
}

func isSubsequence(want, got []state.Phase) bool {
	i := 0
	for _, p := range got {
		if i < len(want) && p == want[i] {
			i++
		}
	}
	return i == len(want)
}

// TestStuckStep: a step that cannot happen in time fails Run with ErrStuck
// and a message naming it, and everything is stopped.
func TestStuckStep(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	err := Run(t.Context(), Options{
		Out: &out, Logger: zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)), EmbeddedRedis: true,
		Dir: t.TempDir(), StepTimeout: time.Millisecond,
	})
	if !errors.Is(err, ErrStuck) {
		t.Fatalf("Run: %v, want ErrStuck", err)
	}
	if !strings.Contains(out.String(), "FAILED    demo: a step did not happen in time: the Redis addon is created and deployed") {
		t.Errorf("narration:\n%s", out.String())
	}
}

func TestIsSubsequence(t *testing.T) {
	p := []state.Phase{state.Pending, state.Healthy}
	if !isSubsequence(p, []state.Phase{state.Pending, state.Provisioning, state.Healthy}) ||
		isSubsequence(p, []state.Phase{state.Healthy, state.Pending}) {
		t.Error("isSubsequence")
	}
}

// TestRedisFallback: without redis-server in PATH the demo uses the
// embedded Redis, which refuses connections while down and comes back on
// its port with its password.
func TestRedisFallback(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	r, err := startRedis(t.Context(), false, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !strings.Contains(r.Describe(), "redis-server is not in PATH") {
		t.Errorf("Describe: %q", r.Describe())
	}
	ping := func() error {
		c := redis.NewClient(&redis.Options{Addr: net.JoinHostPort(r.Host(), strconv.Itoa(r.Port())), Password: r.Password(), MaxRetries: -1, DialerRetries: 1})
		defer c.Close()
		return c.Ping(t.Context()).Err()
	}
	if err := ping(); err != nil {
		t.Fatalf("ping: %v", err)
	}
	port := r.Port()
	if err := r.Down(); err != nil {
		t.Fatal(err)
	}
	if err := ping(); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("ping while down: %v, want connection refused", err)
	}
	if err := r.Up(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := ping(); err != nil || r.Port() != port {
		t.Errorf("after Up: ping %v, port %d (was %d)", err, r.Port(), port)
	}
}
