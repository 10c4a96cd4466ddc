package reconcile

import "github.com/smartlic/reconciler/state"

// Update applies fn to the live state on the owner, then persists the
// state. fn may be nil: a plain save (the controller's last one at
// shutdown). fn must be quick and must not call the reconciler; it is how
// the report job records a delivery (state.ReportBook). It never
// interrupts a pass.
func (r *Reconciler) Update(fn func(st *state.State)) error {
	var err error
	serr := r.submit(r.urgent, &job{fn: func() {
		if fn != nil {
			fn(r.o.st)
		}
		err = r.persist()
	}})
	if serr != nil {
		return serr
	}
	return err
}
