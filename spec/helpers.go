package spec

import (
	"slices"
)

// SortedNames returns the consumer's variable names in lexical order.
func (c Consumer) SortedNames() []string {
	names := make([]string, 0, len(c.Variables))
	for name := range c.Variables {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Consumer returns the consumer whose service is name.
func (s *Spec) Consumer(name string) (Consumer, bool) {
	for _, c := range s.Consumers {
		if c.Service == name {
			return c, true
		}
	}
	return Consumer{}, false
}
