package railway

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
)

// DefaultBatchWindow is how long the first Observe (or Project) call of a
// batch waits for others to join it. The fleet starts the passes of the
// units of one project and environment at the same instant; a few tens of
// milliseconds absorb the scheduling jitter between them, and cost nothing
// next to a reconcile period.
const DefaultBatchWindow = 25 * time.Millisecond

// BatchOptions configures a Batcher. The zero value is usable.
type BatchOptions struct {
	// Window is how long the first call of a batch waits for others: no
	// call waits longer than it before its request is sent. Default
	// DefaultBatchWindow; negative: no batching (every call goes alone).
	Window time.Duration
	// After arms the window; default time.After. Tests inject their own.
	After func(time.Duration) <-chan time.Time
}

// BatchStats counts what a Batcher merged.
type BatchStats struct {
	// ObserveCalls is the number of Observe calls; ObserveBatches the
	// number of batched observations sent for them (each one request, plus
	// one per further page of a 500+ instance environment).
	ObserveCalls, ObserveBatches int64
	// ObserveAlone counts the calls read again alone after their batch was
	// refused (see Batcher.Observe).
	ObserveAlone int64
	// ProjectCalls is the number of Project calls (Environments' included
	// when they read); ProjectBatches the number of reads sent for them.
	ProjectCalls, ProjectBatches int64
	// Pending is the number of calls waiting for their window to end.
	Pending int
}

// Batcher is a Client shared by the units of a fleet that use one token. It
// merges their reads: the Observe calls made for the same project and
// environment within the window become one request (the union of their
// service ids), and the Project calls for the same project within the
// window become one read. Every other method is the Client's own, so the
// units also share its budget (SetMaxRequestsPerHour) and its rate-limit
// and edge state.
//
// A caller whose context ends stops waiting, with its context's error; the
// batch goes on for the others (and is not sent at all when every caller
// left). Calls for different environments are never merged. A batch is sent
// with a context of its own: marked Essential when any caller's is, bounded
// by the latest caller deadline, cancelled once every caller left.
//
// It is safe for concurrent use.
type Batcher struct {
	*Client
	direct  bool
	observe *coalescer[envKey, []string, batchObservation]
	project *coalescer[string, struct{}, *Project]

	mu    sync.Mutex
	envs  map[string]envListing
	alone int64
}

// envKey is what Observe calls are merged by.
type envKey struct{ project, env string }

// batchObservation is a batched observation, with the service ids it read.
type batchObservation struct {
	obs   *Observation
	union []string
}

// envListing is a project's environments as last read.
type envListing struct {
	envs []Environment
	at   time.Time // when the read was sent
}

// NewBatcher wraps c.
func NewBatcher(c *Client, opts BatchOptions) *Batcher {
	if opts.Window == 0 {
		opts.Window = DefaultBatchWindow
	}
	if opts.After == nil {
		opts.After = time.After
	}
	b := &Batcher{Client: c, direct: opts.Window < 0, envs: map[string]envListing{}}
	b.observe = newCoalescer(opts.Window, opts.After, b.flushObserve)
	b.project = newCoalescer(opts.Window, opts.After, b.flushProject)
	return b
}

// Observe reads an environment like Client.Observe, merged with the other
// Observe calls for the same project and environment made within the
// window: one request for all of them, with the union of their service ids.
//
// Each caller receives its own copy, holding every service instance (the
// instances are environment-wide: each caller would read them all alone
// too) and the variables of the services it asked for only. The variables
// are raw, so literal secrets such as a Redis password may be among them: a
// caller never sees the variables of a service it did not ask for.
//
// A failed batch fails every caller with the same error, with one
// exception: when Railway refuses the batch with a GraphQL error (such as
// "Service not found": Railway answers no partial data then) and the batch
// read services a caller did not ask for, that caller reads alone (one more
// request) and gets the answer it would have had alone, so that one unit's
// stale service id cannot fail the others' observations.
func (b *Batcher) Observe(ctx context.Context, projectID, environmentID string, serviceIDs []string) (*Observation, error) {
	if b.direct {
		return b.Client.Observe(ctx, projectID, environmentID, serviceIDs)
	}
	res, err := b.observe.do(ctx, envKey{projectID, environmentID}, serviceIDs)
	switch {
	case err == nil:
		return res.obs.only(serviceIDs), nil
	case left(ctx, err):
		return nil, &TransientError{Op: OpObserve, Err: err}
	case refusedFor(err) && !covers(serviceIDs, res.union):
		b.mu.Lock()
		b.alone++
		b.mu.Unlock()
		b.log.Debug("batched observation refused, reading alone", zap.Error(err))
		return b.Client.Observe(ctx, projectID, environmentID, serviceIDs)
	}
	return nil, err
}

func (b *Batcher) flushObserve(ctx context.Context, k envKey, reqs [][]string) (batchObservation, error) {
	union := slices.Sorted(slices.Values(slices.Concat(reqs...)))
	union = slices.Compact(union)
	if union == nil {
		union = []string{}
	}
	obs, err := b.Client.Observe(ctx, k.project, k.env, union)
	return batchObservation{obs: obs, union: union}, err
}

// left reports whether err is the caller's own context ending while it
// waited (the coalescer returns ctx.Err() itself), not the batch's error.
func left(ctx context.Context, err error) bool {
	return ctx.Err() != nil && err == ctx.Err() // identity: the coalescer returns ctx.Err() itself
}

// refusedFor reports whether a batch's error may be due to one caller's
// ids: a GraphQL error other than an authorization failure.
func refusedFor(err error) bool {
	var gql *GraphQLError
	return errors.As(err, &gql) && !errors.Is(err, ErrUnauthorized)
}

// covers reports whether ids hold every id of union: reading alone would
// send the same request.
func covers(ids, union []string) bool {
	for _, u := range union {
		if !slices.Contains(ids, u) {
			return false
		}
	}
	return true
}

// only returns a copy of o with the variables of ids only.
func (o *Observation) only(ids []string) *Observation {
	out := &Observation{
		EnvironmentID: o.EnvironmentID,
		Instances:     slices.Clone(o.Instances),
		Variables:     make(map[string]map[string]string, len(ids)),
	}
	for i, in := range out.Instances {
		if in.LatestDeployment != nil {
			d := *in.LatestDeployment
			out.Instances[i].LatestDeployment = &d
		}
	}
	for _, id := range ids {
		if v, ok := o.Variables[id]; ok {
			out.Variables[id] = maps.Clone(v)
		}
	}
	return out
}

// Project reads a project like Client.Project, merged with the other
// Project calls for it made within the window. It is never answered from a
// cache: the read is always sent after the call (the reconciler calls it to
// refresh ids it found stale). Each caller receives its own copy.
func (b *Batcher) Project(ctx context.Context, projectID string) (*Project, error) {
	if b.direct {
		return b.flushProject(ctx, projectID, nil)
	}
	p, err := b.project.do(ctx, projectID, struct{}{})
	if err != nil {
		if left(ctx, err) {
			return nil, &TransientError{Op: OpProject, Err: err}
		}
		return nil, err
	}
	return &Project{ID: p.ID, Name: p.Name, Environments: slices.Clone(p.Environments), Services: slices.Clone(p.Services)}, nil
}

func (b *Batcher) flushProject(ctx context.Context, projectID string, _ []struct{}) (*Project, error) {
	at := b.now()
	p, err := b.Client.Project(ctx, projectID)
	if err == nil {
		b.remember(projectID, p.Environments, at)
	}
	return p, err
}

// Environments returns a project's environments, for the fleet's
// environment generator: from the last read of the project (by Environments
// or Project) when it was sent at most maxAge ago, else from a new read
// (merged like Project). With maxAge set to the generators' reconcile
// period, N generator specs on one project cost at most one request per
// period between them, not N; a new environment then shows within two
// periods at worst. maxAge 0 always reads.
func (b *Batcher) Environments(ctx context.Context, projectID string, maxAge time.Duration) ([]Environment, error) {
	b.mu.Lock()
	l, ok := b.envs[projectID]
	b.mu.Unlock()
	if ok && b.now().Sub(l.at) < maxAge {
		return slices.Clone(l.envs), nil
	}
	p, err := b.Project(ctx, projectID)
	if err != nil {
		return nil, err
	}
	return p.Environments, nil
}

// remember records a project's environments read at at, and forgets the
// projects not read for an hour.
func (b *Batcher) remember(projectID string, envs []Environment, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l, ok := b.envs[projectID]; ok && l.at.After(at) {
		return
	}
	b.envs[projectID] = envListing{envs: slices.Clone(envs), at: at}
	for id, l := range b.envs {
		if at.Sub(l.at) > time.Hour {
			delete(b.envs, id)
		}
	}
}

// BatchStats returns what the batcher merged so far.
func (b *Batcher) BatchStats() BatchStats {
	var s BatchStats
	var po, pp int
	s.ObserveCalls, s.ObserveBatches, po = b.observe.stats()
	s.ProjectCalls, s.ProjectBatches, pp = b.project.stats()
	s.Pending = po + pp
	b.mu.Lock()
	s.ObserveAlone = b.alone
	b.mu.Unlock()
	return s
}
