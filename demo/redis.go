package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/redisserver"
)

// redisBackend is the demo's Redis: a redis-server child process, or an
// embedded Go Redis when redis-server is not installed. Both listen on
// 127.0.0.1 with a password, and keep their port across Down and Up.
type redisBackend interface {
	// Describe says what it is, for the narration.
	Describe() string
	Host() string
	Port() int
	Password() string
	// Down makes Redis unreachable: connections are refused.
	Down() error
	// DownVerb says how Down did it, for the narration.
	DownVerb() string
	// Up brings Redis back on the same port with the same password.
	Up(ctx context.Context) error
	Close()
}

// redisURL is the backend's redis:// URL; it carries the password.
func redisURL(b redisBackend) string {
	return "redis://default:" + b.Password() + "@" + net.JoinHostPort(b.Host(), strconv.Itoa(b.Port()))
}

// startRedis starts redis-server from PATH unless embedded is set or it is
// not installed, in which case it starts miniredis.
func startRedis(ctx context.Context, embedded bool, log *zap.Logger) (redisBackend, error) {
	if !embedded {
		srv, err := redisserver.Start(ctx, redisserver.Options{Logger: log.Named("redis-server")})
		switch {
		case err == nil:
			return &processRedis{srv: srv}, nil
		case !errors.Is(err, redisserver.ErrNotInstalled):
			if srv != nil {
				_ = srv.Close() // Close always returns nil
			}
			return nil, fmt.Errorf("starting redis-server: %w", err)
		}
		log.Info("redis-server not installed, using the embedded redis")
		return startEmbedded("redis-server is not in PATH")
	}
	return startEmbedded("--embedded-redis")
}

// startEmbedded starts miniredis; why says why it is used.
func startEmbedded(why string) (redisBackend, error) {
	e := &embeddedRedis{m: miniredis.NewMiniRedis(), password: randomHex(16), why: why}
	e.m.RequireUserAuth("default", e.password)
	if err := e.m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("starting the embedded redis: %w", err)
	}
	e.host = e.m.Host()
	e.port, _ = strconv.Atoi(e.m.Port()) // miniredis reports its own numeric port
	return e, nil
}

// processRedis is a redis-server child process.
type processRedis struct{ srv *redisserver.Server }

func (p *processRedis) Describe() string {
	path, err := exec.LookPath(redisserver.DefaultBinary)
	if err != nil {
		path = redisserver.DefaultBinary
	}
	return "redis-server from PATH (" + path + ")"
}
func (p *processRedis) Host() string                 { return p.srv.Host() }
func (p *processRedis) Port() int                    { return p.srv.Port() }
func (p *processRedis) Password() string             { return p.srv.Password() }
func (p *processRedis) Down() error                  { p.srv.Kill(); return nil }
func (p *processRedis) DownVerb() string             { return "redis-server killed (SIGKILL)" }
func (p *processRedis) Up(ctx context.Context) error { return p.srv.Restart(ctx) }
func (p *processRedis) Close()                       { _ = p.srv.Close() } // always nil

// embeddedRedis is an in-process miniredis: closing it refuses
// connections, restarting it listens again on the same port.
type embeddedRedis struct {
	m        *miniredis.Miniredis
	password string
	why      string // why it is used instead of redis-server
	// host and port are kept from the start: miniredis cannot tell them
	// while closed.
	host string
	port int
}

func (e *embeddedRedis) Describe() string {
	return "embedded Go Redis (miniredis; " + e.why + ")"
}
func (e *embeddedRedis) Host() string     { return e.host }
func (e *embeddedRedis) Port() int        { return e.port }
func (e *embeddedRedis) Password() string { return e.password }
func (e *embeddedRedis) Down() error      { e.m.Close(); return nil }
func (e *embeddedRedis) DownVerb() string { return "embedded Redis stopped" }

// Up restarts miniredis on its port (its data is kept, as a restarted
// redis-server with a volume would keep it).
func (e *embeddedRedis) Up(context.Context) error {
	if err := e.m.Restart(); err != nil {
		return fmt.Errorf("restarting the embedded redis: %w", err)
	}
	return nil
}
func (e *embeddedRedis) Close() { e.m.Close() }

// randomHex returns n random bytes, hex encoded.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
