package railway_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
	"github.com/smartlic/reconciler/reconcile"
)

var _ reconcile.Railway = (*railway.Batcher)(nil)

// manualWindow is a batch window the test closes: After records the
// durations armed and returns channels that FireAll fires.
type manualWindow struct {
	mu    sync.Mutex
	armed []time.Duration
	chans []chan time.Time
}

func (m *manualWindow) After(d time.Duration) <-chan time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := make(chan time.Time, 1)
	m.armed = append(m.armed, d)
	m.chans = append(m.chans, ch)
	return ch
}

// FireAll ends every window armed so far.
func (m *manualWindow) FireAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ch := range m.chans {
		select {
		case ch <- time.Time{}:
		default:
		}
	}
}

func (m *manualWindow) Armed() []time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.armed)
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// batchWorld is a simWorld with ten more services, each holding a secret of
// its own, and a Batcher whose window the test closes.
type batchWorld struct {
	*simWorld
	b      *railway.Batcher
	window *manualWindow
	svcIDs []string
}

func newBatchWorld(t *testing.T, edit func(*railway.Options)) *batchWorld {
	t.Helper()
	w := &batchWorld{simWorld: newSimWorld(t, railwaytest.Options{RateLimit: 1 << 20}, edit), window: &manualWindow{}}
	for i := range 10 {
		id := w.sim.AddService(w.projectID, fmt.Sprintf("app-%d", i), "img")
		w.sim.SetVariables(w.envID, id, map[string]string{"SECRET": fmt.Sprintf("secret-%d", i), "REDIS_URL": "${{Redis.REDIS_URL}}"})
		w.svcIDs = append(w.svcIDs, id)
	}
	w.sim.ResetLog()
	w.b = railway.NewBatcher(w.c, railway.BatchOptions{After: w.window.After})
	return w
}

type observeResult struct {
	obs *railway.Observation
	err error
}

// observeAll starts one Observe per id list and waits until all of them
// wait in their batch.
func (w *batchWorld) observeAll(t *testing.T, ctx context.Context, envID string, idLists [][]string) []chan observeResult {
	t.Helper()
	before := w.b.BatchStats().Pending
	out := make([]chan observeResult, len(idLists))
	for i, ids := range idLists {
		out[i] = make(chan observeResult, 1)
		go func() {
			obs, err := w.b.Observe(ctx, w.projectID, envID, ids)
			out[i] <- observeResult{obs, err}
		}()
	}
	waitFor(t, "the callers to join their batch", func() bool { return w.b.BatchStats().Pending == before+len(idLists) })
	return out
}

// TestBatcherMergesConcurrentObserves: ten units of one environment observe
// at once: one request, with the union of their service ids; each gets
// every instance but only the variables (and secrets) it asked for.
func TestBatcherMergesConcurrentObserves(t *testing.T) {
	t.Parallel()
	w := newBatchWorld(t, nil)
	lists := make([][]string, 10)
	for i := range lists {
		lists[i] = []string{w.svcIDs[i], w.backendID}
	}
	results := w.observeAll(t, t.Context(), w.envID, lists)
	w.window.FireAll()
	for i, ch := range results {
		r := <-ch
		if r.err != nil {
			t.Fatalf("caller %d: %v", i, r.err)
		}
		if got := slices.Sorted(maps.Keys(r.obs.Variables)); !slices.Equal(got, slices.Sorted(slices.Values(lists[i]))) {
			t.Errorf("caller %d got the variables of %v, asked for %v", i, got, lists[i])
		}
		if got := r.obs.Variables[w.svcIDs[i]]["SECRET"]; got != fmt.Sprintf("secret-%d", i) {
			t.Errorf("caller %d: SECRET = %q", i, got)
		}
		if len(r.obs.Instances) != 12 {
			t.Errorf("caller %d: %d instances, want 12", i, len(r.obs.Instances))
		}
	}
	reqs := w.sim.Requests()
	if len(reqs) != 1 {
		t.Fatalf("requests = %d, want 1", len(reqs))
	}
	want := append([]string{"environment"}, slices.Repeat([]string{"variables"}, 11)...)
	if !slices.Equal(reqs[0].Fields, want) {
		t.Errorf("fields = %v, want the environment and 11 services' variables", reqs[0].Fields)
	}
	if s := w.b.BatchStats(); s.ObserveCalls != 10 || s.ObserveBatches != 1 || s.Pending != 0 {
		t.Errorf("stats = %+v", s)
	}
	if a := w.window.Armed(); !slices.Equal(a, []time.Duration{railway.DefaultBatchWindow}) {
		t.Errorf("windows armed = %v, want one of %s (the first caller's)", a, railway.DefaultBatchWindow)
	}
}

// TestBatcherResultsAreCopies: a caller that edits its observation does not
// change another's.
func TestBatcherResultsAreCopies(t *testing.T) {
	t.Parallel()
	w := newBatchWorld(t, nil)
	ids := []string{w.backendID}
	results := w.observeAll(t, t.Context(), w.envID, [][]string{ids, ids})
	w.window.FireAll()
	a, b := <-results[0], <-results[1]
	if a.err != nil || b.err != nil {
		t.Fatal(a.err, b.err)
	}
	a.obs.Variables[w.backendID]["PORT"] = "1"
	a.obs.Instances[0].ServiceName = "edited"
	if a.obs.Instances[0].LatestDeployment != nil {
		a.obs.Instances[0].LatestDeployment.Status = railway.StatusCrashed
	}
	if b.obs.Variables[w.backendID]["PORT"] != "8080" || b.obs.Instances[0].ServiceName == "edited" ||
		b.obs.Instances[0].LatestDeployment != nil && b.obs.Instances[0].LatestDeployment.Status == railway.StatusCrashed {
		t.Error("one caller's edit shows in another's observation")
	}
}

// TestBatcherSeparatesEnvironments: calls for three environments at once
// make three requests, each for its own environment.
func TestBatcherSeparatesEnvironments(t *testing.T) {
	t.Parallel()
	w := newBatchWorld(t, nil)
	envs := []string{w.envID, w.sim.AddEnvironment(w.projectID, "staging"), w.sim.AddEnvironment(w.projectID, "pr-1")}
	var all []chan observeResult
	for _, env := range envs {
		all = append(all, w.observeAll(t, t.Context(), env, [][]string{{w.svcIDs[0]}, {w.svcIDs[1]}, nil})...)
	}
	w.window.FireAll()
	for i, ch := range all {
		r := <-ch
		if r.err != nil {
			t.Fatalf("caller %d: %v", i, r.err)
		}
		if r.obs.EnvironmentID != envs[i/3] {
			t.Errorf("caller %d observed %s, want %s", i, r.obs.EnvironmentID, envs[i/3])
		}
	}
	reqs := w.sim.Requests()
	seen := map[string]int{}
	for _, r := range reqs {
		seen[fmt.Sprint(r.Variables["env"])]++
	}
	if len(reqs) != 3 || seen[envs[0]] != 1 || seen[envs[1]] != 1 || seen[envs[2]] != 1 {
		t.Errorf("requests per environment = %v, want one each", seen)
	}
}

// TestBatcherCallerCancelled: a caller whose context ends stops waiting at
// once; the batch goes on for the other, without the leaver's services. A
// batch every caller left is never sent.
func TestBatcherCallerCancelled(t *testing.T) {
	t.Parallel()
	w := newBatchWorld(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	leaver := w.observeAll(t, ctx, w.envID, [][]string{{w.svcIDs[0]}})[0]
	stayer := w.observeAll(t, t.Context(), w.envID, [][]string{{w.svcIDs[1]}})[0]
	cancel()
	r := <-leaver
	if !errors.Is(r.err, context.Canceled) || !railway.IsTransient(r.err) {
		t.Fatalf("leaver: %v, want a transient context.Canceled", r.err)
	}
	w.window.FireAll()
	if r := <-stayer; r.err != nil || r.obs.Variables[w.svcIDs[1]]["SECRET"] != "secret-1" {
		t.Fatalf("stayer: %v", r.err)
	}
	reqs := w.sim.Requests()
	if len(reqs) != 1 || len(reqs[0].Fields) != 2 {
		t.Fatalf("requests = %d (fields %v), want 1 reading the stayer's service only", len(reqs), reqs[0].Fields)
	}

	ctx2, cancel2 := context.WithCancel(t.Context())
	gone := w.observeAll(t, ctx2, w.envID, [][]string{{w.svcIDs[0]}, {w.svcIDs[1]}})
	cancel2()
	for _, ch := range gone {
		if r := <-ch; !errors.Is(r.err, context.Canceled) {
			t.Fatalf("err = %v", r.err)
		}
	}
	w.window.FireAll()
	waitFor(t, "the abandoned batch to close", func() bool { return w.b.BatchStats().Pending == 0 })
	if s := w.b.BatchStats(); s.ObserveBatches != 1 || w.sim.RequestCount() != 1 {
		t.Errorf("an abandoned batch was sent: %+v, %d requests", s, w.sim.RequestCount())
	}
}

// TestBatcherSharesError: a batch that fails fails every caller with the
// same error, after one request.
func TestBatcherSharesError(t *testing.T) {
	t.Parallel()
	w := newBatchWorld(t, func(o *railway.Options) { o.MaxAttempts = 1 })
	w.sim.FailNextRequests(railwaytest.Fault503, 1)
	results := w.observeAll(t, t.Context(), w.envID, [][]string{{w.svcIDs[0]}, {w.svcIDs[1]}, {w.svcIDs[2]}})
	w.window.FireAll()
	var first error
	for i, ch := range results {
		r := <-ch
		var te *railway.TransientError
		if !errors.As(r.err, &te) || te.Status != 503 {
			t.Fatalf("caller %d: %v, want the 503", i, r.err)
		}
		if first == nil {
			first = r.err
		} else if r.err != first {
			t.Errorf("caller %d got another error value: %v", i, r.err)
		}
	}
	if n := w.sim.RequestCount(); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

// TestBatcherStaleIDIsolated: one caller's service id Railway does not know
// fails the batch; each caller then reads alone and gets its own answer:
// the one that did not ask for it succeeds, the other gets Railway's
// not-found. Three requests: the batch and two alone.
func TestBatcherStaleIDIsolated(t *testing.T) {
	t.Parallel()
	w := newBatchWorld(t, nil)
	other, _ := w.sim.CreateProject("other")
	foreign := w.sim.AddService(other, "elsewhere", "img")
	results := w.observeAll(t, t.Context(), w.envID, [][]string{{w.svcIDs[0], foreign}, {w.svcIDs[1]}})
	w.window.FireAll()
	if r := <-results[0]; !errors.Is(r.err, railway.ErrNotFound) {
		t.Errorf("the stale caller: %v, want ErrNotFound", r.err)
	}
	if r := <-results[1]; r.err != nil || r.obs.Variables[w.svcIDs[1]]["SECRET"] != "secret-1" {
		t.Errorf("the other caller: %v", r.err)
	}
	if s := w.b.BatchStats(); s.ObserveAlone != 2 || w.sim.RequestCount() != 3 {
		t.Errorf("stats %+v, %d requests: want two reads alone, three requests", s, w.sim.RequestCount())
	}
}

// TestBatcherEssentialAndDeadlines: under the rate-limit reserve a batch
// goes out when any caller is essential, and serves the others too; with
// the budget empty, a caller's short deadline does not cut the batch short
// for a caller without one.
func TestBatcherEssentialAndDeadlines(t *testing.T) {
	t.Parallel()
	w := &batchWorld{simWorld: newSimWorld(t, railwaytest.Options{RateLimit: 20}, nil), window: &manualWindow{}}
	w.b = railway.NewBatcher(w.c, railway.BatchOptions{After: w.window.After})
	for range 18 { // Remaining 2 = the reserve of 20
		if _, err := w.c.Deployment(railway.Essential(t.Context()), w.redisDeploymentID); err != nil {
			t.Fatal(err)
		}
	}
	ids := [][]string{{w.backendID}, {w.backendID}}
	plain := w.observeAll(t, t.Context(), w.envID, ids)
	w.window.FireAll()
	for _, ch := range plain {
		var re *railway.ReserveError
		if r := <-ch; !errors.As(r.err, &re) {
			t.Fatalf("non-essential batch: %v, want *ReserveError", r.err)
		}
	}
	sent := w.sim.RequestCount()
	mixed := w.observeAll(t, t.Context(), w.envID, ids[:1])
	mixed = append(mixed, w.observeAll(t, railway.Essential(t.Context()), w.envID, ids[1:])...)
	w.window.FireAll()
	for i, ch := range mixed {
		if r := <-ch; r.err != nil {
			t.Fatalf("caller %d of a batch with an essential caller: %v", i, r.err)
		}
	}
	if n := w.sim.RequestCount() - sent; n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}

	bw := newBatchWorld(t, func(o *railway.Options) { o.MaxRequestsPerHour = 10 })
	if _, err := bw.c.Deployment(t.Context(), bw.redisDeploymentID); err != nil { // the burst of 10/h: 1
		t.Fatal(err)
	}
	short, cancel := context.WithDeadline(t.Context(), bw.clock.Now().Add(time.Minute))
	defer cancel()
	alone := bw.observeAll(t, short, bw.envID, [][]string{{bw.backendID}})
	bw.window.FireAll()
	if r := <-alone[0]; !errors.Is(r.err, railway.ErrBudgetExhausted) {
		t.Fatalf("a short deadline alone: %v, want ErrBudgetExhausted (the next token is 6m40s away)", r.err)
	}
	res := bw.observeAll(t, short, bw.envID, [][]string{{bw.backendID}})
	res = append(res, bw.observeAll(t, t.Context(), bw.envID, [][]string{{bw.backendID}})...)
	bw.window.FireAll()
	for i, ch := range res {
		if r := <-ch; r.err != nil {
			t.Errorf("caller %d: %v (the batch waits for the budget: one caller has no deadline)", i, r.err)
		}
	}
}

// TestBatcherLoneCallWaitsOnlyTheWindow: a call alone waits for its window
// (real time here) and no more than the window plus its request; a caller
// joining an open batch arms no window of its own.
func TestBatcherLoneCallWaitsOnlyTheWindow(t *testing.T) {
	t.Parallel()
	w := newBatchWorld(t, nil)
	const window = 50 * time.Millisecond
	b := railway.NewBatcher(w.c, railway.BatchOptions{Window: window})
	start := time.Now()
	if _, err := b.Observe(t.Context(), w.projectID, w.envID, []string{w.backendID}); err != nil {
		t.Fatal(err)
	}
	// The lower bound is exact; the upper one is generous for a loaded box.
	if took := time.Since(start); took < window || took > window+10*time.Second {
		t.Errorf("a lone call took %s with a window of %s", took, window)
	}
	results := w.observeAll(t, t.Context(), w.envID, [][]string{{w.backendID}})
	results = append(results, w.observeAll(t, t.Context(), w.envID, [][]string{{w.redisID}})...)
	if a := w.window.Armed(); len(a) != 1 {
		t.Fatalf("windows armed = %v, want only the first caller's", a)
	}
	w.window.FireAll()
	for _, ch := range results {
		if r := <-ch; r.err != nil {
			t.Fatal(r.err)
		}
	}
}

// TestBatcherNoWindow: a negative window sends every call alone; the other
// methods are the client's.
func TestBatcherNoWindow(t *testing.T) {
	t.Parallel()
	w := newBatchWorld(t, nil)
	b := railway.NewBatcher(w.c, railway.BatchOptions{Window: -1})
	for range 3 {
		if _, err := b.Observe(t.Context(), w.projectID, w.envID, []string{w.backendID}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Project(t.Context(), w.projectID); err != nil {
		t.Fatal(err)
	}
	vars, err := b.RenderedVariables(t.Context(), w.projectID, w.envID, w.redisID)
	if err != nil || vars["REDIS_PASSWORD"].Value() != simRedisURLPass {
		t.Fatalf("RenderedVariables: %v", err)
	}
	if n := w.sim.RequestCount(); n != 5 {
		t.Errorf("requests = %d, want 5", n)
	}
}

// TestBatcherPrintsNoToken: a Batcher prints as its client, never its token.
func TestBatcherPrintsNoToken(t *testing.T) {
	t.Parallel()
	w := newBatchWorld(t, nil)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, w.b); strings.Contains(out, simToken) || !strings.Contains(out, "railway.Client(") {
			t.Errorf("%s prints %q", verb, out)
		}
	}
}
