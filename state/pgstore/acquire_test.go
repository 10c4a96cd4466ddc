package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// A follower takes the lease of a holder that died without releasing it as
// the lease expires by the database's clock, not up to a RetryPeriod
// later: failover is bounded by the lease duration, whatever the phase of
// the follower's polling.
func TestFollowerTakesADeadHoldersLeaseAtExpiry(t *testing.T) {
	dsn := pg.Database(t)
	o := testOptions()
	// Attempts every 3 s: at 0 s, when 4 s are left (the full pause), and
	// at 3 s, when 1 s is left: the next one is due at the expiry (4 s),
	// not at 6 s.
	o.LeaseDuration, o.RenewDeadline, o.RetryPeriod = 5*time.Second, 4*time.Second, 3*time.Second
	b := open(t, dsn, o) // creates the tables
	c, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(t.Context())
	var expires time.Time
	// A holder that was killed: its row stays until it expires.
	err = c.QueryRow(t.Context(), `INSERT INTO reconciler_leases (name, epoch, holder_id, holder, acquired_at, renewed_at, expires_at)
		VALUES ('app', 7, 'dead/holder', '{"pid": 1, "host": "gone", "command": "reconciler run"}', now(), now(), now() + interval '4 seconds')
		RETURNING expires_at`).Scan(&expires)
	if err != nil {
		t.Fatal(err)
	}
	l := acquire(t, b, "app")
	late := l.Holder().Since.Sub(expires) // both by the database's clock
	t.Logf("acquired %s after the dead holder's lease expired (epoch %d)", late.Round(time.Millisecond), l.Epoch())
	if late < 0 || l.Epoch() != 8 {
		t.Fatalf("acquired %s after the expiry at epoch %d: want after it, at epoch 8", late, l.Epoch())
	}
	if late > time.Second {
		t.Errorf("acquired %s after the expiry, want within a second (RetryPeriod is %s)", late, o.RetryPeriod)
	}
}

// A follower says once, at info, that it stands by and who leads, not at
// every attempt.
func TestAcquireLogsTheStandbyOnce(t *testing.T) {
	dsn := pg.Database(t)
	a := open(t, dsn)
	acquire(t, a, "app")
	core, logs := observer.New(zap.InfoLevel)
	o := testOptions()
	o.Logger = zap.New(core)
	b := open(t, dsn, o)
	ctx, cancel := context.WithTimeout(t.Context(), 5*retryPeriod)
	defer cancel()
	if _, err := b.Acquire(ctx, "app"); err == nil {
		t.Fatal("Acquire of a held lease succeeded")
	}
	lines := logs.FilterMessage("standby: another replica holds the lease, waiting for it").All()
	if len(lines) != 1 {
		t.Fatalf("%d standby lines over 5 attempts, want 1", len(lines))
	}
	if f := lines[0].ContextMap(); f["unit"] != "app" || f["leader"] != a.Self().Instance {
		t.Fatalf("standby line: %v", f)
	}
}
