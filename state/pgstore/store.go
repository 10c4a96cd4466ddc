package pgstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/state"
)

// Defaults, those of client-go's leader election.
const (
	DefaultLeaseDuration  = 15 * time.Second
	DefaultRenewDeadline  = 10 * time.Second
	DefaultRetryPeriod    = 2 * time.Second
	DefaultMailboxPoll    = time.Second
	DefaultRequestTTL     = 10 * time.Minute
	DefaultConnectTimeout = 5 * time.Second
	DefaultMaxConns       = 4
)

// Options configure a Store. The zero value is usable.
type Options struct {
	// LeaseDuration is how long a lease lasts unless renewed (15 s).
	LeaseDuration time.Duration
	// RenewDeadline is how long a holder keeps acting without a successful
	// renewal before it gives the lease up (10 s). Less than LeaseDuration.
	RenewDeadline time.Duration
	// RetryPeriod is the pause between renewals, and between acquisition
	// attempts (2 s). Less than RenewDeadline.
	RetryPeriod time.Duration
	// MailboxPoll is the fallback poll of Wake and Await, for notifications
	// lost while the LISTEN connection was down (1 s). While it is up,
	// Wake polls only every tenth MailboxPoll.
	MailboxPoll time.Duration
	// RequestTTL is how long a posted request stays pending: older ones are
	// never carried out (10 min).
	RequestTTL time.Duration
	// ConnectTimeout bounds each connection attempt, unless the URL sets
	// connect_timeout (5 s).
	ConnectTimeout time.Duration
	// MaxConns bounds the connection pool (4), besides the one LISTEN
	// connection.
	MaxConns int32
	// Instance identifies this replica; default RAILWAY_REPLICA_ID, else a
	// random id.
	Instance string
	// Command describes this process to other replicas, e.g. "reconciler run".
	Command string
	// Logger receives warnings (a lease lost, the database unreachable).
	// Default: nop.
	Logger *zap.Logger
}

func (o *Options) defaults() error {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.LeaseDuration, DefaultLeaseDuration)
	def(&o.RenewDeadline, DefaultRenewDeadline)
	def(&o.RetryPeriod, DefaultRetryPeriod)
	def(&o.MailboxPoll, DefaultMailboxPoll)
	def(&o.RequestTTL, DefaultRequestTTL)
	def(&o.ConnectTimeout, DefaultConnectTimeout)
	if o.MaxConns == 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.Instance == "" {
		o.Instance = os.Getenv("RAILWAY_REPLICA_ID")
	}
	if o.Instance == "" {
		o.Instance = rand.Text()[:8]
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	switch {
	case o.RetryPeriod < 0 || o.MailboxPoll < 0 || o.RequestTTL < 0 || o.ConnectTimeout < 0 || o.MaxConns < 1:
		return errors.New("lease timings, poll, TTL, timeout and connections must be positive")
	case o.RenewDeadline >= o.LeaseDuration:
		return fmt.Errorf("renewDeadline (%s) must be less than leaseDuration (%s)", o.RenewDeadline, o.LeaseDuration)
	case o.RetryPeriod >= o.RenewDeadline:
		return fmt.Errorf("retryPeriod (%s) must be less than renewDeadline (%s)", o.RetryPeriod, o.RenewDeadline)
	}
	return nil
}

// Store is the PostgreSQL backend. It implements state.Backend,
// state.Locker and state.Mailbox, and is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	cfg    *pgxpool.Config
	opts   Options
	log    *zap.Logger
	red    redactor
	target string // "HOST:PORT as USER", for messages
	// token identifies this Store's leases and membership in the database.
	token string
	self  state.Holder
	stats *tracer

	renew *renewer
	watch *watcher

	stop    context.CancelFunc
	wg      sync.WaitGroup
	closeMu sync.Once
}

// Open connects to the database at url, creates or upgrades the tables and
// starts the lease renewer. An unreachable or unauthorised database is a
// one-line error naming the host, port and user, never the password,
// within ConnectTimeout. A schema newer than this build wraps
// state.ErrNewerState.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	red := newRedactor(url)
	if err := opts.defaults(); err != nil {
		return nil, fmt.Errorf("postgres options: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, red.wrap("invalid postgres URL", err)
	}
	s := &Store{cfg: cfg, opts: opts, log: opts.Logger, red: red, stats: newTracer()}
	s.configure()
	if s.pool, err = pgxpool.NewWithConfig(context.Background(), cfg); err != nil {
		return nil, red.wrap("invalid postgres URL", err)
	}
	if err := s.connect(ctx); err != nil {
		s.pool.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.pool.Close()
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.renew = newRenewer(s)
	s.watch = newWatcher(s)
	s.goRun(func() { s.renew.run(runCtx) })
	s.goRun(func() { s.watch.run(runCtx) })
	return s, nil
}

// configure sets the pool up: bounded connects, no ping before each use (a
// statement on a broken connection fails and is retried at the next tick;
// pings would double the statements), statements counted.
func (s *Store) configure() {
	c := s.cfg
	if c.ConnConfig.ConnectTimeout == 0 {
		c.ConnConfig.ConnectTimeout = s.opts.ConnectTimeout
	}
	if _, ok := c.ConnConfig.RuntimeParams["application_name"]; !ok {
		c.ConnConfig.RuntimeParams["application_name"] = "reconciler"
	}
	c.MaxConns = s.opts.MaxConns
	c.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return false }
	c.ConnConfig.Tracer = s.stats
	s.target = fmt.Sprintf("%s:%d as %s", c.ConnConfig.Host, c.ConnConfig.Port, c.ConnConfig.User)
	host, _ := os.Hostname()
	s.self = state.Holder{PID: os.Getpid(), Host: host, Command: s.opts.Command, Instance: s.opts.Instance}
	s.token = s.opts.Instance + "/" + rand.Text()[:12]
}

// connect makes the first connection, within ConnectTimeout.
func (s *Store) connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ConnConfig.ConnectTimeout+time.Second)
	defer cancel()
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connecting to postgres at %s: %s", s.target, s.red.cause(err, s.cfg.ConnConfig.ConnectTimeout))
	}
	c.Release()
	return nil
}

func (s *Store) goRun(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// Ping checks that the database answers (one statement).
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.pool.Exec(withKind(ctx, "ping"), "SELECT 1")
	return s.fail("ping", err)
}

// Target describes the database for messages: "HOST:PORT as USER".
func (s *Store) Target() string { return s.target }

// Self describes this replica as other replicas see it.
func (s *Store) Self() state.Holder { return s.self }

// LastError says why the last statement could not reach the database, or
// is nil when it did: the reason for a Ready=False while PostgreSQL is
// down. Renewals and acquisition attempts keep it current.
func (s *Store) LastError() error {
	if err := s.stats.lastError(); err != nil {
		return fmt.Errorf("postgres at %s: %s", s.target, s.red.cause(err, s.cfg.ConnConfig.ConnectTimeout))
	}
	return nil
}

// Close releases the leases still held and leaves the membership (best
// effort, within 2 s), then closes the connections. It is idempotent.
func (s *Store) Close() error {
	s.closeMu.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.renew.releaseAll(ctx)
		s.stop()
		s.wg.Wait()
		s.pool.Close()
	})
	return nil
}

// timed runs f on a pooled connection and returns when its statement was
// sent: after the connection was had, as a connection attempt (up to
// ConnectTimeout) must not count against a lease.
func (s *Store) timed(ctx context.Context, f func(c *pgxpool.Conn) error) (time.Time, error) {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return time.Time{}, err
	}
	defer c.Release()
	sent := time.Now()
	return sent, f(c)
}

// fail wraps a statement's error for the caller, without the password. A
// failure of the connection itself resets the pool: after a database
// restart every pooled connection is broken, and each would otherwise
// fail one statement in turn.
func (s *Store) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if isConnErr(err) {
		s.stats.connFailed(err)
		s.pool.Reset()
	}
	return s.red.wrap(op, err)
}

// isConnErr reports an error that is not the database's answer: the
// connection failed, or the statement timed out.
func isConnErr(err error) bool {
	var pgErr *pgconn.PgError
	return err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, pgx.ErrNoRows) && !errors.As(err, &pgErr)
}
