// Package redistest starts a real redis-server for a test and kills it in
// t.Cleanup. It is the only part of internal/redisserver that imports testing.
package redistest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/internal/redisserver"
)

// startTimeout bounds the wait for the server to answer PING.
const startTimeout = 10 * time.Second

// Start starts a redis-server (see redisserver.Start) and kills it when the
// test ends. When redis-server is not installed the test is skipped, unless
// CI=true, where it fails: CI must run the real thing. opts may set the
// binary or the password; its Logger defaults to zaptest (none for a
// benchmark).
func Start(t testing.TB, opts ...redisserver.Options) *redisserver.Server {
	t.Helper()
	var o redisserver.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if _, bench := t.(*testing.B); o.Logger == nil && !bench {
		// The server's output, shown when the test fails (benchmarks would
		// print it always, so they get none).
		o.Logger = zaptest.NewLogger(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	s, err := redisserver.Start(ctx, o)
	if errors.Is(err, redisserver.ErrNotInstalled) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server is required in CI: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() }) // Close always returns nil
	return s
}
