package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/smartlic/reconciler/internal/clock"
	"github.com/smartlic/reconciler/state"
)

// clockTicks is Linux's USER_HZ, the unit of /proc/PID/stat CPU times (100
// on every mainstream build; Go cannot read sysconf without cgo).
const clockTicks = 100

// steadyReconcile is the reconcile schedule of the steady run: often
// enough to count requests per pass over the run.
const steadyReconcile = 5 * time.Second

// steady runs the real binary (`reconciler run`) as a child process on a
// converged project and measures, over c.steady: Railway requests per
// reconcile pass, the child's RSS (VmRSS) and its CPU time.
func steady(ctx context.Context, c config) error {
	bin, err := buildBinary(ctx, false)
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Dir(bin))
	return steadyWith(ctx, c, bin)
}

// steadyWith is steady with the binary bin.
func steadyWith(ctx context.Context, c config, bin string) error {
	e, err := newEnv(ctx, nil)
	if err != nil {
		return err
	}
	defer e.close()
	if err := e.writeSpec(c, everyExpr(steadyReconcile)); err != nil {
		return err
	}
	child, err := startChild(ctx, bin, e)
	if err != nil {
		return err
	}
	defer child.stop()
	if err := waitFor(ctx, time.Minute, "convergence", func() bool {
		st, err := state.Read(e.statePath)
		return err == nil && st.Phase == state.Healthy && e.bound()
	}); err != nil {
		return err
	}
	// Let the deploys settle and the runtime reach its steady heap.
	if err := clock.Sleep(ctx, 2*steadyReconcile); err != nil {
		return err
	}
	return measure(ctx, c, e, child)
}

// measure samples the child over c.steady and prints the figures.
func measure(ctx context.Context, c config, e *env, child *childProc) error {
	cpu0, err := procCPU(child.pid())
	if err != nil {
		return err
	}
	req0, passes0 := e.sim.RequestCount(), child.passes()
	began := time.Now()
	peak, err := peakRSS(ctx, c.steady, map[string]int{"child": child.pid()})
	if err != nil {
		return err
	}
	maxRSS := peak["child"]
	wall := time.Since(began)
	cpu1, err := procCPU(child.pid())
	if err != nil {
		return err
	}
	rss, _ := procRSS(child.pid())
	requests, passes := e.sim.RequestCount()-req0, child.passes()-passes0
	fmt.Printf("steady state over %s (reconcile %s, probe %s), `reconciler run` in its own process:\n",
		wall.Round(time.Second), everyExpr(steadyReconcile), everyExpr(c.probe))
	if passes > 0 {
		fmt.Printf("  railway requests per reconcile: %.2f (%d requests over %.0f passes)\n", float64(requests)/passes, requests, passes)
	}
	fmt.Printf("  RSS: %.1f MiB at the end%s, %.1f MiB max (VmRSS); %s\n", mib(rss), rssParts(child.pid()), mib(maxRSS), child.goMemory())
	fmt.Printf("  CPU: %.2f%% of one core (%s user+system over %s)\n",
		100*(cpu1-cpu0).Seconds()/wall.Seconds(), cpu1-cpu0, wall.Round(time.Second))
	return nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// goMemory describes the Go runtime's memory from the child's /metrics.
func (p *childProc) goMemory() string {
	return fmt.Sprintf("Go heap in use %.1f MiB, runtime total %.1f MiB, %.0f goroutines",
		p.gauge("go_memstats_heap_inuse_bytes")/(1<<20), p.gauge("go_memstats_sys_bytes")/(1<<20), p.gauge("go_goroutines"))
}

// prodBuildFlags are the image's build flags (Dockerfile), less the
// version stamps.
var prodBuildFlags = []string{"-trimpath", "-tags", "nodemo", "-ldflags", "-s -w"}

// buildBinary builds cmd/reconciler into a temporary directory: as the
// image does (CGO_ENABLED=0 and prodBuildFlags) when prod is set, else
// with plain `go build`.
func buildBinary(ctx context.Context, prod bool) (string, error) {
	dir, err := os.MkdirTemp("", "reconciler-bench-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "reconciler")
	args := []string{"build", "-o", bin}
	if prod {
		args = append(args, prodBuildFlags...)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "github.com/smartlic/reconciler/cmd/reconciler")...)
	if prod {
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building the reconciler: %w\n%s", err, out)
	}
	return bin, nil
}

// childProc is `reconciler run` running in a process of its own.
type childProc struct {
	cmd  *exec.Cmd
	base string
	logs sync.WaitGroup
}

// startChild runs `reconciler run` on e's spec with e's variables, and
// extra ("K=V", overriding them).
func startChild(ctx context.Context, bin string, e *env, extra ...string) (*childProc, error) {
	cmd := exec.Command(bin, "run", "-f", e.specPath, "--listen", "127.0.0.1:0", "--log-format", "json")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + e.dir}
	for k, v := range e.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, extra...)
	cmd.Stdout = io.Discard
	return startProc(ctx, cmd)
}

// startProc starts cmd, a `reconciler run`, and returns once it logged
// its listen address.
func startProc(ctx context.Context, cmd *exec.Cmd) (*childProc, error) {
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &childProc{cmd: cmd}
	addr := make(chan string, 1)
	p.logs.Add(1)
	go p.readLogs(stderr, addr)
	select {
	case a := <-addr:
		p.base = "http://" + a
		return p, nil
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	p.stop()
	return nil, errors.New("reconciler run did not log its listen address")
}

// readLogs consumes the child's logs, handing over the listen address and
// echoing warnings and errors.
func (p *childProc) readLogs(r io.Reader, addr chan<- string) {
	defer p.logs.Done()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var e map[string]any
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		if e["msg"] == "http server listening" {
			a, _ := e["addr"].(string)
			addr <- a
		}
		if lvl, _ := e["level"].(string); lvl == "warn" || lvl == "error" {
			fmt.Fprintln(os.Stderr, "reconciler run:", sc.Text())
		}
	}
}

func (p *childProc) pid() int { return p.cmd.Process.Pid }

// passes sums reconciler_reconcile_total from the child's /metrics.
func (p *childProc) passes() float64 {
	total := 0.0
	for _, m := range p.metrics()["reconciler_reconcile_total"].GetMetric() {
		total += m.GetCounter().GetValue()
	}
	return total
}

// gauge reads an unlabelled gauge from the child's /metrics (0 if absent).
func (p *childProc) gauge(name string) float64 {
	for _, m := range p.metrics()[name].GetMetric() {
		return m.GetGauge().GetValue()
	}
	return 0
}

// metrics reads the child's /metrics; nil when it does not answer.
func (p *childProc) metrics() map[string]*dto.MetricFamily {
	resp, err := http.Get(p.base + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil
	}
	return fams
}

// stop sends SIGTERM and waits for the child to exit.
func (p *childProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM) // it may be gone already
	done := make(chan struct{})
	go func() {
		_ = p.cmd.Wait() // its exit code was not what we measured
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	p.logs.Wait()
}

// procCPU returns a process's user+system CPU time from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	// Fields after the command (which may hold spaces), from field 3 on.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// procRSS returns a process's VmRSS in bytes.
func procRSS(pid int) (int64, error) { return procStatus(pid, "VmRSS") }

// peakRSS samples, every second for d, the RSS of each process in pids
// (by name) and returns each one's largest.
func peakRSS(ctx context.Context, d time.Duration, pids map[string]int) (map[string]int64, error) {
	peak := map[string]int64{}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for began := time.Now(); time.Since(began) < d; {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
		for name, pid := range pids {
			if rss, err := procRSS(pid); err == nil {
				peak[name] = max(peak[name], rss)
			}
		}
	}
	return peak, nil
}

// procStatus returns a memory figure of /proc/PID/status (VmRSS, RssAnon,
// RssFile) in bytes.
func procStatus(pid int, key string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no " + key)
}

// rssParts splits a process's RSS: its own memory (RssAnon) and the pages
// of its binary and libraries (RssFile, shared and reclaimable).
func rssParts(pid int) string {
	anon, err1 := procStatus(pid, "RssAnon")
	file, err2 := procStatus(pid, "RssFile")
	if errors.Join(err1, err2) != nil {
		return ""
	}
	return fmt.Sprintf(" (anonymous %.1f MiB + file-backed %.1f MiB)", mib(anon), mib(file))
}
