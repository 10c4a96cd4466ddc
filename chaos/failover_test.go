package chaos_test

import (
	"syscall"
	"testing"
	"time"
)

// window is the rollback window of the chaos spec: failureThreshold 2 ×
// probe 1 s + probeTimeout 300 ms.
const window = 2*probeEvery + 300*time.Millisecond

// Kill -9 the leader: the follower acts within the lease duration and one
// probe interval, and a Redis failure injected during the takeover is
// rolled back within lease + rollback window + 1 s.
func TestLeaderKilledFollowerTakesOver(t *testing.T) {
	t.Parallel()
	c := newCluster(t, "")
	c.start("a")
	if lead := c.converged(); lead != "a" {
		t.Fatalf("leader %q, want a", lead)
	}
	c.start("b")
	c.waitFor(20*time.Second, "b to stand by, naming a", func() bool {
		s, ok := c.statusOf("b")
		return ok && s.Leader == "a" && s.Phase == "Healthy"
	})

	killed := time.Now()
	c.kill("a")
	c.redis.Kill()
	c.waitFor(20*time.Second, "b to lead", func() bool { return c.leader() == "b" })
	took := time.Since(killed)
	var rolledBack time.Time
	c.waitFor(20*time.Second, "the rollback write", func() bool {
		for _, w := range c.writesSince(killed) {
			if w.url == "" && w.instance == "b" {
				rolledBack = w.at
				return true
			}
		}
		return false
	})
	rollback := rolledBack.Sub(killed)
	t.Logf("takeover %s (lease %s + probe %s); rollback %s after the kill (lease + window %s + 1 s = %s)",
		took.Round(time.Millisecond), leaseDuration, probeEvery, rollback.Round(time.Millisecond), window, leaseDuration+window+time.Second)
	if limit := leaseDuration + probeEvery + time.Second; took > limit {
		t.Errorf("takeover took %s, want within %s", took, limit)
	}
	if limit := leaseDuration + window + time.Second; rollback > limit {
		t.Errorf("rollback %s after the leader was killed, want within %s", rollback, limit)
	}
	if n := len(c.writesSince(killed)); n != 1 {
		t.Errorf("%d variable writes after the kill, want the one rollback", n)
	}
	if n := c.redisServices(); n != 1 {
		t.Errorf("%d Redis services, want 1", n)
	}
}

// SIGSTOP the leader for twice the lease: the follower takes over; when
// the old leader wakes (SIGCONT) it makes no Railway mutation at all, even
// with drift it would have corrected: its next save is fenced.
func TestFrozenLeaderMakesNoMutationAfterItWakes(t *testing.T) {
	t.Parallel()
	c := newCluster(t, "")
	c.start("a")
	c.converged()
	c.start("b")
	c.waitFor(20*time.Second, "b to stand by", func() bool { s, ok := c.statusOf("b"); return ok && s.Leader == "a" })

	c.signal("a", syscall.SIGSTOP)
	c.waitFor(4*leaseDuration+5*time.Second, "b to lead", func() bool {
		s, ok := c.statusOf("b")
		return ok && s.Leader == "b"
	})
	// Drift that a leader corrects: the new one does, the old must not.
	c.sim.SetVariables(c.envID, c.backend, map[string]string{"REDIS_URL": "redis://hand-edited:6379"})
	c.waitFor(20*time.Second, "b to correct the drift", func() bool { return c.backendURL() == "${{Redis.REDIS_URL}}" })

	resumed := time.Now()
	c.signal("a", syscall.SIGCONT)
	c.sim.SetVariables(c.envID, c.backend, map[string]string{"REDIS_URL": "redis://edited-again:6379"})
	c.waitFor(20*time.Second, "the second correction", func() bool { return c.backendURL() == "${{Redis.REDIS_URL}}" })
	c.waitFor(20*time.Second, "a to stand by", func() bool { s, ok := c.statusOf("a"); return ok && s.Leader == "b" })
	if n := c.mutationsSince(resumed, "a"); n != 0 {
		t.Errorf("the deposed leader sent %d Railway mutations after it woke, want 0", n)
	}
	if n := c.mutationsSince(resumed, "b"); n == 0 {
		t.Error("the new leader corrected nothing: the test proves nothing")
	}
}

// Stop PostgreSQL for 30 s while Redis fails: no mutation while no lease
// is valid; afterwards one leader, and nothing doubled: one Redis, one
// rollback write, one deploy.
func TestPostgresOutageNoActionThenOnce(t *testing.T) {
	t.Parallel()
	c := newCluster(t, "")
	c.start("a")
	c.converged()
	c.start("b")
	c.waitFor(20*time.Second, "b to stand by", func() bool { s, ok := c.statusOf("b"); return ok && s.Leader == "a" })

	stopped := time.Now()
	if err := c.pg.Stop(); err != nil {
		t.Fatal(err)
	}
	c.redis.Kill()
	leaseGone := stopped.Add(renewDeadline + 500*time.Millisecond)
	c.waitFor(10*time.Second, "the leader to stop leading", func() bool {
		s, ok := c.statusOf("a")
		return ok && s.Leader != "a"
	})
	outage := 30 * time.Second
	time.Sleep(time.Until(stopped.Add(outage))) // the outage itself: nothing to wait on
	for id := range c.replicas {
		if n := c.mutationsSince(leaseGone, id); n != 0 {
			t.Errorf("replica %s sent %d mutations while no lease was valid", id, n)
		}
	}
	if err := c.pg.Restart(ctx(t)); err != nil {
		t.Fatal(err)
	}
	var lead string
	c.waitFor(30*time.Second, "a leader again", func() bool { lead = c.leader(); return lead != "" })
	c.waitFor(30*time.Second, "the rollback", func() bool { return c.backendURL() == "" })
	c.waitFor(10*time.Second, "the rollback's deploy", func() bool { return c.deploysSince(stopped) >= 1 })
	settle := time.Now().Add(3 * probeEvery)
	c.waitFor(10*time.Second, "three more rounds", func() bool { return time.Now().After(settle) })
	var rollbacks int
	for _, w := range c.writesSince(stopped) {
		if w.url == "" {
			rollbacks++
		}
	}
	if rollbacks != 1 {
		t.Errorf("%d rollback writes, want 1", rollbacks)
	}
	if n := c.deploysSince(stopped); n != 1 {
		t.Errorf("%d deploys of the backend after the outage, want 1", n)
	}
	if n := c.redisServices(); n != 1 {
		t.Errorf("%d Redis services, want 1", n)
	}
	leaders := 0
	for id := range c.replicas {
		if s, ok := c.statusOf(id); ok && s.Leader == id {
			leaders++
		}
	}
	if leaders != 1 {
		t.Errorf("%d replicas say they lead, want 1 (%s)", leaders, lead)
	}
}
