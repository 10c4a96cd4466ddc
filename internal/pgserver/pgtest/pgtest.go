// Package pgtest starts a real PostgreSQL for a test (see internal/pgserver)
// and cleans it up. It is the only part of internal/pgserver that imports
// testing.
//
// A server start costs a second or two (initdb), so a package's tests
// usually share one server through a Shared, each test in a database of
// its own; tests that stop, kill or pause PostgreSQL start their own with
// Start.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/internal/pgserver"
)

// startTimeout bounds initdb and the wait for connections.
const startTimeout = 60 * time.Second

// Start starts a PostgreSQL server (see pgserver.Start) and kills it, and
// removes its directory, when the test ends. When PostgreSQL is not
// installed the test is skipped, unless CI=true, where it fails: CI must
// run the real thing. Its Logger defaults to zaptest (none for a benchmark).
func Start(t testing.TB, opts ...pgserver.Options) *pgserver.Server {
	t.Helper()
	var o pgserver.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if _, bench := t.(*testing.B); o.Logger == nil && !bench {
		// The server's output, shown when the test fails.
		o.Logger = zaptest.NewLogger(t)
	}
	s, err := start(o)
	skipOrFail(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func start(o pgserver.Options) (*pgserver.Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	return pgserver.Start(ctx, o)
}

// skipOrFail ends the test when err is not nil: a skip when PostgreSQL is
// not installed (a failure under CI=true), a failure otherwise.
func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, pgserver.ErrNotInstalled) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required in CI (make postgresql installs it): %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatalf("start postgres: %v", err)
	}
}

// dbSeq numbers the databases Database creates within this process.
var dbSeq atomic.Int64

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// Database creates a fresh database on s for the test, drops it when the
// test ends and returns its DSN (which carries the password).
func Database(t testing.TB, s *pgserver.Server) string {
	t.Helper()
	name := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	name = fmt.Sprintf("t%d_%.40s", dbSeq.Add(1), name)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	dsn, err := s.CreateDatabase(ctx, name)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		if err := s.DropDatabase(ctx, name); err != nil {
			t.Logf("%v", err)
		}
	})
	return dsn
}

// Shared is one server for a package's tests, started at first use. Close
// it from TestMain after m.Run:
//
//	var pg pgtest.Shared
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		pg.Close()
//		os.Exit(code)
//	}
type Shared struct {
	once sync.Once
	srv  *pgserver.Server
	err  error
}

// Server returns the shared server, starting it at the first call; it
// skips or fails the test as Start does.
func (sh *Shared) Server(t testing.TB) *pgserver.Server {
	t.Helper()
	sh.once.Do(func() { sh.srv, sh.err = start(pgserver.Options{}) })
	skipOrFail(t, sh.err)
	return sh.srv
}

// Database returns the DSN of a fresh database on the shared server,
// dropped when the test ends.
func (sh *Shared) Database(t testing.TB) string {
	t.Helper()
	return Database(t, sh.Server(t))
}

// Close kills the shared server, if it was started, and removes its
// directory.
func (sh *Shared) Close() {
	if sh.srv != nil {
		_ = sh.srv.Close()
	}
}
