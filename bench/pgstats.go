package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zapcore"
)

// logLinePrefix is the server's log_line_prefix during the bench: the
// client's application_name, which each replica sets in its URL, tells
// whose statement a line is.
const logLinePrefix = "%m [%p] app=%a "

// stmtStart matches the first line of a logged statement (log_statement =
// all): simple protocol "statement: SQL", extended "execute NAME: SQL".
var stmtStart = regexp.MustCompile(`app=(\S*) .*?LOG:  (?:statement|execute [^:]*): ?(.*)$`)

// stmtLog is a zap core fed the PostgreSQL server's output by pgserver
// (one "line" field per line): it counts the logged statements by client
// and by purpose. A statement's text continues on lines that begin with a
// tab.
type stmtLog struct {
	mu     sync.Mutex
	app    string          // the statement being read; "" when none
	text   strings.Builder // its text so far
	counts map[stmtKey]int64
}

// stmtKey is a client (application_name) and a statement's purpose.
type stmtKey struct{ app, kind string }

func newStmtLog() *stmtLog { return &stmtLog{counts: map[stmtKey]int64{}} }

// Enabled implements zapcore.Core.
func (l *stmtLog) Enabled(zapcore.Level) bool { return true }

// With implements zapcore.Core.
func (l *stmtLog) With([]zapcore.Field) zapcore.Core { return l }

// Check implements zapcore.Core.
func (l *stmtLog) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	return ce.AddCore(e, l)
}

// Write implements zapcore.Core.
func (l *stmtLog) Write(_ zapcore.Entry, fields []zapcore.Field) error {
	for _, f := range fields {
		if f.Key == "line" {
			l.line(f.String)
		}
	}
	return nil
}

// Sync implements zapcore.Core.
func (l *stmtLog) Sync() error { return nil }

func (l *stmtLog) line(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if rest, ok := strings.CutPrefix(s, "\t"); ok && l.app != "" {
		l.text.WriteString(" " + rest)
		return
	}
	l.flush()
	if m := stmtStart.FindStringSubmatch(s); m != nil {
		l.app = m[1]
		l.text.WriteString(m[2])
	}
}

// flush counts the statement being read, if any.
func (l *stmtLog) flush() {
	if l.app == "" {
		return
	}
	l.counts[stmtKey{l.app, stmtKind(l.text.String())}]++
	l.app = ""
	l.text.Reset()
}

// snapshot returns the counts so far.
func (l *stmtLog) snapshot() map[stmtKey]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.counts)
}

// stmtKinds name what each of the state backend's statements is for, by a
// fragment of its SQL (state/pgstore), first match wins.
var stmtKinds = []struct{ kind, sql string }{
	{"renew", "SET renewed_at = now()"},
	{"save", "INSERT INTO reconciler_units"},
	{"fence check", "SELECT holder_id = $2 AND epoch = $3"},
	{"load", "SELECT doc, version FROM reconciler_units"},
	{"acquire", "INSERT INTO reconciler_leases"},
	{"release", "SET holder_id = NULL"},
	{"holder", "SELECT holder, acquired_at, expires_at"},
	{"mailbox poll", "SELECT DISTINCT name FROM reconciler_requests"},
	{"pending", "SELECT request FROM reconciler_requests"},
	{"post", "INSERT INTO reconciler_requests"},
	{"answer", "UPDATE reconciler_requests SET response = $5"},
	{"await", "FROM reconciler_requests WHERE id = $1"},
	{"listen", "LISTEN reconciler"},
	{"migrate", "reconciler_schema_version"},
	{"migrate", "pg_advisory_xact_lock"},
}

// stmtKind names what sql is for.
func stmtKind(sql string) string {
	norm := strings.Join(strings.Fields(sql), " ")
	for _, k := range stmtKinds {
		if strings.Contains(norm, k.sql) {
			return k.kind
		}
	}
	switch strings.ToLower(norm) {
	case "select 1":
		return "ping"
	case "begin", "commit", "rollback":
		return "transaction"
	}
	return "other: " + norm[:min(len(norm), 40)]
}

// stmtPurpose says what each kind of statement is for, for the printout.
var stmtPurpose = map[string]string{
	"renew":        "the leader renews its lease (one statement for every lease it holds), every retryPeriod",
	"save":         "the leader saves the unit's state, fenced by its epoch: every probe round and pass that changes it, and before every Railway mutation",
	"fence check":  "after a save that wrote nothing: was the lease lost?",
	"load":         "a follower reads the shared state it serves on /status and /metrics (every 2 s)",
	"acquire":      "a follower tries to take the lease (every retryPeriod)",
	"holder":       "who holds the lease: a follower's /status (every 2 s), and after each failed acquire, to name the holder",
	"mailbox poll": "the leader's fallback poll for rollback/rollforward requests (every 10 s while LISTEN is up, every second while it is down; NOTIFY wakes it at once)",
	"pending":      "the leader reads the requests posted to it",
}

// setLogPrefix sets the server's log_line_prefix to logLinePrefix and
// waits until the server uses it.
func setLogPrefix(ctx context.Context, db *pgx.Conn) error {
	if _, err := db.Exec(ctx, "ALTER SYSTEM SET log_line_prefix = '"+logLinePrefix+"'"); err != nil {
		return fmt.Errorf("setting log_line_prefix: %w", err)
	}
	if _, err := db.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return fmt.Errorf("reloading the configuration: %w", err)
	}
	return waitFor(ctx, defaultWait, "the new log_line_prefix", func() bool {
		var v string
		return db.QueryRow(ctx, "SHOW log_line_prefix").Scan(&v) == nil && v == logLinePrefix
	})
}

// printStatements prints, for client app, its statements a minute by kind
// between two snapshots taken minutes apart; it returns the total.
func printStatements(app string, before, after map[stmtKey]int64, minutes float64) float64 {
	byKind := map[string]float64{}
	total := 0.0
	for k, n := range after {
		if k.app == app {
			d := float64(n - before[k])
			byKind[k.kind] += d
			total += d
		}
	}
	kinds := slices.SortedFunc(maps.Keys(byKind), func(a, b string) int {
		return cmp.Compare(byKind[b], byKind[a])
	})
	for _, k := range kinds {
		if byKind[k] == 0 {
			continue
		}
		fmt.Printf("      %-13s %6.1f/min  %s\n", k, byKind[k]/minutes, stmtPurpose[k])
	}
	return total / minutes
}
