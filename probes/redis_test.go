package probes

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/smartlic/reconciler/spec"
)

func TestRedisProbeHealthy(t *testing.T) {
	s := startRedis(t)
	opts := redisOpts(t, s)
	opts.MaxMemory = 1 << 30
	p := newProbe(t, opts)
	for range 2 { // the second round reuses the client and the subscription
		c := probe(t, p, probeTimeout)
		mustOK(t, c)
		if c.Name != "redis" || c.Kind != KindRedis || c.Step != "" || c.RedisProblem {
			t.Errorf("healthy check has unexpected fields: %+v", c)
		}
		if c.Latency <= 0 || c.UsedMemory <= 0 {
			t.Errorf("latency %v, used_memory %d: want both > 0", c.Latency, c.UsedMemory)
		}
	}
}

func TestRedisProbeCostsThreeRoundTrips(t *testing.T) {
	s := startRedis(t)
	for _, tc := range []struct {
		name       string
		expectKeys string
		want       int64
	}{
		{"ping info publish", "", 3},
		{"plus one scan", "sess:*", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := admin(t, s).Set(t.Context(), "sess:1", "x", 0).Err(); err != nil {
				t.Fatal(err)
			}
			h := &countingHook{}
			opts := redisOpts(t, s)
			opts.ExpectKeys, opts.hook = tc.expectKeys, h
			p := newProbe(t, opts)
			mustOK(t, probe(t, p, probeTimeout)) // connects and subscribes
			h.roundTrips.Store(0)
			h.dials.Store(0)
			mustOK(t, probe(t, p, probeTimeout))
			if got := h.roundTrips.Load(); got != tc.want {
				t.Errorf("round trips per healthy round = %d, want %d", got, tc.want)
			}
			if got := h.dials.Load(); got != 0 {
				t.Errorf("dials per healthy round = %d, want 0 (connections reused)", got)
			}
		})
	}
}

func TestRedisProbeKilledIsConnectionRefused(t *testing.T) {
	s := startRedis(t)
	p := newProbe(t, redisOpts(t, s))
	mustOK(t, probe(t, p, probeTimeout))
	s.Kill()
	// The first round may still meet the dead pooled connection; either way
	// the step is connect. The next one dials and is refused.
	c := probe(t, p, probeTimeout)
	mustFail(t, c, StepConnect)
	if !c.RedisProblem {
		t.Errorf("a refused connection must count against Redis")
	}
	c = probe(t, p, probeTimeout)
	mustFail(t, c, StepConnect)
	if c.Message != "connection refused" {
		t.Errorf("message = %q, want %q", c.Message, "connection refused")
	}
}

func TestRedisProbeHealthyAgainAfterRestart(t *testing.T) {
	s := startRedis(t)
	p := newProbe(t, redisOpts(t, s))
	mustOK(t, probe(t, p, probeTimeout))
	s.Kill()
	for range 3 { // enough failed dials to trip go-redis's dial breaker
		mustFail(t, probe(t, p, probeTimeout), StepConnect)
	}
	if err := s.Restart(t.Context()); err != nil {
		t.Fatalf("restart: %v", err)
	}
	mustOK(t, probe(t, p, probeTimeout)) // the very next round, nothing restarted on our side
}

func TestRedisProbeResubscribesAfterUnnoticedRestart(t *testing.T) {
	s := startRedis(t)
	p := newProbe(t, redisOpts(t, s))
	mustOK(t, probe(t, p, probeTimeout))
	// Redis restarts between two rounds: the pooled connection and the
	// subscription are both dead, and no round failed in between.
	if err := s.Restart(t.Context()); err != nil {
		t.Fatalf("restart: %v", err)
	}
	mustOK(t, probe(t, p, probeTimeout))
	mustOK(t, probe(t, p, probeTimeout))
}

func TestRedisProbeHungRedisFailsWithinDeadline(t *testing.T) {
	s := startRedis(t)
	p := newProbe(t, redisOpts(t, s))
	mustOK(t, probe(t, p, probeTimeout))
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	// Twice: once on the pooled connection, once on a fresh one whose
	// handshake hangs (the kernel still accepts the TCP connection).
	for i := range 2 {
		start := time.Now()
		c := probe(t, p, probeTimeout)
		took := time.Since(start)
		mustFail(t, c, StepPing)
		if !c.RedisProblem || !strings.Contains(c.Message, "timed out after") {
			t.Errorf("round %d: message %q, RedisProblem %v", i, c.Message, c.RedisProblem)
		}
		t.Logf("round %d: hung redis reported after %v (budget %v)", i, took, probeTimeout)
		if took > probeTimeout+500*time.Millisecond { // generous: the machine is shared
			t.Errorf("round %d: took %v, want about %v", i, took, probeTimeout)
		}
	}
	if err := s.Cont(); err != nil {
		t.Fatal(err)
	}
	mustOK(t, probe(t, p, probeTimeout))
}

func TestRedisProbeLatency(t *testing.T) {
	s := startRedis(t)
	opts := redisOpts(t, s)
	opts.MaxLatency = 50 * time.Millisecond
	p := newProbe(t, opts)
	// Connected before the server sleeps, by a round with a smaller budget
	// than the next ones: the client must not keep that first budget.
	mustOK(t, probe(t, p, 200*time.Millisecond))
	// DEBUG SLEEP blocks the whole server. It is written (on an already
	// authenticated connection) before the probe starts, but the probe's
	// PING may still win the race to the event loop; then the round is
	// simply fast and we try again. A slow PING reported as fine fails.
	sleeper := rawConn(t, s.Addr(), s.Password())
	for attempt := range 5 {
		if _, err := sleeper.Write([]byte("*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.3\r\n")); err != nil {
			t.Fatalf("DEBUG SLEEP: %v", err)
		}
		c := probe(t, p, 2*time.Second)
		readLine(t, sleeper, "+OK")
		if c.OK && c.Latency < opts.MaxLatency {
			t.Logf("attempt %d: PING ran before DEBUG SLEEP (%v)", attempt, c.Latency)
			continue
		}
		mustFail(t, c, StepLatency)
		if !regexp.MustCompile(`^PING took \d+ms, limit 50ms$`).MatchString(c.Message) || !c.RedisProblem {
			t.Fatalf("message %q (RedisProblem %v)", c.Message, c.RedisProblem)
		}
		return
	}
	t.Fatal("PING never overlapped DEBUG SLEEP")
}

// rawConn returns an authenticated plain TCP connection to Redis.
func rawConn(t *testing.T, addr, password string) *bufConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	bc := &bufConn{Conn: c, r: bufio.NewReader(c)}
	fmt.Fprintf(bc, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(password), password)
	readLine(t, bc, "+OK")
	return bc
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func readLine(t *testing.T, c *bufConn, want string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := c.r.ReadString('\n')
	if err != nil || strings.TrimSpace(line) != want {
		t.Fatalf("read %q (%v), want %q", line, err, want)
	}
}

func TestRedisProbeMemory(t *testing.T) {
	s := startRedis(t)
	ctx, rc := t.Context(), admin(t, s)
	if err := rc.ConfigSet(ctx, "maxmemory", "64mb").Err(); err != nil {
		t.Fatal(err)
	}
	fill(t, rc, "a", 200, 10<<10) // ~2 MiB
	opts := redisOpts(t, s)
	opts.MaxMemory = 1 << 20
	c := probe(t, newProbe(t, opts), probeTimeout)
	mustFail(t, c, StepMemory)
	if !regexp.MustCompile(`^used_memory \d+(\.\d)?MiB over limit 1MiB$`).MatchString(c.Message) || !c.RedisProblem {
		t.Errorf("message %q (RedisProblem %v)", c.Message, c.RedisProblem)
	}
	if c.MaxMemory != 64<<20 || c.UsedMemory < 2<<20 {
		t.Errorf("maxmemory %d, used_memory %d: want 64MiB and > 2MiB", c.MaxMemory, c.UsedMemory)
	}
	opts.MaxMemory = 1 << 30
	mustOK(t, probe(t, newProbe(t, opts), probeTimeout))

	// Evictions show up in the same INFO round trip.
	if err := rc.ConfigSet(ctx, "maxmemory-policy", "allkeys-random").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rc.ConfigSet(ctx, "maxmemory", fmt.Sprint(c.UsedMemory+(1<<20))).Err(); err != nil {
		t.Fatal(err)
	}
	fill(t, rc, "b", 300, 10<<10)
	c = probe(t, newProbe(t, opts), probeTimeout)
	mustOK(t, c)
	if c.EvictedKeys == 0 {
		t.Errorf("evicted_keys = 0 after overfilling maxmemory")
	}
}

func fill(t *testing.T, rc *redis.Client, prefix string, n, size int) {
	t.Helper()
	pipe := rc.Pipeline()
	v := strings.Repeat("x", size)
	for i := range n {
		pipe.Set(t.Context(), fmt.Sprintf("%s:%d", prefix, i), v, 0)
	}
	if _, err := pipe.Exec(t.Context()); err != nil {
		t.Fatalf("fill: %v", err)
	}
}

func TestRedisProbeAuth(t *testing.T) {
	s := startRedis(t)
	for _, tc := range []struct{ name, url string }{
		{"wrong password", fmt.Sprintf("redis://default:wrong-password-123@%s", s.Addr())},
		{"no password", fmt.Sprintf("redis://%s", s.Addr())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := redisOpts(t, s)
			opts.URL = spec.NewSecret(tc.url)
			c := probe(t, newProbe(t, opts), probeTimeout)
			mustFail(t, c, StepAuth)
			if !strings.HasPrefix(c.Message, "authentication failed") || !c.RedisProblem {
				t.Errorf("message %q (RedisProblem %v)", c.Message, c.RedisProblem)
			}
			if strings.Contains(c.Message, "wrong-password-123") || strings.Contains(c.Message, s.Password()) {
				t.Errorf("message quotes a password: %q", c.Message)
			}
		})
	}
}

func TestRedisProbeExpectKeys(t *testing.T) {
	s := startRedis(t)
	rc := admin(t, s)
	fill(t, rc, "other", 3000, 1) // several SCAN batches without a match
	if err := rc.Set(t.Context(), "sess:42", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pattern string
		ok      bool
	}{{"sess:*", true}, {"nope:*", false}} {
		t.Run(tc.pattern, func(t *testing.T) {
			opts := redisOpts(t, s)
			opts.ExpectKeys = tc.pattern
			c := probe(t, newProbe(t, opts), time.Second)
			if tc.ok {
				mustOK(t, c)
				return
			}
			mustFail(t, c, StepKeys)
			if want := `no key matches "nope:*"`; c.Message != want || !c.RedisProblem {
				t.Errorf("message %q (RedisProblem %v), want %q", c.Message, c.RedisProblem, want)
			}
		})
	}
}

func TestRedisProbeWithoutInfoMemory(t *testing.T) {
	// miniredis (the demo's fallback) has PING, PUBLISH and SCAN but no
	// INFO memory: without a memory bound the probe still passes, with one
	// it says why it cannot check.
	m := miniredis.RunT(t)
	m.RequireUserAuth("default", "pw-mini")
	url := spec.NewSecret("redis://default:pw-mini@" + m.Addr())
	h := &countingHook{}
	p := newProbe(t, RedisOptions{Name: "mini", URL: url, PubSub: true, ExpectKeys: "*", hook: h})
	if err := m.Set("k", "v"); err != nil {
		t.Fatal(err)
	}
	mustOK(t, probe(t, p, time.Second))
	h.roundTrips.Store(0)
	mustOK(t, probe(t, p, time.Second))
	if got := h.roundTrips.Load(); got != 3 { // PING, PUBLISH, SCAN: INFO is no longer asked
		t.Errorf("round trips after degrading = %d, want 3", got)
	}
	bounded := newProbe(t, RedisOptions{Name: "mini", URL: url, MaxMemory: 1 << 20})
	mustFail(t, probe(t, bounded, time.Second), StepMemory)
}

func TestNewRedisProbeInvalidURL(t *testing.T) {
	for _, raw := range []string{"", "redis://default:s3cr3t-pw@host:notaport", "http://[::1"} {
		_, err := NewRedisProbe(RedisOptions{URL: spec.NewSecret(raw)})
		if !errors.Is(err, ErrInvalidURL) {
			t.Errorf("%q: got %v, want ErrInvalidURL", spec.RedactURL(raw), err)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("error quotes the password: %v", err)
		}
	}
}

func TestRedisProbeClosed(t *testing.T) {
	s := startRedis(t)
	p := newProbe(t, redisOpts(t, s))
	mustOK(t, probe(t, p, probeTimeout))
	p.Close()
	c := probe(t, p, probeTimeout)
	if c.OK || c.RedisProblem || c.Message != "probe closed" {
		t.Errorf("probe after Close: %+v", c)
	}
}

func TestClassifyRedisErrors(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &net.AddrError{Err: "x"}}
	for _, tc := range []struct {
		err      error
		step     string
		msg      string
		notRedis bool
	}{
		{redis.ErrClosed, StepConnect, "probe closed", true},
		{refused, StepConnect, "cannot connect: x", false},
		{&net.DNSError{Name: "redis.railway.internal", Err: "no such host"}, StepConnect, "cannot resolve redis.railway.internal", false},
		{errors.New("boom"), StepPing, "boom", false},
	} {
		f := classify(tc.err, StepPing, time.Second)
		if f.step != tc.step || f.msg != tc.msg || f.notRedis != tc.notRedis {
			t.Errorf("classify(%v) = %q %q %v, want %q %q %v", tc.err, f.step, f.msg, f.notRedis, tc.step, tc.msg, tc.notRedis)
		}
	}
}
