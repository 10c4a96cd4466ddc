package pgserver_test

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/smartlic/reconciler/internal/pgserver"
	"github.com/smartlic/reconciler/internal/pgserver/pgtest"
)

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func TestStartAcceptsOnlyThePassword(t *testing.T) {
	begin := time.Now()
	s := pgtest.Start(t)
	t.Logf("initdb + start: %v", time.Since(begin).Round(time.Millisecond))
	if s.Host() != "127.0.0.1" || s.Port() == 5432 {
		t.Fatalf("server on %s; want a free loopback port", s.Addr())
	}
	var one int
	if err := connect(t, s.URL()).QueryRow(t.Context(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	cfg, err := pgx.ParseConfig(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = "wrong"
	_, err = pgx.ConnectConfig(t.Context(), cfg)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("connect with a wrong password: got %v, want 28P01", err)
	}
}

func TestRunsUnprivilegedWhenRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("not root")
	}
	s := pgtest.Start(t)
	fi, err := os.Stat(s.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid == 0 {
		t.Fatalf("data directory owned by root")
	}
}

func TestKillRefusesThenRestartKeepsDataAndPort(t *testing.T) {
	s := pgtest.Start(t)
	dsn, err := s.CreateDatabase(t.Context(), "kept")
	if err != nil {
		t.Fatal(err)
	}
	c := connect(t, dsn)
	if _, err := c.Exec(t.Context(), "CREATE TABLE k (v int); INSERT INTO k VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	port := s.Port()
	s.Kill()
	if _, err := net.DialTimeout("tcp", s.Addr(), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial after Kill: got %v, want connection refused", err)
	}
	if err := c.Ping(t.Context()); err == nil {
		t.Fatalf("ping on a connection to a killed server succeeded")
	}
	if err := s.Restart(t.Context()); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if s.Port() != port {
		t.Fatalf("Restart moved the port")
	}
	var v int
	if err := connect(t, dsn).QueryRow(t.Context(), "SELECT v FROM k").Scan(&v); err != nil || v != 42 {
		t.Fatalf("after restart: v = %d, %v", v, err)
	}
}

func TestStopDisconnectsClientsThenRestart(t *testing.T) {
	s := pgtest.Start(t)
	c := connect(t, s.URL()) // a connected client must not block the shutdown
	begin := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("stop: %v", time.Since(begin).Round(time.Millisecond))
	if err := c.Ping(t.Context()); err == nil {
		t.Fatalf("ping after Stop succeeded")
	}
	if err := s.Stop(); err != nil { // no-op
		t.Fatalf("second Stop: %v", err)
	}
	begin = time.Now()
	if err := s.Restart(t.Context()); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	t.Logf("restart: %v", time.Since(begin).Round(time.Millisecond))
	if err := connect(t, s.URL()).Ping(t.Context()); err != nil {
		t.Fatalf("ping after restart: %v", err)
	}
}

func TestPauseHangsAndResumeAnswers(t *testing.T) {
	s := pgtest.Start(t)
	c := connect(t, s.URL())
	if err := s.Pause(); err != nil {
		t.Fatalf("Pause: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	err := c.Ping(ctx)
	cancel()
	if err == nil {
		t.Fatalf("ping while paused succeeded")
	}
	if err := s.Resume(); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	// The timed-out connection is closed; a new one works.
	if err := connect(t, s.URL()).Ping(t.Context()); err != nil {
		t.Fatalf("ping after Resume: %v", err)
	}
}

func TestCloseIsIdempotentAndRemovesTheDirectory(t *testing.T) {
	s := pgtest.Start(t)
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	_ = s.Close()
	if _, err := os.Stat(s.DataDir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("data directory still there: %v", err)
	}
	if err := s.Resume(); err == nil {
		t.Fatalf("Resume after Close: want an error")
	}
}

func TestStatementsAreCounted(t *testing.T) {
	s := pgtest.Start(t, pgserver.Options{LogStatements: true})
	c := connect(t, s.URL())
	before := s.Statements()
	for range 5 {
		if _, err := c.Exec(t.Context(), "SELECT $1::int", 1); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Statements()-before < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("counted %d statements, want 5", s.Statements()-before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNotInstalled(t *testing.T) {
	_, err := pgserver.Start(t.Context(), pgserver.Options{BinDir: t.TempDir()})
	if !errors.Is(err, pgserver.ErrNotInstalled) {
		t.Fatalf("got %v, want ErrNotInstalled", err)
	}
}
