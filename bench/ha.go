package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/pgserver"
)

// defaultWait bounds the waits for a condition that comes within seconds.
const defaultWait = time.Minute

// Lease timings of the failover runs: the defaults (client-go's), and the
// short ones of the chaos tests.
var (
	defaultLease = leaseTimings{15 * time.Second, 10 * time.Second, 2 * time.Second}
	shortLease   = leaseTimings{2 * time.Second, 1500 * time.Millisecond, 250 * time.Millisecond}
)

// replicaIDs are the two replicas' RAILWAY_REPLICA_ID.
var replicaIDs = [2]string{"a", "b"}

// runHA runs the two-replica benchmarks (-ha).
func runHA(ctx context.Context, c config) error {
	if !c.skipLatency {
		for _, postgres := range []bool{false, true} {
			if err := latency(ctx, c, postgres); err != nil {
				return err
			}
		}
	}
	if c.skipSteady && c.skipFailover {
		return nil
	}
	bin, err := buildBinary(ctx, true)
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Dir(bin))
	if fi, err := os.Stat(bin); err == nil {
		fmt.Printf("binary: CGO_ENABLED=0 go build %s: %.1f MB\n\n", strings.Join(quoted(prodBuildFlags), " "), float64(fi.Size())/1e6)
	}
	if !c.skipSteady {
		fmt.Println("for comparison, one replica with the file backend, the same binary:")
		if err := steadyWith(ctx, c, bin); err != nil {
			return err
		}
		fmt.Println()
	}
	timings := []leaseTimings{defaultLease}
	if c.shortLease && !c.skipFailover {
		timings = append(timings, shortLease)
	}
	for i, lease := range timings {
		if err := haRun(ctx, c, bin, lease, i == 0 && !c.skipSteady); err != nil {
			return fmt.Errorf("%s: %w", lease, err)
		}
	}
	return nil
}

// haRun starts two replicas with lease timings lease, measures the steady
// state when steady is set, then the failovers.
func haRun(ctx context.Context, c config, bin string, lease leaseTimings, steady bool) error {
	cl, err := newCluster(ctx, c, bin, lease)
	if err != nil {
		return err
	}
	defer cl.close()
	for _, id := range replicaIDs {
		if _, err := cl.start(ctx, id); err != nil {
			return err
		}
	}
	if _, _, err := cl.settled(ctx); err != nil {
		return err
	}
	if steady {
		if err := haSteady(ctx, c, cl); err != nil {
			return err
		}
	}
	if !c.skipFailover {
		return failovers(ctx, c, cl)
	}
	return nil
}

// cluster is two `reconciler run` replicas sharing a real PostgreSQL, on a
// simulated project with a real Redis.
type cluster struct {
	bin   string
	e     *env
	db    *pgx.Conn // the bench's own connection (application_name "bench")
	stmts *stmtLog
	lease leaseTimings
	reps  map[string]*childProc
}

// haSchedule is the replicas' schedule: the spec's defaults.
const (
	haProbe     = 5 * time.Second
	haReconcile = "@every 1m"
)

func newCluster(ctx context.Context, c config, bin string, lease leaseTimings) (*cluster, error) {
	cl := &cluster{bin: bin, stmts: newStmtLog(), lease: lease, reps: map[string]*childProc{}}
	var err error
	cl.e, err = newEnv(ctx, &pgserver.Options{LogStatements: true, Logger: zap.New(cl.stmts)})
	if err != nil {
		return nil, err
	}
	cl.e.lease = lease
	hc := c
	hc.probe, hc.timeout = haProbe, time.Second
	if err := cl.e.writeSpec(hc, haReconcile); err != nil {
		cl.close()
		return nil, err
	}
	if cl.db, err = pgx.Connect(ctx, cl.e.pg.URL()+"&application_name=bench"); err != nil {
		cl.close()
		return nil, fmt.Errorf("connecting to postgres: %w", err)
	}
	if err := setLogPrefix(ctx, cl.db); err != nil {
		cl.close()
		return nil, err
	}
	return cl, nil
}

func (cl *cluster) close() {
	for _, r := range cl.reps {
		r.stop()
	}
	if cl.db != nil {
		_ = cl.db.Close(context.Background()) // the server goes next
	}
	cl.e.close()
}

// start runs replica id, its statements logged under "reconciler-ID".
func (cl *cluster) start(ctx context.Context, id string) (*childProc, error) {
	r, err := startChild(ctx, cl.bin, cl.e, "RAILWAY_REPLICA_ID="+id,
		"DATABASE_URL="+cl.e.pg.URL()+"&application_name=reconciler-"+id)
	if err != nil {
		return nil, fmt.Errorf("replica %s: %w", id, err)
	}
	cl.reps[id] = r
	return r, nil
}

// kill sends SIGKILL to replica id and waits for it to be gone.
func (cl *cluster) kill(id string) {
	r := cl.reps[id]
	delete(cl.reps, id)
	_ = r.cmd.Process.Signal(syscall.SIGKILL) // it may be gone already
	r.stop()
}

// haStatus is the part of /status the bench reads.
type haStatus struct {
	Phase     string `json:"phase"`
	Leader    string `json:"leader"`
	LastProbe *struct {
		At time.Time `json:"at"`
	} `json:"lastProbe"`
}

// status fetches replica id's /status; false when it does not answer.
func (cl *cluster) status(id string) (haStatus, bool) {
	var s haStatus
	r := cl.reps[id]
	if r == nil {
		return s, false
	}
	client := http.Client{Timeout: time.Second}
	resp, err := client.Get(r.base + "/status")
	if err != nil {
		return s, false
	}
	defer resp.Body.Close()
	return s, json.NewDecoder(resp.Body).Decode(&s) == nil
}

// settled waits until one replica leads a Healthy unit with the backend
// bound, and the other stands by naming it.
func (cl *cluster) settled(ctx context.Context) (leader, follower string, err error) {
	err = waitFor(ctx, 2*defaultWait, "a Healthy leader and a follower naming it", func() bool {
		for _, id := range replicaIDs {
			other := otherReplica(id)
			s, ok1 := cl.status(id)
			f, ok2 := cl.status(other)
			if ok1 && ok2 && s.Leader == id && f.Leader == id && s.Phase == "Healthy" && f.Phase == "Healthy" && cl.e.bound() {
				leader, follower = id, other
				return true
			}
		}
		return false
	})
	return leader, follower, err
}

func otherReplica(id string) string {
	if id == replicaIDs[0] {
		return replicaIDs[1]
	}
	return replicaIDs[0]
}

// haRole says whether replica id leads.
func (cl *cluster) haRole(id string) string {
	if s, ok := cl.status(id); ok && s.Leader == id {
		return "leader"
	}
	return "follower"
}

// takeover is one failover's figures, from the kill.
type takeover struct {
	expiry     time.Duration // the dead leader's lease expires (database clock)
	named      time.Duration // the follower's /status names itself
	firstRound time.Duration // the new leader's first probe round starts
}

// failovers kills the leader c.failovers times, restarting it as the
// follower after each takeover, and prints the figures.
func failovers(ctx context.Context, c config, cl *cluster) error {
	var ts []takeover
	for i := range c.failovers {
		t, err := failover(ctx, cl)
		if err != nil {
			return fmt.Errorf("failover %d: %w", i+1, err)
		}
		if c.verbose {
			fmt.Fprintf(os.Stderr, "failover %d: expiry %s, named %s, first round %s\n", i+1, ms(t.expiry), ms(t.named), ms(t.firstRound))
		}
		ts = append(ts, t)
	}
	pick := func(f func(takeover) time.Duration) []time.Duration {
		out := make([]time.Duration, len(ts))
		for i, t := range ts {
			out[i] = f(t)
		}
		return out
	}
	first, expiry := pick(func(t takeover) time.Duration { return t.firstRound }), pick(func(t takeover) time.Duration { return t.expiry })
	named := pick(func(t takeover) time.Duration { return t.named })
	after := pick(func(t takeover) time.Duration { return t.firstRound - t.expiry })
	fmt.Printf("failover, leader killed (SIGKILL), %s, %d trials (two `reconciler run` processes, probe %s):\n",
		cl.lease, len(ts), everyExpr(haProbe))
	printSpread("kill → first probe round by the new leader", first)
	fmt.Printf("      target ≤ lease + 1 s = %s\n", cl.lease.duration+time.Second)
	printSpread("kill → the dead leader's lease expires", expiry)
	printSpread("lease expiry → first round", after)
	printSpread("kill → the follower's /status names itself", named)
	fmt.Println()
	return nil
}

func printSpread(what string, ds []time.Duration) {
	med, hi := medianMax(ds)
	fmt.Printf("  %-45s median %7s  min %7s  max %7s\n", what, ms(med), ms(slices.Min(ds)), ms(hi))
}

// quoted quotes the arguments that hold a space, as a shell would need.
func quoted(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if strings.Contains(a, " ") {
			out[i] = "'" + a + "'"
		}
	}
	return out
}
