package controller

import (
	"context"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// startFleet builds and starts the units of the specs in use, then the
// jobs of a fleet: the environment generators and, with PostgreSQL, the
// assignment of units to replicas.
func (c *Controller) startFleet(ctx context.Context) {
	if c.fleet && c.infra.store != nil {
		c.shard = newShard(c, c.infra.store)
		go c.shard.run(ctx)
	}
	c.refreshEnvironments(ctx)
	c.syncUnits(ctx)
	c.scheduleReports(ctx)
	if c.hasGenerators() {
		go c.generate(ctx)
	}
}

// wantedUnit is a unit the specs in use call for.
type wantedUnit struct {
	sp       *spec.Spec // the unit's spec: Name is the unit's name
	specName string
}

// desired lists the units the specs call for: one per spec, or one per
// environment a generator spec matches among its project's environments
// (an environment that disappeared is just no longer listed: nothing is
// ever deleted). In a fleet, every unit's spec names the unit and its
// state file is its own (spec.Unit.FleetSpec).
func (c *Controller) desired() []wantedUnit {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []wantedUnit
	for _, u := range spec.UnitsOf(c.specs, c.envs) {
		sp := u.Spec
		if c.fleet {
			sp = u.FleetSpec()
		}
		out = append(out, wantedUnit{sp: sp, specName: u.Spec.Name})
	}
	return out
}

// syncUnits adds the units the specs now call for, removes those they no
// longer do (a removed spec, a vanished environment: the unit stops being
// managed, nothing is deleted), and gives the others their new spec. The
// others are never restarted.
func (c *Controller) syncUnits(ctx context.Context) {
	want := c.desired()
	c.mu.Lock()
	if c.stopping {
		c.mu.Unlock()
		return
	}
	var gone []*unit
	keep := map[string]bool{}
	for _, w := range want {
		keep[w.sp.Name] = true
	}
	for name, u := range c.units {
		if !keep[name] {
			gone = append(gone, u)
			delete(c.units, name)
		}
	}
	c.mu.Unlock()
	for _, u := range gone {
		u.log.Info("unit no longer managed: stopping it (nothing is deleted)")
		u.shutdown(time.Now().Add(c.opts.ShutdownTimeout), true)
	}
	for _, w := range want {
		c.applyUnit(ctx, w)
	}
	c.stretchBudget()
}

// applyUnit starts the unit w when it is new, or gives it w's spec.
func (c *Controller) applyUnit(ctx context.Context, w wantedUnit) {
	c.mu.Lock()
	u, ok := c.units[w.sp.Name]
	c.mu.Unlock()
	if ok {
		if old := u.Spec(); old.Hash != w.sp.Hash || old.File != w.sp.File {
			u.setSpec(c.keepRestartFields(old, w.sp))
		}
		return
	}
	u, err := c.newUnit(ctx, w.sp, w.specName)
	if err != nil {
		c.log.Error("cannot run the unit", zap.String("unit", w.sp.Name), zap.Error(err))
		return
	}
	c.mu.Lock()
	if c.stopping || c.units[w.sp.Name] != nil {
		c.mu.Unlock()
		u.shutdown(time.Now(), true)
		return
	}
	c.units[w.sp.Name] = u
	c.mu.Unlock()
	u.start(ctx)
	if c.fleet {
		u.log.Info("unit added")
	}
}

// unitList returns the units, sorted by name.
func (c *Controller) unitList() []*unit {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*unit, 0, len(c.units))
	for _, u := range c.units {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *unit) int { return strings.Compare(a.name, b.name) })
	return out
}

// unitNamed returns the unit called name.
func (c *Controller) unitNamed(name string) *unit {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.units[name]
}

func (c *Controller) hasGenerators() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.ContainsFunc(c.specs, func(sp *spec.Spec) bool { return sp.Railway.Generated() })
}

// generate matches the generator specs against their projects'
// environments at every reconcile (the shortest reconcile period of
// them), picking up new environments and dropping vanished ones.
func (c *Controller) generate(ctx context.Context) {
	for {
		if sleepCtx(ctx, c.generatePeriod()) != nil {
			return
		}
		c.refreshEnvironments(ctx)
		c.syncUnits(ctx)
	}
}

// generatePeriod is the shortest reconcile period of the generator specs,
// at most a minute.
func (c *Controller) generatePeriod() time.Duration {
	every := time.Minute
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, sp := range c.specs {
		if p := period(sp.Schedule.Reconcile, c.opts.Now()); sp.Railway.Generated() && p > 0 && p < every {
			every = p
		}
	}
	return every
}

// refreshEnvironments reads the environments of every generator spec's
// project: at most one request per project and generator period, none when
// a unit's pass read the project within it (Batcher.Environments). A failed
// read keeps the last list (an error is never taken for "gone").
func (c *Controller) refreshEnvironments(ctx context.Context) {
	projects := map[string]bool{}
	c.mu.Lock()
	for _, sp := range c.specs {
		if sp.Railway.Generated() {
			projects[sp.Railway.ProjectID] = true
		}
	}
	c.mu.Unlock()
	for id := range projects {
		envs, err := c.batcherForProject(id).Environments(ctx, id, c.generatePeriod())
		if err != nil {
			c.log.Warn("reading the project's environments failed: the generated units stay as they are",
				zap.String("project", id), zap.Error(err))
			continue
		}
		names := make([]string, 0, len(envs))
		for _, e := range envs {
			names = append(names, e.Name)
		}
		c.mu.Lock()
		c.envs[id] = names
		c.mu.Unlock()
	}
}

// acquire waits until this process holds unit u's lease: the file store's
// lock, or a PostgreSQL lease once the unit is assigned to this replica.
func (c *Controller) acquire(ctx context.Context, u *unit) (state.Lease, error) {
	if c.shard != nil {
		return c.shard.acquire(ctx, u)
	}
	return u.app.Locker.Acquire(ctx, u.name)
}

// revoked is closed when unit u is assigned to another replica (never
// without sharding).
func (c *Controller) revoked(ctx context.Context, u *unit) <-chan struct{} {
	if c.shard == nil {
		return nil
	}
	return c.shard.revoked(ctx, u.name)
}

// clientFor returns the client of sp's endpoint, making one for an
// endpoint a reload brought.
func (c *Controller) clientFor(sp *spec.Spec) *railway.Client {
	c.mu.Lock()
	cl := c.infra.clients[sp.Railway.Endpoint]
	c.mu.Unlock()
	if cl != nil {
		return cl
	}
	cl, err := c.newClient(sp, c.specsInUse())
	if err != nil {
		c.log.Warn("a client for the spec's endpoint could not be made; using the first spec's", zap.Error(err))
		return c.infra.client
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if got := c.infra.clients[sp.Railway.Endpoint]; got != nil {
		return got
	}
	c.infra.clients[sp.Railway.Endpoint] = cl
	return cl
}

// siblings returns the addon names of the units other than u in u's
// project and environment: while u creates its addon, a new service
// carrying one of them is not u's.
func (c *Controller) siblings(u *unit) []string {
	sp := u.Spec()
	var out []string
	for _, o := range c.unitList() {
		osp := o.Spec()
		if o != u && osp.Railway.ProjectID == sp.Railway.ProjectID && osp.Railway.Environment == sp.Railway.Environment {
			out = append(out, osp.Addon.Service)
		}
	}
	return out
}

// clientOf returns the client of endpoint ep, or nil.
func (c *Controller) clientOf(ep string) *railway.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.infra.clients[ep]
}

// observer returns what the reconciler of a unit of sp reads Railway
// through: in a fleet, the batcher of its endpoint's client, which merges
// the observations of the units of one project and environment into one
// request; nil (the client itself) for a single spec, whose reads have
// nothing to merge with.
func (c *Controller) observer(sp *spec.Spec) reconcile.Railway {
	if !c.fleet {
		return nil
	}
	return c.batcherFor(sp)
}

// batcherFor returns the batcher of sp's endpoint's client.
func (c *Controller) batcherFor(sp *spec.Spec) *railway.Batcher {
	cl := c.clientFor(sp)
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.infra.batchers[cl]
	if b == nil {
		b = railway.NewBatcher(cl, railway.BatchOptions{})
		c.infra.batchers[cl] = b
	}
	return b
}

// batcherForProject returns the batcher of the first spec of project id.
func (c *Controller) batcherForProject(id string) *railway.Batcher {
	for _, sp := range c.specsInUse() {
		if sp.Railway.ProjectID == id {
			return c.batcherFor(sp)
		}
	}
	return c.batcherFor(c.opts.Spec)
}
