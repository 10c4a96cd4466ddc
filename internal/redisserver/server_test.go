package redisserver_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smartlic/reconciler/internal/redisserver"
	"github.com/smartlic/reconciler/internal/redisserver/redistest"
)

func client(t *testing.T, s *redisserver.Server, timeout time.Duration) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatalf("parse url: %v", err)
	}
	opt.MaxRetries = -1
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = timeout, timeout, timeout
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestStartAnswersWithPassword(t *testing.T) {
	s := redistest.Start(t)
	if got := s.Host(); got != "127.0.0.1" {
		t.Errorf("Host() = %q", got)
	}
	if !strings.HasPrefix(s.URL(), "redis://default:"+s.Password()+"@127.0.0.1:") {
		t.Errorf("URL() has an unexpected shape")
	}
	if err := client(t, s, time.Second).Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING with password: %v", err)
	}
	// Without the password the server refuses commands.
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	if err := c.Ping(t.Context()).Err(); !redis.IsAuthError(err) {
		t.Fatalf("PING without password: got %v, want an auth error", err)
	}
}

func TestPasswordWithQuotes(t *testing.T) {
	s := redistest.Start(t, redisserver.Options{Password: `p"a\ss word`})
	if err := client(t, s, time.Second).Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING: %v", err)
	}
}

func TestKillRefusesThenRestartOnSamePort(t *testing.T) {
	s := redistest.Start(t)
	port, pass := s.Port(), s.Password()
	s.Kill()
	_, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial after Kill: got %v, want connection refused", err)
	}
	if err := s.Restart(t.Context()); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if s.Port() != port || s.Password() != pass {
		t.Fatalf("Restart changed port or password")
	}
	if err := client(t, s, time.Second).Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING after restart: %v", err)
	}
}

func TestStopHangsAndContResumes(t *testing.T) {
	s := redistest.Start(t)
	c := client(t, s, 200*time.Millisecond)
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	err := c.Ping(t.Context()).Err()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("PING while stopped: got %v, want a timeout", err)
	}
	if err := s.Cont(); err != nil {
		t.Fatalf("Cont: %v", err)
	}
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING after Cont: %v", err)
	}
}

func TestCloseWhileStopped(t *testing.T) {
	s := redistest.Start(t)
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	_ = s.Close()
	_ = s.Close() // idempotent
	if err := s.Cont(); err == nil {
		t.Fatalf("Cont after Close: want an error")
	}
}

func TestNotInstalled(t *testing.T) {
	_, err := redisserver.Start(context.Background(), redisserver.Options{Binary: "no-such-redis-server-binary"})
	if !errors.Is(err, redisserver.ErrNotInstalled) {
		t.Fatalf("got %v, want ErrNotInstalled", err)
	}
}

func TestNotReadyWhenBinaryExitsAtOnce(t *testing.T) {
	// "false" exits at once: Start must report it instead of waiting for PING.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := redisserver.Start(ctx, redisserver.Options{Binary: "false"})
	if !errors.Is(err, redisserver.ErrNotReady) {
		t.Fatalf("got %v, want ErrNotReady", err)
	}
}
