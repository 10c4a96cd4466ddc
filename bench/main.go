// Command bench measures the long-running controller against the Railway
// simulator and a real redis-server (docs/performance.md):
//
//   - detection-to-rollback latency for a killed (SIGKILL) and for a hung
//     (SIGSTOP) Redis: from the signal to the simulator receiving the
//     rollback's variableCollectionUpsert, median and max over -trials, and
//     the overhead over the configured window failureThreshold × probe
//     interval + probeTimeout;
//   - roll-forward latency: from Redis answering again to the simulator
//     receiving the restoring write;
//   - Railway requests per steady-state reconcile;
//   - the controller's RSS and CPU over a -steady run at probe "@every 1s",
//     measured on the real binary (`reconciler run`, built by the bench) in
//     a process of its own, so that the simulator's share is not counted.
//
// With -ha, it measures two replicas on a real PostgreSQL instead
// (state.backend: postgres):
//
//   - rollback latency as above, with the file and then the postgres
//     backend in the same run;
//   - failover: two `reconciler run` processes; the leader is killed
//     (SIGKILL) -failovers times, and the time from the kill to the first
//     probe round of the new leader is measured, at the default lease
//     timings (15 s / 10 s / 2 s) and, with -short-lease, at 2 s / 1.5 s /
//     250 ms;
//   - steady state of the two replicas over -steady: the statements each
//     sends to PostgreSQL a minute, by purpose (from the server's own
//     statement log), and each one's RSS and CPU.
//
// Usage:
//
//	go run ./bench [-trials 10] [-steady 60s] [-skip-latency] [-skip-steady]
//	go run ./bench -ha [-failovers 10] [-short-lease] [-skip-latency] [-skip-steady] [-skip-failover]
//	go run ./bench -fleet 200 [-fleet-steady 3m] [-fleet-trials 3] [-fleet-budget 10000]
//
// With -fleet N it measures a fleet instead (bench/fleet_run.go): N units
// in one `reconciler run -f DIR`, their load time, RSS, CPU, Railway
// requests per reconcile and one unit's rollback latency.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// config is the bench's command line.
type config struct {
	trials      int
	steady      time.Duration
	probe       time.Duration
	timeout     time.Duration
	failures    int
	recovery    int
	fleet       int
	fleetSteady time.Duration
	fleetTrials int
	fleetBudget int
	skipLatency bool
	skipSteady  bool
	verbose     bool

	ha           bool
	failovers    int
	shortLease   bool
	skipFailover bool
}

func main() {
	var c config
	flag.IntVar(&c.trials, "trials", 10, "trials per failure kind")
	flag.DurationVar(&c.steady, "steady", 60*time.Second, "length of the steady-state run")
	flag.DurationVar(&c.probe, "probe", time.Second, "probe interval (whole seconds: the spec's @every)")
	flag.DurationVar(&c.timeout, "probe-timeout", 500*time.Millisecond, "health.probeTimeout")
	flag.IntVar(&c.failures, "failure-threshold", 3, "rollback.failureThreshold")
	flag.IntVar(&c.recovery, "recovery-threshold", 3, "rollback.recoveryThreshold")
	flag.IntVar(&c.fleet, "fleet", 0, "run the fleet bench instead, with this many units (docs/performance.md: 200)")
	flag.DurationVar(&c.fleetSteady, "fleet-steady", 3*time.Minute, "length of the fleet's steady-state run")
	flag.IntVar(&c.fleetTrials, "fleet-trials", 3, "rollback trials of the fleet's victim unit")
	flag.IntVar(&c.fleetBudget, "fleet-budget", 10000, "the fleet specs' maxRequestsPerHour (a Pro account's 10,000)")
	flag.BoolVar(&c.skipLatency, "skip-latency", false, "skip the rollback and roll-forward trials")
	flag.BoolVar(&c.skipSteady, "skip-steady", false, "skip the steady-state run")
	flag.BoolVar(&c.verbose, "v", false, "log the controller at info level on stderr")
	flag.BoolVar(&c.ha, "ha", false, "measure two replicas on PostgreSQL (state.backend: postgres) instead")
	flag.IntVar(&c.failovers, "failovers", 10, "with -ha: leader kills per lease timing")
	flag.BoolVar(&c.shortLease, "short-lease", false, "with -ha: also measure failover with a 2s / 1.5s / 250ms lease")
	flag.BoolVar(&c.skipFailover, "skip-failover", false, "with -ha: skip the failover trials")
	flag.Parse()
	redis.SetLogger(quietRedis{}) // go-redis would print every failed dial of a trial
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, c)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	printMachine()
	if c.ha {
		return runHA(ctx, c)
	}
	if c.fleet > 0 {
		return fleetBench(ctx, c)
	}
	if !c.skipLatency {
		if err := latency(ctx, c, false); err != nil {
			return err
		}
	}
	if !c.skipSteady {
		if err := steady(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// printMachine prints what the figures were measured on.
func printMachine() {
	fmt.Printf("machine: %s, %s/%s, %d CPUs (%s)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel())
	fmt.Printf("command: go run ./bench %s\n\n", strings.Join(os.Args[1:], " "))
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// quietRedis discards go-redis's internal log lines.
type quietRedis struct{}

// Printf implements go-redis's internal.Logging.
func (quietRedis) Printf(context.Context, string, ...any) {}

// everyExpr renders d as a spec "@every" expression.
func everyExpr(d time.Duration) string {
	return "@every " + strconv.Itoa(int(d/time.Second)) + "s"
}
