package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/smartlic/reconciler/controller"
	"github.com/smartlic/reconciler/internal/clock"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
)

// The fleet's default schedules (spec defaults) and the victim's window:
// failureThreshold 3 × probe 5s + probeTimeout 1s.
const (
	fleetReconcile = time.Minute
	fleetProbe     = 5 * time.Second
	fleetWindow    = 3*fleetProbe + time.Second
)

// fleetBench runs `reconciler run -f DIR` over c.fleet units in a process
// of its own and measures: the time to load and validate the spec files,
// the time until every unit is Healthy, then over c.fleetSteady the
// controller's RSS and CPU and the Railway requests per reconcile, then
// the rollback latency of the one unit whose Redis is killed while the
// others are probed.
func fleetBench(ctx context.Context, c config) error {
	bin, err := buildBinary(ctx, true) // as the image builds it
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Dir(bin))
	e, err := newFleetEnv(ctx, c.fleet)
	if err != nil {
		return err
	}
	defer e.close()
	if err := e.writeSpecs(c.fleetBudget); err != nil {
		return err
	}
	fmt.Printf("fleet: %d units in %d projects of %d (one batched observation each), %d redis-servers + 1 for the victim; "+
		"reconcile %s, probe %s (the defaults), maxRequestsPerHour %d\n",
		c.fleet, len(e.servers), unitsPerGroup, len(e.servers), everyExpr(fleetReconcile), everyExpr(fleetProbe), c.fleetBudget)
	if err := loadFigures(ctx, bin, e); err != nil {
		return err
	}
	began := time.Now()
	child, err := startFleetChild(ctx, bin, e)
	if err != nil {
		return err
	}
	defer child.stop()
	if err := waitFor(ctx, 5*time.Minute, "every unit Healthy", func() bool { return allHealthy(child, c.fleet) }); err != nil {
		return err
	}
	fmt.Printf("  start: every unit Healthy %s after the process started (%d Railway requests)\n",
		time.Since(began).Round(100*time.Millisecond), e.sim.RequestCount())
	// Let the first passes' deploys settle and the heap reach its steady size.
	if err := clock.Sleep(ctx, fleetReconcile); err != nil {
		return err
	}
	if err := fleetSteady(ctx, c, e, child); err != nil {
		return err
	}
	return victimTrials(ctx, c, e, child)
}

// loadFigures times loading and validating the spec directory: in
// process (spec.LoadSet, best of 5) and as `reconciler validate -f DIR`.
func loadFigures(ctx context.Context, bin string, e *fleetEnv) error {
	best := time.Duration(1<<63 - 1)
	for range 5 {
		t := time.Now()
		set, err := spec.LoadSet([]string{e.dir}, e.lookup)
		if err != nil {
			return err
		}
		if len(set.Specs) != len(e.units) {
			return fmt.Errorf("loaded %d specs of %d: %v", len(set.Specs), len(e.units), set.Err())
		}
		best = min(best, time.Since(t))
	}
	cmd := exec.CommandContext(ctx, bin, "validate", "-f", e.dir)
	cmd.Env = e.environ()
	t := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("reconciler validate: %w\n%s", err, out)
	}
	fmt.Printf("  load and validate %d spec files: %s in process (spec.LoadSet, best of 5); `reconciler validate -f DIR` %s\n",
		len(e.units), best.Round(time.Millisecond), time.Since(t).Round(time.Millisecond))
	return nil
}

func (e *fleetEnv) lookup(k string) (string, bool) { v, ok := e.vars[k]; return v, ok }

func (e *fleetEnv) environ() []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Dir(e.dir)}
	for k, v := range e.vars {
		env = append(env, k+"="+v)
	}
	return env
}

// startFleetChild starts `reconciler run -f DIR` in a process of its own.
func startFleetChild(ctx context.Context, bin string, e *fleetEnv) (*childProc, error) {
	cmd := exec.Command(bin, "run", "-f", e.dir, "--listen", "127.0.0.1:0", "--log-format", "json")
	cmd.Env = e.environ()
	cmd.Stdout = io.Discard
	return startProc(ctx, cmd)
}

// allHealthy reports whether the fleet's /status lists n Healthy units.
func allHealthy(p *childProc, n int) bool {
	var fs controller.FleetStatus
	if err := p.getJSON("/status", &fs); err != nil || len(fs.Units) != n {
		return false
	}
	for _, u := range fs.Units {
		if u.Phase != "Healthy" {
			return false
		}
	}
	return true
}

// getJSON decodes the child's answer at path into v.
func (p *childProc) getJSON(path string, v any) error {
	resp, err := http.Get(p.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", path, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// fleetSteady samples the child over c.fleetSteady and prints its RSS, its
// CPU and the Railway requests per reconcile.
func fleetSteady(ctx context.Context, c config, e *fleetEnv, child *childProc) error {
	cpu0, err := procCPU(child.pid())
	if err != nil {
		return err
	}
	req0, passes0 := e.sim.RequestCount(), child.passes()
	began := time.Now()
	peak, err := peakRSS(ctx, c.fleetSteady, map[string]int{"child": child.pid()})
	if err != nil {
		return err
	}
	maxRSS := peak["child"]
	wall := time.Since(began)
	cpu1, err := procCPU(child.pid())
	if err != nil {
		return err
	}
	observes := 0
	for _, r := range e.sim.Requests() {
		if r.At.After(began) && r.OperationName == railway.OpObserve {
			observes++
		}
	}
	requests, passes := e.sim.RequestCount()-req0, child.passes()-passes0
	rounds := wall.Minutes() * float64(time.Minute/fleetReconcile)
	fmt.Printf("  steady state over %s:\n", wall.Round(time.Second))
	fmt.Printf("    RSS: %.1f MiB max (VmRSS)\n", mib(maxRSS))
	fmt.Printf("    CPU: %.2f%% of one core (%s user+system)\n", 100*(cpu1-cpu0).Seconds()/wall.Seconds(), cpu1-cpu0)
	fmt.Printf("    Railway: %d requests (%d Observe) for %.0f passes: %.1f requests per reconcile period for %d units "+
		"(%d groups of %d); %.0f an hour, budget %d\n",
		requests, observes, passes, float64(requests)/rounds, c.fleet, len(e.servers), unitsPerGroup,
		float64(requests)/wall.Hours(), c.fleetBudget)
	return nil
}

// victimTrials kills the victim's redis-server (SIGKILL) at a random point
// of the probe interval while the other units are probed, and measures the
// time to its rollback write; then restarts it and waits for the roll
// forward.
func victimTrials(ctx context.Context, c config, e *fleetEnv, child *childProc) error {
	u := e.units[0]
	var back, forth []time.Duration
	for i := range c.fleetTrials {
		if err := waitFor(ctx, 2*time.Minute, "the victim Healthy", func() bool { return unitPhase(child, u.name) == "Healthy" }); err != nil {
			return fmt.Errorf("trial %d: %w", i+1, err)
		}
		if err := clock.Sleep(ctx, time.Duration(rand.Int64N(int64(fleetProbe)))); err != nil {
			return err
		}
		dead := time.Now()
		e.victim.Kill()
		var at time.Time
		if err := waitFor(ctx, time.Minute, "the rollback write", func() bool {
			var ok bool
			at, ok = e.upsertAfter(dead, u, "")
			return ok
		}); err != nil {
			return fmt.Errorf("trial %d: %w", i+1, err)
		}
		back = append(back, at.Sub(dead))
		if err := e.victim.Restart(ctx); err != nil {
			return err
		}
		up := time.Now()
		if err := waitFor(ctx, 2*time.Minute, "the roll-forward write", func() bool {
			var ok bool
			at, ok = e.upsertAfter(up, u, e.declared(u))
			return ok
		}); err != nil {
			return fmt.Errorf("trial %d: %w", i+1, err)
		}
		forth = append(forth, at.Sub(up))
	}
	mb, xb := medianMax(back)
	mf, xf := medianMax(forth)
	fmt.Printf("  rollback of one unit whose redis-server is killed while %d others are probed (window %s, %d trials):\n",
		c.fleet-1, fleetWindow, c.fleetTrials)
	fmt.Printf("    kill → rollback write: median %s max %s | over the window: median %+dms max %+dms\n",
		ms(mb), ms(xb), (mb - fleetWindow).Milliseconds(), (xb - fleetWindow).Milliseconds())
	fmt.Printf("    redis back → roll-forward write: median %s max %s (recoveryThreshold 2 × probe %s)\n", ms(mf), ms(xf), fleetProbe)
	return nil
}

// unitPhase returns a unit's phase from /status/NAME.
func unitPhase(p *childProc, name string) string {
	var st struct {
		Phase string `json:"phase"`
	}
	if p.getJSON("/status/"+name, &st) != nil {
		return ""
	}
	return st.Phase
}
