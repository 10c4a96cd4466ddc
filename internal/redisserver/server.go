// Package redisserver runs a real redis-server process on a free loopback
// port, for tests and for the demo: password protected, no persistence, ready
// once it answers PING. It can be killed (SIGKILL), hung (SIGSTOP/SIGCONT) and
// restarted on the same port with the same password, which is how the probes'
// outage tests are made real.
//
// This package never imports testing; the testing.TB helper lives in
// internal/redisserver/redistest.
package redisserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// ErrNotInstalled is returned by Start when the redis-server binary cannot be
// found.
var ErrNotInstalled = errors.New("redis-server not installed")

// ErrNotReady is returned by Start and Restart when the process does not
// answer PING before the context ends or it exits first.
var ErrNotReady = errors.New("redis-server not ready")

// DefaultBinary is the binary looked up in PATH when Options.Binary is empty.
const DefaultBinary = "redis-server"

// defaultReadyTimeout bounds the wait for PING when ctx has no deadline.
const defaultReadyTimeout = 10 * time.Second

// startAttempts is how often Start retries when the free port it picked was
// taken by someone else before redis-server could bind it.
const startAttempts = 3

// Options configures Start. The zero value is usable.
type Options struct {
	// Binary is the redis-server executable; DefaultBinary (from PATH) when empty.
	Binary string
	// Password is the requirepass value; a random one when empty.
	Password string
	// Logger receives the server's own output at debug level; nop when nil.
	Logger *zap.Logger
}

// Server is a running redis-server child process. Its methods are safe for
// concurrent use.
type Server struct {
	binary   string
	password string
	port     int
	log      *zap.Logger

	mu   sync.Mutex
	proc *process
}

// Start launches redis-server on a free 127.0.0.1 port and returns once it
// answers PING (bounded by ctx, or 10s when ctx has no deadline). It returns
// ErrNotInstalled when the binary is missing and ErrNotReady when the server
// does not come up. Close the Server to kill the process.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin := opts.Binary
	if bin == "" {
		bin = DefaultBinary
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNotInstalled, bin, err)
	}
	s := &Server{binary: path, password: opts.Password, log: opts.Logger}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.password == "" {
		s.password = rand.Text()
	}
	for attempt := 1; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
		err = s.launch(ctx)
		if err == nil || attempt == startAttempts || !errors.Is(err, errExited) {
			return s, err
		}
		// The process died at start: most likely the port we picked was
		// taken in between. Try another one.
		s.log.Debug("redis-server exited at start, retrying", zap.Int("port", s.port), zap.Error(err))
	}
}

// Addr returns "127.0.0.1:PORT".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.port)) }

// Host returns the loopback address the server binds.
func (s *Server) Host() string { return "127.0.0.1" }

// Port returns the TCP port; it stays the same across Restart.
func (s *Server) Port() int { return s.port }

// Password returns the requirepass value.
func (s *Server) Password() string { return s.password }

// URL returns redis://default:PASSWORD@127.0.0.1:PORT. It carries the password:
// never log it.
func (s *Server) URL() string {
	u := url.URL{Scheme: "redis", User: url.UserPassword("default", s.password), Host: s.Addr()}
	return u.String()
}

// Kill sends SIGKILL and waits for the process to exit: clients then get
// "connection refused". It is a no-op when the server is not running.
func (s *Server) Kill() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p != nil {
		p.kill()
	}
}

// Stop sends SIGSTOP: the server keeps its port (the kernel still accepts
// connections) but answers nothing, like a hung Redis. Cont resumes it.
func (s *Server) Stop() error { return s.signal(syscall.SIGSTOP) }

// Cont sends SIGCONT, resuming a server paused by Stop.
func (s *Server) Cont() error { return s.signal(syscall.SIGCONT) }

// Restart kills the server if it is running and starts it again on the same
// port with the same password (and an empty dataset), returning once it
// answers PING.
func (s *Server) Restart(ctx context.Context) error {
	s.Kill()
	return s.launch(ctx)
}

// Close kills the server. It is idempotent and always returns nil; it exists
// so a Server can be deferred or registered as a cleanup like any closer.
func (s *Server) Close() error {
	s.Kill()
	return nil
}

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil || s.proc.Exited() {
		return fmt.Errorf("signal %v: redis-server not running", sig)
	}
	if err := s.proc.Cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %v: %w", sig, err)
	}
	return nil
}

// launch starts the process on s.port and waits until it answers PING.
func (s *Server) launch(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultReadyTimeout)
		defer cancel()
	}
	p, err := startProcess(s.binary, s.config(), s.log.With(zap.Int("port", s.port)))
	if err != nil {
		return err
	}
	if err := waitReady(ctx, p, s.Addr(), s.password); err != nil {
		p.kill()
		return fmt.Errorf("%w on port %d: %w%s", ErrNotReady, s.port, err, p.Out.Tail())
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	return nil
}

// config is the configuration fed to redis-server on stdin, which keeps the
// password off the process's command line.
func (s *Server) config() string {
	return fmt.Sprintf("port %d\nbind 127.0.0.1\nrequirepass %s\nsave \"\"\nappendonly no\n"+
		"daemonize no\nloglevel warning\nlogfile \"\"\nenable-debug-command local\n", s.port, quote(s.password))
}

// quote renders v as a double-quoted redis.conf string.
func quote(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`).Replace(v) + `"`
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before redis-server binds it; Start retries in that case.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
