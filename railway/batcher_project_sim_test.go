package railway_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
)

func envNames(envs []railway.Environment) []string {
	var names []string
	for _, e := range envs {
		names = append(names, e.Name)
	}
	return names
}

// TestBatcherProjectMerged: concurrent Project calls for one project make
// one read; each caller gets its own copy.
func TestBatcherProjectMerged(t *testing.T) {
	t.Parallel()
	w := newBatchWorld(t, nil)
	type result struct {
		p   *railway.Project
		err error
	}
	results := make(chan result, 5)
	for range 5 {
		go func() {
			p, err := w.b.Project(t.Context(), w.projectID)
			results <- result{p, err}
		}()
	}
	waitFor(t, "the callers to join", func() bool { return w.b.BatchStats().Pending == 5 })
	w.window.FireAll()
	var first *railway.Project
	for range 5 {
		r := <-results
		if r.err != nil || len(r.p.Services) != 12 {
			t.Fatalf("Project: %v", r.err)
		}
		if first == nil {
			first = r.p
			first.Services[0].Name = "edited"
		} else if r.p.Services[0].Name == "edited" {
			t.Error("callers share one Project")
		}
	}
	if s := w.b.BatchStats(); w.sim.RequestCount() != 1 || s.ProjectCalls != 5 || s.ProjectBatches != 1 {
		t.Errorf("%d requests, stats %+v; want 1", w.sim.RequestCount(), s)
	}
}

// TestBatcherEnvironmentsCached: the environment listing is read once per
// maxAge for every generator of a project; Project always reads, and its
// answer refreshes the listing.
func TestBatcherEnvironmentsCached(t *testing.T) {
	t.Parallel()
	w := newBatchWorld(t, nil)
	b := railway.NewBatcher(w.c, railway.BatchOptions{Window: time.Millisecond})
	ctx := t.Context()
	steps := []struct {
		name    string
		advance time.Duration
		addEnv  string
		maxAge  time.Duration
		want    []string
		reads   int
	}{
		{"first listing reads", 0, "", time.Minute, []string{"production"}, 1},
		{"within maxAge: cached, the new environment not seen yet", 30 * time.Second, "pr-7", time.Minute, []string{"production"}, 1},
		{"past maxAge: read again", 31 * time.Second, "", time.Minute, []string{"production", "pr-7"}, 2},
		{"maxAge 0 always reads", 0, "", 0, []string{"production", "pr-7"}, 3},
	}
	for _, st := range steps {
		w.clock.Advance(st.advance)
		if st.addEnv != "" {
			w.sim.AddEnvironment(w.projectID, st.addEnv)
		}
		envs, err := b.Environments(ctx, w.projectID, st.maxAge)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := envNames(envs); !slices.Equal(got, st.want) || w.sim.RequestCount() != st.reads {
			t.Errorf("%s: %v after %d requests, want %v after %d", st.name, got, w.sim.RequestCount(), st.want, st.reads)
		}
	}
	w.sim.AddEnvironment(w.projectID, "pr-8")
	w.clock.Advance(time.Hour)
	if _, err := b.Project(ctx, w.projectID); err != nil {
		t.Fatal(err)
	}
	envs, err := b.Environments(ctx, w.projectID, time.Minute)
	if err != nil || len(envs) != 3 || w.sim.RequestCount() != 4 {
		t.Errorf("after Project: %v (%v), %d requests; want the 3 environments from Project's read", envNames(envs), err, w.sim.RequestCount())
	}
}

// TestBatcherEnvironmentsMerged: ten generators of one project listing
// environments at once, with no fresh listing, make one read.
func TestBatcherEnvironmentsMerged(t *testing.T) {
	t.Parallel()
	w := newBatchWorld(t, nil)
	errs := make(chan error, 10)
	for range 10 {
		go func() {
			envs, err := w.b.Environments(t.Context(), w.projectID, time.Minute)
			if err == nil && len(envs) != 1 {
				err = fmt.Errorf("environments = %v", envNames(envs))
			}
			errs <- err
		}()
	}
	waitFor(t, "the generators to join", func() bool { return w.b.BatchStats().Pending == 10 })
	w.window.FireAll()
	for range 10 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := w.sim.RequestCount(); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}
