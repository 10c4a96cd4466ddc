// Package pgserver runs a real PostgreSQL server of its own for tests and
// benchmarks: a fresh cluster (initdb) in a temporary directory, served on a
// free loopback port with its Unix socket in that directory, password
// protected over TCP. It never touches a PostgreSQL already on the machine.
//
// The server can be stopped (fast shutdown), killed (SIGKILL to the
// postmaster and every backend), paused and resumed (SIGSTOP/SIGCONT), and
// started again on the same port and data directory, which is how the
// outage tests of the PostgreSQL state backend are made real.
//
// PostgreSQL refuses to run as root. When this process is root (CI), the
// server runs as the unprivileged "postgres" user that Debian's postgresql
// package creates (else "nobody"), and its directory is handed to that user.
//
// This package never imports testing; the testing.TB helpers live in
// internal/pgserver/pgtest.
package pgserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/proclog"
)

// ErrNotInstalled is returned by Start when initdb or postgres cannot be
// found.
var ErrNotInstalled = errors.New("postgresql not installed")

// ErrNotReady is returned by Start and Restart when the server does not
// accept connections before the context ends, or exits first.
var ErrNotReady = errors.New("postgres not ready")

// SuperUser is the cluster's superuser, whose password is Password.
const SuperUser = "postgres"

// defaultReadyTimeout bounds Start and Restart when ctx has no deadline.
const defaultReadyTimeout = 30 * time.Second

// startAttempts is how often Start retries when the free port it picked was
// taken by someone else before postgres could bind it.
const startAttempts = 3

// Options configures Start. The zero value is usable.
type Options struct {
	// BinDir holds initdb and postgres. Default: the newest
	// /usr/lib/postgresql/VERSION/bin, else the directory of postgres in PATH.
	BinDir string
	// User is the OS user the server runs as when this process is root.
	// Default: "postgres", else "nobody". Ignored when not root.
	User string
	// Password is the superuser's password; a random one when empty.
	Password string
	// LogStatements makes the server log every statement it executes
	// (log_statement=all) and Statements count them.
	LogStatements bool
	// Logger receives the server's own output at debug level; nop when nil.
	Logger *zap.Logger
}

// Server is a PostgreSQL cluster and, while running, its postmaster. Its
// methods are safe for concurrent use.
type Server struct {
	binDir   string
	dir      string
	password string
	port     int
	logStmts bool
	cred     *syscall.Credential
	log      *zap.Logger
	out      *proclog.Lines
	stmts    atomic.Int64 // statements the server logged

	mu   sync.Mutex
	proc *process
}

// Start creates a cluster in a new temporary directory and starts postgres
// on a free 127.0.0.1 port, returning once it accepts connections (bounded
// by ctx, or 30 s when ctx has no deadline). It returns ErrNotInstalled when
// the binaries are missing and ErrNotReady when the server does not come
// up. Close the Server to kill it and remove its directory.
func Start(ctx context.Context, opts Options) (*Server, error) {
	binDir, err := findBinDir(opts.BinDir)
	if err != nil {
		return nil, err
	}
	cred, err := credential(opts.User)
	if err != nil {
		return nil, err
	}
	dir, err := makeDir(cred)
	if err != nil {
		return nil, err
	}
	s := &Server{binDir: binDir, dir: dir, password: opts.Password, logStmts: opts.LogStatements, cred: cred, log: opts.Logger}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	s.out = proclog.New(tailLines, func(line string) bool {
		s.log.Debug("postgres output", zap.String("line", line))
		if isStatement(line) {
			s.stmts.Add(1)
			return false // not worth quoting in an error
		}
		return true
	})
	if s.password == "" {
		s.password = rand.Text()
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	if err := s.initdb(ctx); err != nil {
		_ = removeAll(dir)
		return nil, err
	}
	if err := s.startOnFreePort(ctx); err != nil {
		_ = removeAll(dir)
		return nil, err
	}
	return s, nil
}

func (s *Server) startOnFreePort(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		s.port = port
		err = s.launch(ctx)
		if err == nil || attempt == startAttempts || !errors.Is(err, errExited) {
			return err
		}
		// The postmaster died at start: most likely the port we picked was
		// taken in between. Try another one.
		s.log.Debug("postgres exited at start, retrying", zap.Int("port", port), zap.Error(err))
	}
}

// Host returns the loopback address the server binds.
func (s *Server) Host() string { return "127.0.0.1" }

// Port returns the TCP port; it stays the same across Restart.
func (s *Server) Port() int { return s.port }

// Addr returns "127.0.0.1:PORT".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.port)) }

// Password returns the superuser's password.
func (s *Server) Password() string { return s.password }

// DataDir is the cluster's data directory; it stays the same across Restart.
func (s *Server) DataDir() string { return filepath.Join(s.dir, "data") }

// SocketDir is the directory of the server's Unix socket.
func (s *Server) SocketDir() string { return s.dir }

// DSN returns postgres://postgres:PASSWORD@127.0.0.1:PORT/DATABASE with
// sslmode=disable. It carries the password: never log it.
func (s *Server) DSN(database string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(SuperUser, s.password),
		Host: s.Addr(), Path: "/" + database, RawQuery: "sslmode=disable"}
	return u.String()
}

// URL returns the DSN of the "postgres" database.
func (s *Server) URL() string { return s.DSN("postgres") }

// Statements counts the statements the server has logged since Start, when
// Options.LogStatements is set (0 otherwise).
func (s *Server) Statements() int64 { return s.stmts.Load() }

// Stop shuts the server down (fast shutdown: clients are disconnected) and
// waits for it; after 30 s it is killed. The data directory is kept for
// Restart. It is a no-op when the server is not running.
func (s *Server) Stop() error {
	if p := s.take(); p != nil {
		return p.stop()
	}
	return nil
}

// Kill sends SIGKILL to the postmaster and every backend and waits for the
// postmaster to exit: clients get "connection refused" or a broken
// connection. It is a no-op when the server is not running.
func (s *Server) Kill() {
	if p := s.take(); p != nil {
		p.kill()
	}
}

// Pause sends SIGSTOP to the postmaster and every backend: connections are
// still accepted by the kernel but nothing answers, like a hung database.
func (s *Server) Pause() error { return s.signal(syscall.SIGSTOP) }

// Resume sends SIGCONT, resuming a server paused by Pause.
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

// Restart stops the server if it is running, then starts it again on the
// same port and data directory (the data survives), returning once it
// accepts connections (bounded by ctx, or 30 s without a deadline).
func (s *Server) Restart(ctx context.Context) error {
	if err := s.Stop(); err != nil {
		return err
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	for {
		err := s.launch(ctx)
		if err == nil || !errors.Is(err, errExited) {
			return err
		}
		// Right after a kill, the old backends may still hold the shared
		// memory for a moment; postgres then refuses to start. Try again.
		s.log.Debug("postgres exited at restart, retrying", zap.Error(err))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Close kills the server and removes its directory. It is idempotent.
func (s *Server) Close() error {
	s.Kill()
	return removeAll(s.dir)
}

func (s *Server) take() *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	s.proc = nil
	return p
}

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil || s.proc.Exited() {
		return fmt.Errorf("signal %v: postgres not running", sig)
	}
	if err := s.proc.signalAll(sig); err != nil {
		return fmt.Errorf("signal %v: %w", sig, err)
	}
	return nil
}

// launch starts the postmaster on s.port and waits until it accepts
// connections.
func (s *Server) launch(ctx context.Context) error {
	p, err := startProcess(filepath.Join(s.binDir, "postgres"), s.args(), s.cred, s.out)
	if err != nil {
		return err
	}
	if err := waitReady(ctx, p, s.URL()); err != nil {
		p.kill()
		return fmt.Errorf("%w on port %d: %w%s", ErrNotReady, s.port, err, p.Out.Tail())
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	return nil
}

// args are the postmaster's: loopback only, the socket in the server's own
// directory, and no fsync (a test cluster is disposable, and a killed
// server still loses no committed transaction: its writes are in the OS's
// cache; synchronous_commit stays on for that reason).
func (s *Server) args() []string {
	args := []string{"-D", s.DataDir(), "-p", strconv.Itoa(s.port), "-k", s.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "shared_buffers=16MB", "-c", "max_connections=200"}
	if s.logStmts {
		args = append(args, "-c", "log_statement=all")
	}
	return args
}

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, defaultReadyTimeout)
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before postgres binds it; Start retries in that case.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
