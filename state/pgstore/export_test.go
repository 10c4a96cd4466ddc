package pgstore

// PauseRenewals stops (or resumes) this Store's lease renewals and
// heartbeats, as if the process were frozen: the tests of a holder that
// stops renewing.
func (s *Store) PauseRenewals(on bool) {
	s.renew.mu.Lock()
	s.renew.paused = on
	s.renew.mu.Unlock()
}
