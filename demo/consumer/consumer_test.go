package consumer

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/internal/redisserver/redistest"
)

func newApp(t *testing.T) (*App, *httptest.Server) {
	t.Helper()
	a, err := New(Options{Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a, httptest.NewServer(a.Handler())
}

func getJSON[T any](t *testing.T, url string) (int, T) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v T
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, v
}

func put(t *testing.T, url, body string) CacheEntry {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e CacheEntry
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT %s: %d %v", url, resp.StatusCode, err)
	}
	return e
}

// TestLifecycle walks the app through the demo's story against a real
// redis-server: unconfigured, bound, Redis killed, rolled back, bound again.
func TestLifecycle(t *testing.T) {
	rs := redistest.Start(t)
	a, srv := newApp(t)
	defer srv.Close()

	lines := a.Restart(t.Context(), map[string]string{"PORT": "8000"})
	if want := []string{"Starting backend with 2 workers", LineNotConfigured}; strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("unset REDIS_URL logged %q", lines)
	}
	if _, h := getJSON[Health](t, srv.URL+"/v1/health"); h.Redis != RedisDisabled || h.RedisConnected || h.Cache != SourceMemory {
		t.Errorf("disabled health %+v", h)
	}

	lines = a.Restart(t.Context(), map[string]string{"REDIS_URL": rs.URL()})
	want := "Redis pool connected: " + rs.Addr() + " (max_connections=20)"
	if len(lines) != 2 || lines[1] != want {
		t.Errorf("bound: logged %q, want %q", lines, want)
	}
	code, h := getJSON[Health](t, srv.URL+"/v1/health")
	if code != 200 || h.Status != "ok" || h.Redis != RedisConnected || !h.RedisConnected || h.RedisMemoryUsedMB <= 0 || h.Workers != 2 {
		t.Errorf("connected health %d %+v", code, h)
	}
	if e := put(t, srv.URL+"/v1/cache/greeting", "hello"); e.Source != SourceRedis {
		t.Errorf("put while connected: %+v", e)
	}
	if _, e := getJSON[CacheEntry](t, srv.URL+"/v1/cache/greeting"); e.Value != "hello" || e.Source != SourceRedis {
		t.Errorf("get while connected: %+v", e)
	}

	rs.Kill()
	code, h = getJSON[Health](t, srv.URL+"/v1/health")
	if code != 200 || h.Redis != RedisUnavailable || h.RedisConnected || h.Cache != SourceMemory {
		t.Errorf("redis down health %d %+v", code, h)
	}
	if e := put(t, srv.URL+"/v1/cache/k", "v"); e.Source != SourceMemory {
		t.Errorf("put with redis down: %+v", e)
	}
	if _, e := getJSON[CacheEntry](t, srv.URL+"/v1/cache/k"); e.Value != "v" || e.Source != SourceMemory {
		t.Errorf("get with redis down: %+v", e)
	}

	// A deploy while Redis is down: the app starts anyway.
	lines = a.Restart(t.Context(), map[string]string{"REDIS_URL": rs.URL()})
	if !strings.HasPrefix(lines[1], "Redis unavailable at "+rs.Addr()+": ") || strings.Contains(strings.Join(lines, ""), rs.Password()) {
		t.Errorf("start with redis down logged %q", lines)
	}

	// The rollback: REDIS_URL="".
	a.Restart(t.Context(), map[string]string{"REDIS_URL": ""})
	if _, h := getJSON[Health](t, srv.URL+"/v1/health"); h.Redis != RedisDisabled {
		t.Errorf("rolled back health %+v", h)
	}
	if err := rs.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	a.Restart(t.Context(), map[string]string{"REDIS_URL": rs.URL()})
	if _, h := getJSON[Health](t, srv.URL+"/v1/health"); h.Redis != RedisConnected {
		t.Errorf("rolled forward health %+v", h)
	}
	// Its own listener serves too.
	if code, _ := getJSON[Health](t, a.HealthURL()); code != 200 {
		t.Errorf("own listener: %d", code)
	}
}

// TestEmbeddedRedis runs the app on miniredis, which has no INFO memory.
func TestEmbeddedRedis(t *testing.T) {
	m := miniredis.NewMiniRedis()
	m.RequireUserAuth("default", "pw")
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	a, srv := newApp(t)
	defer srv.Close()
	lines := a.Restart(t.Context(), map[string]string{"REDIS_URL": "redis://default:pw@" + m.Addr()})
	if lines[1] != "Redis pool connected: "+m.Addr()+" (max_connections=20)" {
		t.Errorf("logged %q", lines)
	}
	if _, h := getJSON[Health](t, srv.URL+"/v1/health"); h.Redis != RedisConnected || h.RedisMemoryUsedMB != 0 {
		t.Errorf("health %+v", h)
	}
	lines = a.Restart(t.Context(), map[string]string{"REDIS_URL": "redis://default:wrong@" + m.Addr()})
	if !strings.HasPrefix(lines[1], "Redis unavailable") || strings.Contains(lines[1], "wrong") {
		t.Errorf("bad password logged %q", lines)
	}
	lines = a.Restart(t.Context(), map[string]string{"REDIS_URL": "redis://default:s3cret@host:notaport"})
	if !strings.Contains(lines[1], "does not parse") || strings.Contains(lines[1], "s3cret") {
		t.Errorf("bad url logged %q", lines)
	}
}

func TestCacheMissAndLimits(t *testing.T) {
	_, srv := newApp(t)
	defer srv.Close()
	if code, body := getJSON[map[string]string](t, srv.URL+"/v1/cache/nope"); code != 404 || body["source"] != SourceMemory {
		t.Errorf("miss: %d %v", code, body)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, srv.URL+"/v1/cache/big", strings.NewReader(strings.Repeat("x", maxValueBytes+1)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized value: %d", resp.StatusCode)
	}
}

func TestUsedMemory(t *testing.T) {
	if got := usedMemory("# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n"); got != 1<<20 {
		t.Errorf("got %d", got)
	}
	if got := usedMemory("# Clients\r\n"); got != 0 {
		t.Errorf("got %d", got)
	}
}
