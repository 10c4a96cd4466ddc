package reconcile

import "github.com/smartlic/reconciler/state"

// Update applies fn to the live state under the reconciler's lock, then
// persists the state. fn may be nil: a plain save (the controller's last
// one at shutdown). fn runs with the lock held, so it must be quick and
// must not call the reconciler; it is how the report job records a
// delivery (state.ReportBook) without racing a pass or a round.
func (r *Reconciler) Update(fn func(st *state.State)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if fn != nil {
		fn(r.st)
	}
	return r.persist()
}
