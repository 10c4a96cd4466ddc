package railway_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
)

// fleet builds n units spread evenly over groups groups (one project, one
// environment each), all reconciled every period.
func fleet(n, groups int, period time.Duration) []railway.ScheduledUnit {
	units := make([]railway.ScheduledUnit, n)
	for i := range units {
		units[i] = railway.ScheduledUnit{ProjectID: "p", EnvironmentID: fmt.Sprintf("env-%d", i%groups), Period: period}
	}
	return units
}

func TestFairShare(t *testing.T) {
	t.Parallel()
	mixed := []railway.ScheduledUnit{
		{ProjectID: "p", EnvironmentID: "prod", Period: 30 * time.Second},
		{ProjectID: "p", EnvironmentID: "prod", Period: time.Minute},
		{ProjectID: "p", EnvironmentID: "prod", Period: time.Minute},
		{ProjectID: "q", EnvironmentID: "prod", Period: time.Minute}, // another project: another group
		{ProjectID: "p", EnvironmentID: "prod"},                      // not scheduled
	}
	for _, tt := range []struct {
		name                  string
		budget                int
		units                 []railway.ScheduledUnit
		usable                int
		need, factor, planned float64
		intervals             map[int]time.Duration // unit index → interval
	}{
		{
			name: "budget above the need", budget: 500, units: fleet(10, 2, time.Minute),
			usable: 450, need: 120, factor: 1, planned: 120,
			intervals: map[int]time.Duration{0: time.Minute, 9: time.Minute},
		},
		{
			// 20 groups × 60/h = 1200/h; 500 less a reserve of 50 is 450,
			// 80 % of it 360: every interval × 10/3.
			name: "200 units in 20 groups at @every 1m, 500/h", budget: 500, units: fleet(200, 20, time.Minute),
			usable: 450, need: 1200, factor: 1200.0 / 360, planned: 360,
			intervals: map[int]time.Duration{0: 200 * time.Second, 199: 200 * time.Second},
		},
		{
			name: "200 units in one group at @every 1m, 500/h", budget: 500, units: fleet(200, 1, time.Minute),
			usable: 450, need: 60, factor: 1, planned: 60,
			intervals: map[int]time.Duration{0: time.Minute},
		},
		{
			// 60/h against 80 % of (50 - 5) = 36/h: × 5/3.
			name: "one big group, 50/h", budget: 50, units: fleet(200, 1, time.Minute),
			usable: 45, need: 60, factor: 60.0 / 36, planned: 36,
			intervals: map[int]time.Duration{0: 100 * time.Second, 150: 100 * time.Second},
		},
		{
			name: "zero budget is unlimited", budget: 0, units: fleet(200, 20, time.Minute),
			need: 1200, factor: 1, planned: 1200,
			intervals: map[int]time.Duration{0: time.Minute},
		},
		{
			// p/prod: 120 + 60, q/prod: 60 = 240/h against 80 % of 90.
			name: "mixed periods, an unscheduled unit", budget: 100, units: mixed,
			usable: 90, need: 240, factor: 240.0 / 72, planned: 72,
			intervals: map[int]time.Duration{0: 100 * time.Second, 1: 200 * time.Second, 3: 200 * time.Second, 4: 0},
		},
		{
			name: "a budget of 1", budget: 1, units: fleet(1, 1, time.Hour),
			usable: 1, need: 1, factor: 1.25, planned: 0.8,
			intervals: map[int]time.Duration{0: 75 * time.Minute},
		},
		{name: "no units", budget: 500, usable: 450, factor: 1, intervals: map[int]time.Duration{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := railway.FairShare(tt.budget, tt.units)
			if p.Usable != tt.usable || !near(p.Need, tt.need) || !near(p.Factor, tt.factor) || !near(p.Planned, tt.planned) {
				t.Errorf("usable %d, need %.3f, factor %.4f, planned %.3f; want %d, %.3f, %.4f, %.3f",
					p.Usable, p.Need, p.Factor, p.Planned, tt.usable, tt.need, tt.factor, tt.planned)
			}
			if len(p.Intervals) != len(tt.units) {
				t.Fatalf("%d intervals for %d units", len(p.Intervals), len(tt.units))
			}
			for i, want := range tt.intervals {
				if p.Intervals[i] != want {
					t.Errorf("unit %d: interval %s, want %s", i, p.Intervals[i], want)
				}
			}
			if tt.budget > 0 && p.Planned > p.Target+1e-9 {
				t.Errorf("planned %.3f over the target %.3f", p.Planned, p.Target)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }
