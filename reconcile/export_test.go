package reconcile

// RoundsWaiting reports how many probe rounds wait for the reconciler's
// lock, having already cancelled a pass if they were going to.
func RoundsWaiting(r *Reconciler) int32 { return r.roundsWaiting.Load() }
