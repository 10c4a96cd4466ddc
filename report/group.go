package report

import (
	"strconv"
	"strings"

	"github.com/smartlic/reconciler/spec"
)

// GroupSpecs groups the specs whose units report together: the same
// schedule.report expression, the same report.format and the same
// report.sinks (the same list, in the same order, webhook URLs compared by
// value). Each group gets one report per schedule, sent to its sinks:
// Build's for a single unit, BuildFleet's for more (BuildAll). So every
// unit of a generator reports together, and a unit's report never goes to
// a sink its own spec does not list. Groups come in the order of their
// first spec, their specs in the order given.
func GroupSpecs(specs []*spec.Spec) [][]*spec.Spec {
	var groups [][]*spec.Spec
	index := map[string]int{}
	for _, s := range specs {
		k := groupKey(s)
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], s)
	}
	return groups
}

// groupKey identifies a spec's report schedule, format and destinations.
// It holds webhook URLs: it is compared, never shown.
func groupKey(s *spec.Spec) string {
	parts := []string{s.Schedule.Report.Expr, s.Report.Format}
	for _, k := range s.Report.Sinks {
		parts = append(parts, string(k.Kind), k.Dir, k.URL.Value())
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(strconv.Itoa(len(p)) + ":" + p) // length-prefixed: unambiguous
	}
	return b.String()
}
