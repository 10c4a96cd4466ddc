package chaos_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/internal/testspec"
)

// newFleetCluster is a cluster whose spec is a directory of n specs, each
// on a project of its own, sharing the simulator, the redis-server and
// PostgreSQL.
func newFleetCluster(t *testing.T, n int) *cluster {
	t.Helper()
	c := newCluster(t, "")
	dir := filepath.Join(c.dir, "specs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		sb := c.sim.SeedSandbox(token, "backend")
		c.projects = append(c.projects, sb.ProjectID)
		v := fmt.Sprintf("PROJECT_%d", i)
		c.env = append(c.env, v+"="+sb.ProjectID)
		doc := testspec.Doc(testspec.Options{Name: fmt.Sprintf("unit-%d", i), Endpoint: c.sim.URL(), ProjectID: "${" + v + "}",
			MaxRequestsPerHour: 100000, Health: "probeTimeout: 300ms\nredis:\n  maxLatency: 250ms",
			Extra: fmt.Sprintf("state:\n  backend: postgres\n  postgres:\n    url: ${DATABASE_URL}\n    leaseDuration: %s\n    renewDeadline: %s\n    retryPeriod: %s\n%s",
				leaseDuration, renewDeadline, retryPeriod, rollbackExtra)})
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("unit-%d.yaml", i)), []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c.sim.AddWorkspaceToken(token)
	c.spec = dir
	return c
}

// fleetLeaders reads a replica's /status (a fleet's list) and counts the
// units each replica leads, and the units nobody leads.
func (c *cluster) fleetLeaders(id string) (map[string]int, int, bool) {
	r := c.replicas[id]
	client := http.Client{Timeout: time.Second}
	resp, err := client.Get("http://" + r.addr + "/status")
	if err != nil {
		return nil, 0, false
	}
	defer resp.Body.Close()
	var fs struct {
		Units []struct {
			Name, Leader string
		} `json:"units"`
	}
	if json.NewDecoder(resp.Body).Decode(&fs) != nil {
		return nil, 0, false
	}
	per, orphans := map[string]int{}, 0
	for _, u := range fs.Units {
		if u.Leader == "" {
			orphans++
			continue
		}
		per[u.Leader]++
	}
	return per, orphans, len(fs.Units) > 0
}

// balanced waits until every unit is led, by live replicas only, each
// leading at least one and at most ceil(units/replicas)+1, as every live
// replica's /status says alike: a replica refreshes who leads the units it
// does not lead every 2 s, so one replica's view may lag another's.
func (c *cluster) balanced(units int, within time.Duration) map[string]int {
	c.t.Helper()
	ids := make([]string, 0, len(c.replicas))
	for id := range c.replicas {
		ids = append(ids, id)
	}
	limit := (units+len(ids)-1)/len(ids) + 1
	var last map[string]int
	c.waitFor(within, fmt.Sprintf("%d units led by %v, at most %d each", units, ids, limit), func() bool {
		per, ok := c.agreedLeaders(ids)
		last = per
		if !ok {
			return false
		}
		total := 0
		for leader, n := range per {
			if c.replicas[leader] == nil || n > limit {
				return false
			}
			total += n
		}
		for _, id := range ids {
			if units >= len(ids) && per[id] == 0 {
				return false // a live replica leads nothing yet: not rebalanced
			}
		}
		return total == units
	})
	c.t.Logf("units per replica: %v", last)
	return last
}

// agreedLeaders is the units each replica leads when the /status of every
// replica in ids says the same and names a leader for every unit.
func (c *cluster) agreedLeaders(ids []string) (map[string]int, bool) {
	var first map[string]int
	for _, id := range ids {
		per, orphans, ok := c.fleetLeaders(id)
		if !ok || orphans > 0 || (first != nil && !maps.Equal(first, per)) {
			return per, false
		}
		first = per
	}
	return first, true
}

// Units are sharded across replicas through per-unit leases: with two
// replicas and then three, every unit is led and no replica leads more
// than ceil(units/replicas)+1; a replica that leaves (killed) has its
// units taken over within about a lease duration.
func TestFleetShardsUnitsAcrossReplicas(t *testing.T) {
	t.Parallel()
	const units = 6
	c := newFleetCluster(t, units)
	c.start("a")
	c.start("b")
	c.balanced(units, 60*time.Second)

	joined := time.Now()
	c.start("c")
	per := c.balanced(units, 30*time.Second)
	t.Logf("rebalanced onto a third replica in %s (lease %s)", time.Since(joined).Round(time.Millisecond), leaseDuration)
	if per["c"] == 0 {
		t.Errorf("the third replica leads no unit: %v", per)
	}

	killed := time.Now()
	c.kill("b")
	c.balanced(units, 30*time.Second)
	t.Logf("units of the killed replica taken over in %s", time.Since(killed).Round(time.Millisecond))
	redis := 0
	for _, p := range c.projects {
		for _, s := range c.sim.Services(p) {
			if strings.HasPrefix(s, "Redis") {
				redis++
			}
		}
	}
	if redis != units {
		t.Errorf("%d Redis services for %d units: none may be created twice", redis, units)
	}
	for _, r := range c.sim.Requests() {
		if strings.Contains(strings.Join(r.Fields, ","), "Delete") {
			t.Errorf("a delete was sent: %v", r.Fields)
		}
	}
}
