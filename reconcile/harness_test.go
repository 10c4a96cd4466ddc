package reconcile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/internal/redisserver"
	"github.com/smartlic/reconciler/internal/redisserver/redistest"
	"github.com/smartlic/reconciler/internal/testspec"
	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

const testToken = "tok-e2e-7c1f0b9a2d4e6f8a0b1c2d3e"

// clock is a manual clock shared by the simulator and the reconciler.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// sleep advances the clock instead of sleeping.
func (c *clock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// env is a Railway simulator with an empty project holding a deployed
// `backend`, a real redis-server for the addon, and a reconciler wired as
// the CLI wires it, all on one manual clock.
type env struct {
	t         *testing.T
	clock     *clock
	sim       *railwaytest.Server
	redis     *redisserver.Server
	projectID string
	envID     string
	backendID string
	statePath string
	spec      *spec.Spec
	client    *railway.Client
	lease     state.Lease
	mem       *memStore    // nil: the state file
	saves     atomic.Int64 // state saves by the current reconciler
	rec       *reconcile.Reconciler
}

// countingStore counts the saves of a store.
type countingStore struct {
	reconcile.Store
	n *atomic.Int64
}

func (c countingStore) Save(ctx context.Context, st *state.State) error {
	c.n.Add(1)
	return c.Store.Save(ctx, st)
}

type envOption func(*envConfig)

type envConfig struct {
	specExtra string
	wrap      func(reconcile.Railway) reconcile.Railway
	sim       func(*railwaytest.Options)
	redis     *redisserver.Server // shared by several envs; nil starts one
	private   bool                // the addon gets no TCP proxy (private by default)
	doc       func(e *env) string // the whole spec document
	memory    bool                // keep the state in memory (memStore)
	seed      func(e *env)        // more services, before the spec is read
}

func withSpec(extra string) envOption { return func(c *envConfig) { c.specExtra = extra } }

func withRailway(w func(reconcile.Railway) reconcile.Railway) envOption {
	return func(c *envConfig) { c.wrap = w }
}

// withSim adjusts the simulator's options (the clock stays the env's).
func withSim(f func(*railwaytest.Options)) envOption { return func(c *envConfig) { c.sim = f } }

// withRedis binds the addon to a redis-server shared with other envs.
func withRedis(s *redisserver.Server) envOption { return func(c *envConfig) { c.redis = s } }

// withPrivateAddon leaves the addon private, as Railway does by default:
// no TCP proxy, REDIS_PUBLIC_URL rendered with an empty host and port.
func withPrivateAddon() envOption { return func(c *envConfig) { c.private = true } }

// withSeed seeds more of the project before the spec is read.
func withSeed(f func(e *env)) envOption { return func(c *envConfig) { c.seed = f } }

// withMemoryStore keeps the state in memory rather than in a file.
func withMemoryStore() envOption { return func(c *envConfig) { c.memory = true } }

// withDoc replaces the spec document.
func withDoc(f func(e *env) string) envOption { return func(c *envConfig) { c.doc = f } }

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	var cfg envConfig
	for _, o := range opts {
		o(&cfg)
	}
	e := &env{t: t, clock: &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}}
	simOpts := railwaytest.Options{Now: e.clock.Now, DeployDuration: 20 * time.Second,
		WorkflowDuration: 10 * time.Second, RateLimit: 1 << 30}
	if cfg.sim != nil {
		cfg.sim(&simOpts)
	}
	e.sim = railwaytest.NewT(t, simOpts)
	sb := e.sim.SeedSandbox(testToken, "backend")
	e.projectID, e.envID, e.backendID = sb.ProjectID, sb.EnvironmentID, sb.ConsumerID
	if e.redis = cfg.redis; e.redis == nil {
		e.redis = redistest.Start(t)
	}
	if !cfg.private {
		e.sim.BindRedisTo(e.redis.Host(), e.redis.Port(), e.redis.Password())
	}
	e.statePath = filepath.Join(t.TempDir(), "state.json")
	if cfg.seed != nil {
		cfg.seed(e)
	}
	if cfg.doc != nil {
		e.spec = e.parseDoc(cfg.doc(e))
	} else {
		e.spec = e.parseSpec(cfg.specExtra)
	}
	if cfg.memory {
		e.mem = &memStore{}
	}
	e.client = e.newClient()
	e.open(cfg.wrap)
	return e
}

func (e *env) parseSpec(extra string) *spec.Spec {
	e.t.Helper()
	return e.parseDoc(testspec.Doc(testspec.Options{Endpoint: e.sim.URL(), MaxRequestsPerHour: 100000, StatePath: e.statePath, Extra: extra}))
}

func (e *env) parseDoc(doc string) *spec.Spec {
	e.t.Helper()
	env := map[string]string{"TEST_PROJECT_ID": e.projectID}
	sp, err := spec.Parse("desired.yaml", []byte(doc), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		e.t.Fatalf("spec: %v", err)
	}
	return sp
}

func (e *env) newClient() *railway.Client {
	c, err := railway.New(railway.Options{Endpoint: e.spec.Railway.Endpoint,
		Credentials: railway.NewCredentials(railway.BearerToken, "RAILWAY_API_TOKEN", testToken),
		Logger:      zaptest.NewLogger(e.t).Named("railway"), Now: e.clock.Now, Sleep: e.clock.sleep,
		MaxRequestsPerHour: e.spec.Railway.MaxRequestsPerHour})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// open (re)builds the reconciler from the saved state, as a new process
// would.
func (e *env) open(wrap func(reconcile.Railway) reconcile.Railway) {
	e.t.Helper()
	if e.rec != nil {
		e.rec.Close()
	}
	store, st := e.load()
	prober := probes.NewProber(probes.Options{Logger: zaptest.NewLogger(e.t).Named("probes"), Now: e.clock.Now})
	e.t.Cleanup(prober.Close)
	var rw reconcile.Railway = e.client
	if wrap != nil {
		rw = wrap(rw)
	}
	e.saves.Store(0)
	rec, err := reconcile.New(reconcile.Options{Spec: e.spec, Railway: rw, Prober: prober, Store: countingStore{store, &e.saves}, State: st,
		Logger: zaptest.NewLogger(e.t), Now: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(rec.Close)
	e.rec = rec
}

// load returns the store and the state saved in it: the state file under
// its lease, or the memory store (withMemoryStore).
func (e *env) load() (reconcile.Store, *state.State) {
	if e.mem != nil {
		return e.mem, e.mem.load(e.t, e.spec.Name, e.clock.Now())
	}
	if e.lease != nil {
		e.lease.Release(context.Background())
	}
	files := state.SingleFile(e.statePath, state.FileOptions{Now: e.clock.Now, Command: "reconcile test"})
	lease, err := files.TryAcquire(e.t.Context(), e.spec.Name)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { lease.Release(context.Background()) })
	st, err := files.Load(e.t.Context(), e.spec.Name)
	if errors.Is(err, state.ErrNoState) {
		st, err = state.New(e.spec.Name, e.clock.Now()), nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	e.lease = lease
	return state.Leased{Backend: files, Lease: lease}, st
}

// memStore keeps the state as the JSON document a file would hold, without
// the file's fsyncs: for tests that run a reconciler hundreds of times.
type memStore struct {
	mu  sync.Mutex
	doc []byte
}

func (m *memStore) Save(_ context.Context, st *state.State) error {
	doc, err := json.Marshal(st)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.doc = doc
	return nil
}

func (m *memStore) load(t *testing.T, name string, now time.Time) *state.State {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.doc == nil {
		return state.New(name, now)
	}
	st, err := state.Decode(bytes.NewReader(m.doc), "memory")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// converge runs apply and fails the test unless it converges.
func (e *env) converge() *reconcile.Result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), 30*time.Second)
	defer cancel()
	res, err := e.rec.Converge(ctx, reconcile.ConvergeOptions{Interval: 5 * time.Second, Sleep: e.clock.sleep})
	if err != nil {
		e.t.Fatalf("converge: %v (phase %s)", err, res.Phase)
	}
	return res
}

// pass runs one apply pass (with a probe round) and advances the clock.
func (e *env) pass() *reconcile.Result {
	e.t.Helper()
	res := e.rec.Pass(e.t.Context(), reconcile.PassOptions{Probe: true})
	e.clock.Advance(5 * time.Second)
	return res
}

func (e *env) backendVars() map[string]string { return e.sim.Variables(e.envID, e.backendID) }

func (e *env) backendDeploys() int { return len(e.sim.Deployments(e.envID, e.backendID)) }

func (e *env) redisServices() int {
	n := 0
	for _, name := range e.sim.Services(e.projectID) {
		if name == "Redis" {
			n++
		}
	}
	return n
}

// checkSafety asserts that nothing forbidden was ever sent.
func (e *env) checkSafety() {
	e.t.Helper()
	if f := e.sim.Forbidden(); len(f) > 0 {
		e.t.Fatalf("forbidden operations sent: %v", f)
	}
}

func hasEvent(st *state.State, typ string) bool {
	for _, e := range st.Events {
		if e.Type == typ {
			return true
		}
	}
	return false
}

func eventTypes(st *state.State) []string {
	var out []string
	for _, e := range st.Events {
		out = append(out, e.Type)
	}
	return out
}

func opNames(reqs []railwaytest.Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.OperationName)
	}
	return out
}

func planLines(p *reconcile.Plan) string {
	var b strings.Builder
	_ = p.WriteText(&b)
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

// countOp counts the simulator's requests of one GraphQL operation.
func (e *env) countOp(op string) int {
	n := 0
	for _, r := range e.sim.Requests() {
		if r.OperationName == op {
			n++
		}
	}
	return n
}
