package chaos_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

// flapExtra opens the flap guard narrowly: every unhealthy round rolls back,
// every healthy one rolls forward, and the third rollback within the hour
// holds.
const flapExtra = `rollback:
  failureThreshold: 1
  recoveryThreshold: 1
  minRolledBack: 0s
  maxRollbacks: 2
  rollbackWindow: 1h
schedule:
  reconcile: "@every 2s"
  probe: "@every 1s"
  report: "@every 24h"
`

const maxRollbacks = 2

// 50 random leader kills during a flapping Redis: the flap guard's count
// lives in the shared state, so across leaders there are never more than
// maxRollbacks rollbacks before the hold, and nothing rolls forward after
// it.
func TestFlappingRedisAcrossLeaderKills(t *testing.T) {
	t.Parallel()
	c := newCluster(t, flapExtra)
	c.start("r0")
	c.converged()
	c.start("r1")
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(uint64(seed), 1))

	stopFlap := make(chan struct{})
	flapped := make(chan struct{})
	go func() {
		defer close(flapped)
		for {
			c.redis.Kill()
			if wait(stopFlap, 1500*time.Millisecond) {
				break
			}
			_ = c.redis.Restart(ctx(t))
			if wait(stopFlap, 2500*time.Millisecond) {
				return
			}
		}
		_ = c.redis.Restart(ctx(t))
	}()

	next := 2
	for range 50 {
		wait(nil, time.Duration(300+rnd.IntN(900))*time.Millisecond)
		victim := c.leader()
		if victim == "" {
			for id := range c.replicas {
				victim = id
				break
			}
		}
		c.kill(victim)
		c.start(fmt.Sprintf("r%d", next))
		next++
	}
	c.waitFor(90*time.Second, "the hold", func() bool { return c.sharedMode() == "Held" })
	close(stopFlap)
	<-flapped

	evs := c.events()
	var rolledBack, held int
	for _, e := range evs {
		switch e.Type {
		case "RolledBack":
			rolledBack++
			if held > 0 {
				t.Errorf("a rollback after the hold: %+v", e)
			}
		case "Held":
			held++
		case "RolledForward":
			if held > 0 {
				t.Errorf("rolled forward after the hold: %+v", e)
			}
		}
	}
	t.Logf("%d rollbacks, %d holds over %d leaders", rolledBack, held, next)
	if rolledBack > maxRollbacks || held != 1 {
		t.Errorf("%d automatic rollbacks then %d holds, want at most %d then 1", rolledBack, held, maxRollbacks)
	}
	settle := time.Now().Add(4 * probeEvery)
	c.waitFor(20*time.Second, "a few healthy rounds while held", func() bool { return time.Now().After(settle) })
	if got := c.backendURL(); got != "" {
		t.Errorf("REDIS_URL = %q while held, want the rollback value", got)
	}
	if m := c.sharedMode(); m != "Held" {
		t.Errorf("mode %q after healthy rounds, want Held until rollforward", m)
	}
}

// wait waits d, or until stop is closed (then true).
func wait(stop <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-stop:
		return true
	case <-t.C:
		return false
	}
}

// sharedMode is the machine's mode as the leader reports it ("" when no
// leader answers).
func (c *cluster) sharedMode() string {
	if s, ok := c.statusOf(c.leader()); ok {
		return s.Mode
	}
	return ""
}

type event struct {
	At      time.Time `json:"at"`
	Type    string    `json:"type"`
	Message string    `json:"message"`
}

// events are the unit's recorded events, from the leader's /status.
func (c *cluster) events() []event {
	c.t.Helper()
	r := c.replicas[c.leader()]
	if r == nil {
		c.t.Fatal("no leader to read the events from")
	}
	resp, err := http.Get("http://" + r.addr + "/status")
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Events []event `json:"events"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		c.t.Fatal(err)
	}
	return doc.Events
}
