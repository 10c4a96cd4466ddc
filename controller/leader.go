package controller

// setLeader records whether this process leads the unit.
func (m *metrics) setLeader(on bool) {
	_ = on // wired to reconciler_leader when the leadership metrics land
}
