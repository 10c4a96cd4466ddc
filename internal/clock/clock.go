// Package clock holds the one real-time wait the reconciler's packages
// share. Everything that waits takes a Sleep func with this signature, so
// that tests inject one that advances a fake clock instead.
package clock

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx is done, in which case it returns ctx.Err().
// A non-positive d returns at once (ctx.Err(), nil when ctx is live).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
