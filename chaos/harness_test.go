package chaos_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smartlic/reconciler/internal/pgserver"
	"github.com/smartlic/reconciler/internal/pgserver/pgtest"
	"github.com/smartlic/reconciler/internal/redisserver"
	"github.com/smartlic/reconciler/internal/redisserver/redistest"
	"github.com/smartlic/reconciler/internal/testbin"
	"github.com/smartlic/reconciler/internal/testspec"
	"github.com/smartlic/reconciler/railway/railwaytest"
)

const token = "tok-chaos-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c"

// Lease timings of the chaos specs: short, so that a takeover takes a
// couple of seconds (the defaults are 15 s / 10 s / 2 s).
const (
	leaseDuration = 2 * time.Second
	renewDeadline = 1500 * time.Millisecond
	retryPeriod   = 250 * time.Millisecond
	probeEvery    = time.Second
)

// cluster is a Railway simulator with a deployed `backend`, a real
// redis-server bound to the addon, a real PostgreSQL, a spec using it as
// the state backend, and the replicas running on it.
type cluster struct {
	t        *testing.T
	bin      string
	dir      string
	sim      *railwaytest.Server
	redis    *redisserver.Server
	pg       *pgserver.Server
	spec     string
	env      []string
	envID    string
	backend  string
	project  string
	projects []string // a fleet's projects, one per unit
	replicas map[string]*replica
}

// replica is one `reconciler run` process.
type replica struct {
	id   string
	cmd  *exec.Cmd
	logs *testbin.Logs
	addr string
	done chan struct{}
}

// rollbackExtra is the rollback and schedule part of the chaos spec.
const rollbackExtra = `rollback:
  failureThreshold: 2
  recoveryThreshold: 2
  minRolledBack: 0s
schedule:
  reconcile: "@every 2s"
  probe: "@every 1s"
  report: "@every 24h"
`

func newCluster(t *testing.T, extra string) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: testbin.Reconciler(t), dir: t.TempDir(), replicas: map[string]*replica{}}
	c.sim = railwaytest.NewT(t, railwaytest.Options{DeployDuration: 300 * time.Millisecond,
		WorkflowDuration: 500 * time.Millisecond, RateLimit: 1 << 30})
	sb := c.sim.SeedSandbox(token, "backend")
	c.project, c.envID, c.backend = sb.ProjectID, sb.EnvironmentID, sb.ConsumerID
	c.redis = redistest.Start(t)
	c.sim.BindRedisTo(c.redis.Host(), c.redis.Port(), c.redis.Password())
	c.pg = pgtest.Start(t)
	if extra == "" {
		extra = rollbackExtra
	}
	doc := testspec.Doc(testspec.Options{Name: "smartlic-chaos", Endpoint: c.sim.URL(), MaxRequestsPerHour: 100000,
		Health: "probeTimeout: 300ms\nredis:\n  maxLatency: 250ms",
		Extra: fmt.Sprintf("state:\n  backend: postgres\n  postgres:\n    url: ${DATABASE_URL}\n    leaseDuration: %s\n    renewDeadline: %s\n    retryPeriod: %s\n%s",
			leaseDuration, renewDeadline, retryPeriod, extra)})
	c.spec = filepath.Join(c.dir, "desired.yaml")
	if err := os.WriteFile(c.spec, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	c.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + c.dir, "RAILWAY_API_TOKEN=" + token,
		"TEST_PROJECT_ID=" + c.project, "DATABASE_URL=" + c.pg.URL()}
	t.Cleanup(c.stopAll)
	return c
}

// start runs replica id and waits for its HTTP server.
func (c *cluster) start(id string) *replica {
	c.t.Helper()
	cmd := exec.Command(c.bin, "run", "-f", c.spec, "--listen", "127.0.0.1:0", "--log-format", "json", "--log-level", "debug")
	cmd.Env = append(slices.Clone(c.env), "RAILWAY_REPLICA_ID="+id)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	r := &replica{id: id, cmd: cmd, logs: testbin.ReadLogs(stderr), done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(r.done) }()
	c.replicas[id] = r
	c.waitFor(30*time.Second, "replica "+id+" to listen", func() bool {
		r.addr = r.logs.Field("http server listening", "addr")
		return r.addr != ""
	})
	return r
}

// kill sends SIGKILL to replica id and waits for it to be gone.
func (c *cluster) kill(id string) {
	c.t.Helper()
	r := c.replicas[id]
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
	delete(c.replicas, id)
}

func (c *cluster) signal(id string, sig syscall.Signal) {
	c.t.Helper()
	if err := c.replicas[id].cmd.Process.Signal(sig); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) stopAll() {
	for id, r := range c.replicas {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		<-r.done
		if c.t.Failed() {
			c.t.Logf("replica %s logs:\n%s", id, r.logs.Tail(80))
		}
	}
}

// status is the part of /status the chaos tests read.
type status struct {
	Phase  string `json:"phase"`
	Leader string `json:"leader"`
	Mode   string `json:"mode"`
}

// statusOf fetches replica id's /status; ok is false when it does not
// answer.
func (c *cluster) statusOf(id string) (status, bool) {
	r := c.replicas[id]
	if r == nil {
		return status{}, false
	}
	client := http.Client{Timeout: 500 * time.Millisecond}
	resp, err := client.Get("http://" + r.addr + "/status")
	if err != nil {
		return status{}, false
	}
	defer resp.Body.Close()
	var s status
	return s, json.NewDecoder(resp.Body).Decode(&s) == nil
}

// leader is the replica that says it leads (its /status names itself),
// "" when none does.
func (c *cluster) leader() string {
	for id := range c.replicas {
		if s, ok := c.statusOf(id); ok && s.Leader == id {
			return id
		}
	}
	return ""
}

func (c *cluster) waitFor(timeout time.Duration, what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond) // polling processes from outside
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

// converged waits until a leader reports Healthy with the backend bound.
func (c *cluster) converged() string {
	c.t.Helper()
	var lead string
	c.waitFor(60*time.Second, "a Healthy leader with the backend bound", func() bool {
		lead = c.leader()
		s, _ := c.statusOf(lead)
		return lead != "" && s.Phase == "Healthy" && c.backendURL() == "${{Redis.REDIS_URL}}"
	})
	return lead
}

func (c *cluster) backendURL() string { return c.sim.Variables(c.envID, c.backend)["REDIS_URL"] }

// writes are the simulator's variable writes to the backend, in order,
// with the instance that sent each and whether Railway executed it.
type write struct {
	at       time.Time
	instance string
	url      string
}

func (c *cluster) writesSince(t time.Time) []write {
	var out []write
	for _, r := range c.sim.Requests() {
		if r.At.Before(t) || !slices.Contains(r.Fields, "variableCollectionUpsert") || r.Status != http.StatusOK {
			continue
		}
		v, _ := r.Variables["variables"].(map[string]any)
		s, _ := v["REDIS_URL"].(string)
		out = append(out, write{at: r.At, instance: r.Instance, url: s})
	}
	return out
}

// mutationsSince counts the mutations sent after t by instance id.
func (c *cluster) mutationsSince(t time.Time, id string) int {
	n := 0
	for _, r := range c.sim.Requests() {
		if r.Mutation && !r.At.Before(t) && r.Instance == id {
			n++
		}
	}
	return n
}

func (c *cluster) deploysSince(t time.Time) int {
	n := 0
	for _, d := range c.sim.Deployments(c.envID, c.backend) {
		if !d.CreatedAt.Before(t) {
			n++
		}
	}
	return n
}

func (c *cluster) redisServices() int {
	n := 0
	for _, s := range c.sim.Services(c.project) {
		if strings.HasPrefix(s, "Redis") {
			n++
		}
	}
	return n
}

// ctx is a test context bounded for the chaos tests' waits.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}
