package controller_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/state"
)

// After a rollback cycle, neither the token nor the Redis password is in
// /status, /metrics, the state file or any log line (CONTRACT section 9).
func TestNoSecretInStatusMetricsStateOrLogs(t *testing.T) {
	h := newHarness(t)
	h.converge()
	h.redis.Kill()
	h.waitFor(10*time.Second, "phase RolledBack", func() bool { return h.phase() == state.RolledBack })

	_, status := h.get("/status")
	_, metrics := h.get("/metrics")
	saved, err := os.ReadFile(h.statePath)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"token": testToken, "redis password": h.redis.Password()}
	for where, text := range map[string]string{"/status": string(status), "/metrics": string(metrics), "the state file": string(saved)} {
		if len(text) < 100 {
			t.Fatalf("%s is suspiciously short: %q", where, text)
		}
		for what, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds the %s", where, what)
			}
		}
	}
	h.checkNoSecretLogged()
}
