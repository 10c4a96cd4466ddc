package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/smartlic/reconciler/internal/clock"
)

// ConvergeOptions tune Converge.
type ConvergeOptions struct {
	// Interval separates passes while something is in progress. Default 2s.
	Interval time.Duration
	// Sleep waits between passes; typically replaced in tests. It must
	// return ctx.Err() when ctx ends first.
	Sleep func(ctx context.Context, d time.Duration) error
}

// ErrNotConverged means Converge stopped (timeout, or a blocked item) with
// work left.
var ErrNotConverged = errors.New("not converged")

// Converge is `apply`: passes (each with a probe round) until nothing is
// pending or in progress, something is blocked (no action of the operator
// can fix it: it ends at once, with the blocker's message), a permanent
// error, or ctx's deadline. Transient
// errors are retried. It returns the last pass's result.
func (r *Reconciler) Converge(ctx context.Context, opts ConvergeOptions) (*Result, error) {
	if opts.Interval == 0 {
		opts.Interval = 2 * time.Second
	}
	if opts.Sleep == nil {
		opts.Sleep = clock.Sleep
	}
	for first := true; ; first = false {
		res := r.Pass(ctx, PassOptions{Probe: true, Retry: first})
		switch {
		case res.Err != nil && Classify(res.Err) == ClassPermanent:
			return res, res.Err
		case res.Err == nil && !res.Plan.Pending() && len(res.Plan.Blocked) > 0:
			// Waiting longer cannot help: what waits, waits for the blocker.
			return res, fmt.Errorf("%w: blocked: %s", ErrNotConverged, res.Plan.Blocked[0])
		case res.Err == nil && res.Plan.Converged():
			return res, nil
		}
		if err := opts.Sleep(ctx, opts.Interval); err != nil {
			if res.Err != nil {
				return res, fmt.Errorf("%w: %w", ErrNotConverged, res.Err)
			}
			return res, fmt.Errorf("%w: %s", ErrNotConverged, describeOutstanding(res))
		}
	}
}

func describeOutstanding(res *Result) string {
	switch {
	case res.Plan.Pending():
		for _, a := range res.Plan.Actions {
			if a.DependsOn == "" {
				return a.String()
			}
		}
	case len(res.Plan.Waiting) > 0:
		return "waiting: " + res.Plan.Waiting[0]
	}
	return "timed out"
}
