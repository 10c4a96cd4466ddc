package probes

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/smartlic/reconciler/internal/redisserver"
	"github.com/smartlic/reconciler/internal/redisserver/redistest"
	"github.com/smartlic/reconciler/spec"
)

// TestNothingLeaksThePassword drives every failure path that talks about a
// URL and checks that no check message, round reason, error, formatted value
// or log line (down to debug) contains a password or a full URL.
func TestNothingLeaksThePassword(t *testing.T) {
	const password, wrong = "S3cret-Pa55word-xyz", "Wr0ng-Pa55word-abc"
	s := redistest.Start(t, redisserver.Options{Password: password})
	core, logs := observer.New(zapcore.DebugLevel)
	p := NewProber(Options{Logger: zap.New(core)})
	defer p.Close()

	var seen []string
	round := func(url string, timeout time.Duration) {
		cfg := RoundConfig{Name: "leak", Health: health(timeout), RedisURL: spec.NewSecret(url)}
		r := p.Round(t.Context(), cfg)
		seen = append(seen, r.Reason, fmt.Sprintf("%+v %#v %v", r, cfg, cfg))
		for _, c := range r.Checks {
			seen = append(seen, c.Message)
		}
	}
	wrongURL := strings.Replace(s.URL(), password, wrong, 1)
	round(s.URL(), probeTimeout)
	round(wrongURL, probeTimeout)                   // auth
	round("redis://default:"+password+"@host:x", 0) // invalid url
	s.Kill()
	round(s.URL(), probeTimeout) // connection refused
	if err := s.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	round(s.URL(), probeTimeout)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	round(s.URL(), 200*time.Millisecond) // timeout
	if err := s.Cont(); err != nil {
		t.Fatal(err)
	}
	_, err := NewRedisProbe(RedisOptions{URL: spec.NewSecret("redis://default:" + password + "@[::1")})
	seen = append(seen, err.Error())
	rp := newProbe(t, RedisOptions{URL: spec.NewSecret(s.URL())})
	seen = append(seen, fmt.Sprintf("%v %+v %#v %s", rp, rp, rp, rp))

	for _, e := range logs.All() {
		seen = append(seen, e.LoggerName+" "+e.Message+" "+fmt.Sprint(e.ContextMap()))
	}
	if logs.Len() == 0 {
		t.Fatal("no log lines observed: the test would prove nothing")
	}
	for _, text := range seen {
		for _, secret := range []string{password, wrong, s.URL(), wrongURL} {
			if strings.Contains(text, secret) {
				t.Errorf("leaked %q in: %s", spec.RedactURL(secret), text)
			}
		}
	}
}
