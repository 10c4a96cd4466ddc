package pgstore

import (
	"context"
	"errors"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Stats counts the statements a Store has sent since Open.
type Stats struct {
	// Statements is the total, every statement on every connection.
	Statements int64
	// ByKind splits it by purpose: "renew", "save", "load", "acquire",
	// "release", "holder", "poll", "post", "pending", "answer", "await",
	// "listen", "members", "migrate", "ping".
	ByKind map[string]int64
}

// Stats returns the statement counts.
func (s *Store) Stats() Stats { return s.stats.snapshot() }

type kindKey struct{}

// withKind labels the statements sent with ctx for Stats.
func withKind(ctx context.Context, kind string) context.Context {
	return context.WithValue(ctx, kindKey{}, kind)
}

// tracer is a pgx.QueryTracer that counts statements by kind and keeps the
// last error that was not the database's own answer.
type tracer struct {
	total atomic.Int64

	mu      sync.Mutex
	byKind  map[string]int64
	lastErr error
}

func newTracer() *tracer { return &tracer{byKind: map[string]int64{}} }

// TraceQueryStart implements pgx.QueryTracer.
func (t *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	kind, _ := ctx.Value(kindKey{}).(string)
	if kind == "" {
		kind = "other"
	}
	t.total.Add(1)
	t.mu.Lock()
	t.byKind[kind]++
	t.mu.Unlock()
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (t *tracer) TraceQueryEnd(_ context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	var pgErr *pgconn.PgError
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case data.Err == nil, errors.As(data.Err, &pgErr):
		t.lastErr = nil // the database answered
	case errors.Is(data.Err, context.Canceled):
		// the caller gave up: says nothing of the database
	default:
		t.lastErr = data.Err
	}
}

// connFailed records a connection failure, including a failure to get a
// connection at all, which no statement's trace sees.
func (t *tracer) connFailed(err error) {
	t.mu.Lock()
	t.lastErr = err
	t.mu.Unlock()
}

func (t *tracer) lastError() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lastErr
}

func (t *tracer) snapshot() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Stats{Statements: t.total.Load(), ByKind: maps.Clone(t.byKind)}
}
