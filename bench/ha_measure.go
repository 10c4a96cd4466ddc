package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/smartlic/reconciler/internal/clock"
)

// failover kills the leader at a random point of its renewal period, waits
// for the follower's first probe round as the leader, then restarts the
// killed replica, which stands by.
func failover(ctx context.Context, cl *cluster) (takeover, error) {
	var t takeover
	lead, next, err := cl.settled(ctx)
	if err != nil {
		return t, err
	}
	if err := clock.Sleep(ctx, time.Duration(rand.Int64N(int64(cl.lease.retry)))); err != nil {
		return t, err
	}
	killed := time.Now()
	cl.kill(lead)
	// A renewal sent just before the kill may still be executed.
	if err := clock.Sleep(ctx, 100*time.Millisecond); err != nil {
		return t, err
	}
	var expires time.Time
	if err := cl.db.QueryRow(ctx, "SELECT expires_at FROM reconciler_leases WHERE name = $1", benchName).Scan(&expires); err != nil {
		return t, fmt.Errorf("reading the lease: %w", err)
	}
	t.expiry = expires.Sub(killed)
	var named time.Time
	err = waitFor(ctx, 3*cl.lease.duration+defaultWait, "the follower's first round as the leader", func() bool {
		s, ok := cl.status(next)
		if !ok || s.Leader != next {
			return false
		}
		if named.IsZero() {
			named = time.Now()
		}
		if s.LastProbe == nil || !s.LastProbe.At.After(killed) {
			return false
		}
		t.firstRound = s.LastProbe.At.Sub(killed)
		return true
	})
	if err != nil {
		return t, err
	}
	t.named = named.Sub(killed)
	_, err = cl.start(ctx, lead)
	return t, err
}

// haSteady measures, over c.steady after a settling pause, the statements
// each replica sends to PostgreSQL a minute, its RSS and its CPU.
func haSteady(ctx context.Context, c config, cl *cluster) error {
	if err := clock.Sleep(ctx, 10*time.Second); err != nil {
		return err
	}
	lead, _, err := cl.settled(ctx)
	if err != nil {
		return err
	}
	cpu0 := map[string]time.Duration{}
	for id, r := range cl.reps {
		if cpu0[id], err = procCPU(r.pid()); err != nil {
			return err
		}
	}
	pids := map[string]int{}
	for id, r := range cl.reps {
		pids[id] = r.pid()
	}
	before, began := cl.stmts.snapshot(), time.Now()
	maxRSS, err := peakRSS(ctx, c.steady, pids)
	if err != nil {
		return err
	}
	wall := time.Since(began)
	after := cl.stmts.snapshot()
	if now, _, err := cl.settled(ctx); err != nil || now != lead {
		return fmt.Errorf("the leader changed during the steady run (%s, then %s): %v", lead, now, err)
	}
	fmt.Printf("steady state of two replicas over %s (%s, probe %s, reconcile %s), each `reconciler run` in its own process:\n",
		wall.Round(time.Second), cl.lease, everyExpr(haProbe), haReconcile)
	for _, id := range []string{lead, otherReplica(lead)} {
		r := cl.reps[id]
		cpu1, err := procCPU(r.pid())
		if err != nil {
			return err
		}
		rss, _ := procRSS(r.pid())
		fmt.Printf("  replica %s (%s):\n", id, cl.haRole(id))
		fmt.Printf("    RSS: %.1f MiB at the end%s, %.1f MiB max (VmRSS); %s\n", mib(rss), rssParts(r.pid()), mib(maxRSS[id]), r.goMemory())
		fmt.Printf("    CPU: %.2f%% of one core (%s over %s)\n",
			100*(cpu1-cpu0[id]).Seconds()/wall.Seconds(), cpu1-cpu0[id], wall.Round(time.Second))
		fmt.Printf("    postgres statements, by purpose:\n")
		total := printStatements("reconciler-"+id, before, after, wall.Minutes())
		fmt.Printf("      %-13s %6.1f/min\n", "total", total)
	}
	fmt.Println()
	return nil
}
