package spec

// SortedNames returns the consumer's variable names in lexical order.
func (c Consumer) SortedNames() []string { return sortedKeys(c.Variables) }

// Consumer returns the consumer whose service is name.
func (s *Spec) Consumer(name string) (Consumer, bool) {
	for _, c := range s.Consumers {
		if c.Service == name {
			return c, true
		}
	}
	return Consumer{}, false
}

// UsesPostgres reports whether the state is kept in PostgreSQL. A State
// built by hand with no Backend is the file backend.
func (st State) UsesPostgres() bool { return st.Backend == StateBackendPostgres }
