package reconcile

import (
	"context"
	"errors"
)

// The one writer. Each Reconciler has a single goroutine, the owner, that
// holds the live state and is the only one to read or change it. Work
// reaches it as jobs on two lanes:
//
//   - the urgent lane: probe rounds (a rollback or roll forward they
//     decide), manual commands and state updates;
//   - the normal lane: reconcile passes.
//
// Jobs run one at a time, urgent first. Railway reads and probe rounds are
// made by the callers, outside the owner, from a published snapshot; only
// the writes of a plan are made by the owner. While a pass's write is in
// flight the owner keeps serving the urgent lane: a job that writes
// nothing (a healthy round, a report's bookkeeping) runs at once, and one
// that writes (a rollback falls due) interrupts the pass — its write in
// flight is cancelled, unless it is an addon creation, which always runs
// to its end — and runs as soon as the pass has saved its state. So a
// rollback never waits behind a pass's retries, and a round never waits
// for a pass.

// ErrClosed means the reconciler was closed.
var ErrClosed = errors.New("reconcile: reconciler closed")

// errInterrupted ends a pass's act step when an urgent job must write.
var errInterrupted = errors.New("interrupted by a rollback or roll forward")

// job is a unit of work for the owner.
type job struct {
	// writes reports, on the owner, whether the job would write to Railway
	// now; nil means never. Such a job interrupts a pass in flight.
	writes func() bool
	fn     func()
	done   chan struct{}
}

func (j *job) wantsWrite() bool { return j.writes != nil && j.writes() }

// submit hands j to the owner on lane and waits for it to have run. The
// job runs even if ctx ends meanwhile (its Railway calls then fail fast).
func (r *Reconciler) submit(lane chan<- *job, j *job) error {
	j.done = make(chan struct{})
	select {
	case lane <- j:
	case <-r.stopping:
		return ErrClosed
	}
	<-j.done
	return nil
}

// loop is the owner goroutine.
func (r *Reconciler) loop() {
	defer close(r.stopped)
	for {
		select { // urgent first
		case j := <-r.urgent:
			r.exec(j)
			continue
		default:
		}
		select {
		case j := <-r.urgent:
			r.exec(j)
		case j := <-r.normal:
			r.exec(j)
		case <-r.stopping:
			return
		}
	}
}

// exec runs j, then the urgent jobs it deferred.
func (r *Reconciler) exec(j *job) {
	j.fn()
	close(j.done)
	for len(r.o.deferred) > 0 {
		d := r.o.deferred[0]
		r.o.deferred = r.o.deferred[1:]
		d.fn()
		close(d.done)
	}
}

// serveUrgent runs the urgent jobs waiting now that write nothing, and
// defers those that write. It reports whether one was deferred.
func (r *Reconciler) serveUrgent() bool {
	for {
		select {
		case j := <-r.urgent:
			r.take(j)
		default:
			return len(r.o.deferred) > 0
		}
	}
}

// take runs an urgent job at once when it writes nothing, else defers it
// until the job in progress ends.
func (r *Reconciler) take(j *job) {
	if j.wantsWrite() {
		r.o.deferred = append(r.o.deferred, j)
		return
	}
	j.fn()
	close(j.done)
}

// await makes one Railway call off the owner goroutine and waits for it,
// serving the urgent lane meanwhile. When an urgent job must write and the
// call is preemptible (a pass's write, not an addon creation), the call is
// cancelled and await returns errInterrupted (joined with the call's own
// error, since the call may have reached Railway).
func (r *Reconciler) await(ctx context.Context, preemptible bool, call func(ctx context.Context) error) error {
	if preemptible && r.serveUrgent() {
		return errInterrupted
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- call(ctx) }()
	for {
		select {
		case err := <-res:
			return err
		case j := <-r.urgent:
			r.take(j)
			if preemptible && len(r.o.deferred) > 0 {
				cancel()
				return errors.Join(errInterrupted, <-res)
			}
		}
	}
}
