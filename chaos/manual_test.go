package chaos_test

import (
	"bytes"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// result is what a one-shot command printed and its exit code.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs a one-shot command against the cluster's spec from "another
// machine": a process of its own, with the database URL and the token but
// no replica id.
func (c *cluster) cli(args ...string) result {
	c.t.Helper()
	cmd := exec.CommandContext(ctx(c.t), c.bin, append(args, "-f", c.spec)...)
	cmd.Env = slices.Clone(c.env)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		c.t.Fatalf("%v: %v", args, err)
	}
	return r
}

func (c *cluster) mustCLI(code int, want string, args ...string) result {
	c.t.Helper()
	r := c.cli(args...)
	if r.code != code || !strings.Contains(r.stdout+r.stderr, want) {
		c.t.Fatalf("%v: exit %d, want %d and %q in the output\nstdout: %s\nstderr: %s", args, r.code, code, want, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, c.pg.Password()) {
		c.t.Fatalf("%v printed the database password", args)
	}
	return r
}

// The operator's commands with the PostgreSQL backend, run from another
// machine: status names the leader, apply is refused naming it, rollback
// and rollforward are carried out by the leader (its instance sends the
// write) and print its answer; with no leader, status says so and the
// rollback is done by the command itself, under the lease.
func TestManualCommandsReachTheLeader(t *testing.T) {
	t.Parallel()
	c := newCluster(t, "")
	c.start("a")
	if lead := c.converged(); lead != "a" {
		t.Fatalf("leader %q, want a", lead)
	}
	c.mustCLI(0, "leader: a, lease until", "status")
	c.mustCLI(1, "replica a, pid", "apply")

	before := time.Now()
	c.mustCLI(0, "rollback done by the leader (replica a", "rollback", "--reason", "redis maintenance")
	if w := c.writesSince(before); len(w) != 1 || w[0].url != "" || w[0].instance != "a" {
		t.Fatalf("writes after the rollback: %+v, want one empty REDIS_URL sent by a", w)
	}
	c.waitFor(20*time.Second, "the rollback's deploy", func() bool { return c.deploysSince(before) == 1 })
	again := time.Now()
	c.mustCLI(0, "phase Held", "rollback", "--reason", "again")
	if w := c.writesSince(again); len(w) != 0 {
		t.Fatalf("a second rollback wrote again: %+v", w)
	}
	c.mustCLI(0, "held: manual rollback: again", "status")
	if n := c.deploysSince(before); n != 1 {
		t.Fatalf("%d deploys after two rollbacks, want 1", n)
	}

	before = time.Now()
	c.mustCLI(0, "rollforward done by the leader (replica a", "rollforward")
	if w := c.writesSince(before); len(w) != 1 || w[0].url != "${{Redis.REDIS_URL}}" || w[0].instance != "a" {
		t.Fatalf("writes after the roll forward: %+v, want the binding sent by a", w)
	}

	c.kill("a")
	c.waitFor(20*time.Second, "the lease to expire", func() bool {
		return strings.Contains(c.cli("status").stdout, "leader: none")
	})
	before = time.Now()
	c.mustCLI(0, "", "rollback", "--reason", "no leader")
	w := c.writesSince(before)
	if len(w) != 1 || w[0].url != "" || !strings.Contains(w[0].instance, "/") { // host/pid: the command's own
		t.Fatalf("writes by the command itself: %+v, want one empty REDIS_URL sent by the command's own instance", w)
	}
}

// A rollback posted to a leader that then freezes (SIGSTOP) is not left
// waiting for the 90 s answer timeout: once the frozen leader's lease
// expires, the command withdraws its request and carries the rollback out
// itself, under a lease of its own; the old leader, resumed, makes no
// mutation (fenced).
func TestManualRollbackWhenTheLeaderFreezes(t *testing.T) {
	t.Parallel()
	c := newCluster(t, "")
	c.start("a")
	if lead := c.converged(); lead != "a" {
		t.Fatalf("leader %q, want a", lead)
	}
	c.signal("a", syscall.SIGSTOP)
	frozen := time.Now()
	r := c.mustCLI(0, "let its lease expire without answering; carrying it out here", "rollback", "--reason", "leader frozen")
	took := time.Since(frozen)
	w := c.writesSince(frozen)
	if len(w) != 1 || w[0].url != "" || !strings.Contains(w[0].instance, "/") {
		t.Fatalf("writes: %+v, want one empty REDIS_URL sent by the command itself\n%s", w, r.stderr)
	}
	t.Logf("rollback carried out by the command %s after the leader froze (lease %s)", took.Round(time.Millisecond), leaseDuration)
	if limit := leaseDuration + 5*time.Second; took > limit {
		t.Errorf("the rollback took %s with a frozen leader, want within the lease (%s) and a few seconds", took, leaseDuration)
	}
	resumed := time.Now()
	c.signal("a", syscall.SIGCONT)
	c.waitFor(20*time.Second, "a to stand by or lead again", func() bool { s, ok := c.statusOf("a"); return ok && s.Phase != "" })
	c.waitFor(20*time.Second, "a to lead again and see the rollback", func() bool {
		s, ok := c.statusOf("a")
		return ok && s.Leader == "a" && s.Phase == "Held"
	})
	if n := c.mutationsSince(resumed, "a"); n != 0 {
		t.Errorf("the resumed leader sent %d mutations, want 0", n)
	}
}
