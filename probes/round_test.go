package probes

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/spec"
)

func TestClassify(t *testing.T) {
	redisOK := Check{Name: "redis", Kind: KindRedis, OK: true}
	redisDown := Check{Name: "redis", Kind: KindRedis, Step: StepConnect, Message: "connection refused", RedisProblem: true}
	redisUnknown := Check{Name: "redis", Kind: KindRedis, Step: StepURL, Message: "redis url not known yet"}
	epOK := Check{Name: "endpoint/a", Kind: KindEndpoint, OK: true}
	epDown := Check{Name: "endpoint/a", Kind: KindEndpoint, Step: StepUnreachable, Message: "connection refused"}
	epStatus := Check{Name: "endpoint/b", Kind: KindEndpoint, Step: StepStatus, Message: "status 503, want 200"}
	epBody := Check{Name: "endpoint/b", Kind: KindEndpoint, Step: StepBody, Message: "body larger than 1 MiB"}
	epExpect := Check{Name: "endpoint/b", Kind: KindEndpoint, Step: StepExpect, Message: `field "redis" is "down", want "connected"`, RedisProblem: true}
	for _, tc := range []struct {
		name      string
		checks    []Check
		verdict   Verdict
		consumers bool
		reason    string
	}{
		{"all healthy", []Check{redisOK, epOK}, VerdictHealthy, true, ""},
		{"redis down", []Check{redisDown, epOK}, VerdictUnhealthy, true, "redis: connection refused"},
		{"endpoint unreachable is a consumer problem", []Check{redisOK, epDown}, VerdictHealthy, false, ""},
		{"wrong status is a consumer problem", []Check{redisOK, epStatus}, VerdictHealthy, false, ""},
		{"bad body is a consumer problem", []Check{redisOK, epBody}, VerdictHealthy, false, ""},
		{"expect failure counts against redis", []Check{redisOK, epOK, epExpect}, VerdictUnhealthy, true,
			`endpoint/b: field "redis" is "down", want "connected"`},
		{"first redis-side failure is the reason", []Check{redisDown, epExpect}, VerdictUnhealthy, true, "redis: connection refused"},
		{"both sides", []Check{redisDown, epDown}, VerdictUnhealthy, false, "redis: connection refused"},
		{"url unknown is inconclusive", []Check{redisUnknown, epOK}, VerdictInconclusive, true, "redis: redis url not known yet"},
		{"url unknown, consumer down", []Check{redisUnknown, epDown}, VerdictInconclusive, false, "redis: redis url not known yet"},
		{"url unknown but an endpoint says redis is broken", []Check{redisUnknown, epExpect}, VerdictUnhealthy, true,
			`endpoint/b: field "redis" is "down", want "connected"`},
		{"no checks", nil, VerdictInconclusive, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, consumers, reason := Classify(tc.checks)
			if v != tc.verdict || consumers != tc.consumers || reason != tc.reason {
				t.Errorf("Classify = %v, %v, %q; want %v, %v, %q", v, consumers, reason, tc.verdict, tc.consumers, tc.reason)
			}
		})
	}
}

func TestVerdictString(t *testing.T) {
	for v, want := range map[Verdict]string{VerdictHealthy: "healthy", VerdictUnhealthy: "unhealthy", VerdictInconclusive: "inconclusive"} {
		if v.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(v), v.String(), want)
		}
	}
	var zero Round
	if zero.Addon != VerdictInconclusive {
		t.Errorf("the zero Round must not read as healthy")
	}
}

func newProber(t *testing.T) *Prober {
	p := NewProber(Options{Logger: zaptest.NewLogger(t)})
	t.Cleanup(p.Close)
	return p
}

func health(timeout time.Duration, eps ...spec.Endpoint) spec.Health {
	return spec.Health{ProbeTimeout: timeout, Redis: spec.RedisHealth{MaxLatency: 250 * time.Millisecond, PubSub: true}, Endpoints: eps}
}

func TestRoundHealthyAndRolledBack(t *testing.T) {
	s := startRedis(t)
	down := serve(t, jsonHandler(200, `{"redis":"unavailable"}`))
	ep := spec.Endpoint{Name: "backend", URL: down.URL, Expect: []spec.Expectation{{Field: "redis", Equals: "connected"}}}
	p := newProber(t)
	cfg := RoundConfig{Name: "t", Health: health(probeTimeout, ep), RedisURL: spec.NewSecret(s.URL())}
	r := p.Round(t.Context(), cfg)
	if r.Addon != VerdictUnhealthy || !r.ConsumersHealthy || !strings.HasPrefix(r.Reason, "endpoint/backend: ") {
		t.Errorf("bound: got %v consumers=%v reason %q", r.Addon, r.ConsumersHealthy, r.Reason)
	}
	if len(r.Checks) != 2 || r.Checks[0].Name != "redis" || r.Checks[1].Name != "endpoint/backend" {
		t.Fatalf("checks %+v", r.Checks)
	}
	cfg.SkipExpect = true
	r = p.Round(t.Context(), cfg)
	if r.Addon != VerdictHealthy || !r.ConsumersHealthy || r.Reason != "" {
		t.Errorf("rolled back: got %v consumers=%v reason %q", r.Addon, r.ConsumersHealthy, r.Reason)
	}
}

func TestRoundURLUnknownIsInconclusive(t *testing.T) {
	p := newProber(t)
	for _, url := range []string{"", "redis://default:pw@host:bad"} {
		r := p.Round(t.Context(), RoundConfig{Name: "t", Health: health(probeTimeout), RedisURL: spec.NewSecret(url)})
		if r.Addon != VerdictInconclusive || r.Checks[0].Step != StepURL || r.Checks[0].RedisProblem {
			t.Errorf("url %q: got %v, check %+v", spec.RedactURL(url), r.Addon, r.Checks[0])
		}
	}
}

func TestRoundHungRedisIsBounded(t *testing.T) {
	s := startRedis(t)
	hang := serve(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	p := newProber(t)
	timeout := 300 * time.Millisecond
	cfg := RoundConfig{Name: "t", Health: health(timeout, spec.Endpoint{Name: "slow", URL: hang.URL}), RedisURL: spec.NewSecret(s.URL())}
	if r := p.Round(t.Context(), cfg); r.Addon != VerdictHealthy || r.ConsumersHealthy {
		t.Fatalf("before the hang: %v consumers=%v (%s)", r.Addon, r.ConsumersHealthy, r.Reason)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	r := p.Round(t.Context(), cfg)
	t.Logf("hung round took %v (probeTimeout %v)", r.Duration, timeout)
	if r.Addon != VerdictUnhealthy || !strings.HasPrefix(r.Reason, "redis: timed out after") {
		t.Errorf("hung: %v, reason %q", r.Addon, r.Reason)
	}
	if r.Duration > timeout+100*time.Millisecond {
		t.Errorf("hung round took %v, want within probeTimeout+100ms", r.Duration)
	}
	if err := s.Cont(); err != nil {
		t.Fatal(err)
	}
	if r := p.Round(t.Context(), cfg); r.Addon != VerdictHealthy {
		t.Errorf("after SIGCONT: %v (%s)", r.Addon, r.Reason)
	}
}

func TestRoundLateCheckIsReportedAsTimeout(t *testing.T) {
	rp, err := NewRedisProbe(RedisOptions{Name: "t", URL: spec.NewSecret("redis://127.0.0.1:1")})
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	list := []Probe{rp, endpointCheck{ep: spec.Endpoint{Name: "a"}}, endpointCheck{ep: spec.Endpoint{Name: "b"}}}
	results := make(chan indexedCheck, 2)
	results <- indexedCheck{1, Check{Name: "endpoint/a", Kind: KindEndpoint, OK: true}}
	checks := collect(results, 3, 10*time.Millisecond)
	for i, c := range checks {
		if c.Name == "" {
			checks[i] = list[i].Late(time.Second)
		}
	}
	if c := checks[0]; c.Step != StepPing || !c.RedisProblem || c.Message != "timed out after 1s (redis not answering)" {
		t.Errorf("late redis check: %+v", c)
	}
	if !checks[1].OK {
		t.Errorf("reported check overwritten: %+v", checks[1])
	}
	if c := checks[2]; c.Name != "endpoint/b" || c.Step != StepUnreachable || c.RedisProblem {
		t.Errorf("late endpoint check: %+v", c)
	}
}

func TestRoundWithEmptyHostURLIsInconclusive(t *testing.T) {
	p := newProber(t)
	for _, raw := range []string{"redis://default:s3cr3tpw@:", "redis://default:s3cr3tpw@:6379", "redis://:s3cr3tpw@host:"} {
		r := p.Round(t.Context(), RoundConfig{Name: "t", Health: health(probeTimeout), RedisURL: spec.NewSecret(raw)})
		if r.Addon != VerdictInconclusive || r.Checks[0].Step != StepURL || r.Checks[0].RedisProblem {
			t.Errorf("%s: %v %+v, want inconclusive", spec.RedactURL(raw), r.Addon, r.Checks[0])
		}
		if strings.Contains(r.Reason, "s3cr3tpw") || !strings.Contains(r.Reason, "TCP proxy") {
			t.Errorf("reason %q leaks or does not say what to do", r.Reason)
		}
	}
}

func TestRoundReplacesProbeWhenURLChanges(t *testing.T) {
	a, b := startRedis(t), startRedis(t)
	p := newProber(t)
	cfg := RoundConfig{Name: "t", Health: health(probeTimeout), RedisURL: spec.NewSecret(a.URL())}
	if r := p.Round(t.Context(), cfg); r.Addon != VerdictHealthy {
		t.Fatalf("a: %v (%s)", r.Addon, r.Reason)
	}
	old := p.addon
	if r := p.Round(t.Context(), cfg); r.Addon != VerdictHealthy || p.addon != old {
		t.Fatalf("same url must reuse the probe")
	}
	cfg.RedisURL = spec.NewSecret(b.URL())
	a.Kill() // a is gone; only b can answer
	if r := p.Round(t.Context(), cfg); r.Addon != VerdictHealthy {
		t.Fatalf("b: %v (%s)", r.Addon, r.Reason)
	}
	if p.addon == old {
		t.Fatalf("a new url must replace the probe")
	}
	if c := probe(t, old.(*RedisProbe), probeTimeout); c.Message != "probe closed" {
		t.Errorf("the replaced probe must be closed, got %+v", c)
	}
}
