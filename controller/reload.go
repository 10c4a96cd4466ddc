package controller

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/spec"
)

// watch watches the spec files' directories (a fleet's directories
// themselves), so that an editor replacing a file (write a temporary,
// rename it over), a symlink swap, and files added to or removed from a
// fleet's directory are all seen. A failure is logged: SIGHUP still
// reloads.
func (c *Controller) watch() *fsnotify.Watcher {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		c.log.Warn("spec file not watched; send SIGHUP to reload", zap.Error(err))
		return nil
	}
	for _, dir := range c.watchedDirs() {
		if err := w.Add(dir); err != nil {
			_ = w.Close() // unusable anyway
			c.log.Warn("spec file not watched; send SIGHUP to reload", zap.Error(err))
			return nil
		}
	}
	return w
}

// watchedDirs are the directories whose events may change the specs.
func (c *Controller) watchedDirs() []string {
	if len(c.opts.Paths) == 0 {
		return []string{filepath.Dir(c.opts.SpecPath)}
	}
	var dirs []string
	for _, p := range c.opts.Paths {
		d := filepath.Dir(p)
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			d = p
		}
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// relevantEvent returns the filter of file events. One spec: those naming
// the spec file, or, when the spec is a symlink (a Kubernetes-style
// ConfigMap mount swaps a "..data" link), any event in its directory. A
// fleet: any event in its directories. Pure chmods are not edits.
func (c *Controller) relevantEvent() func(fsnotify.Event) bool {
	target := filepath.Clean(c.opts.SpecPath)
	fi, err := os.Lstat(target)
	link := err == nil && fi.Mode()&os.ModeSymlink != 0
	return func(ev fsnotify.Event) bool {
		if ev.Op == fsnotify.Chmod {
			return false
		}
		return link || len(c.opts.Paths) > 0 || filepath.Clean(ev.Name) == target
	}
}

// reload reads the specs again. A valid edit is applied to its units from
// their next tick (a changed schedule is rescheduled), without restarting
// them or the others; units the specs no longer call for stop, new ones
// start. An invalid file is logged line by line and leaves its units
// running on their last valid spec.
func (c *Controller) reload(trigger string) {
	if c.opts.Set != nil {
		c.reloadSet(trigger)
		return
	}
	sp, err := c.opts.Load(c.opts.SpecPath)
	units := c.unitList()
	if err != nil {
		lines := c.reject(err)
		for _, u := range units {
			u.reject(lines)
		}
		return
	}
	old := c.Spec()
	if sp.Hash == old.Hash && !anyRejected(units) {
		c.log.Debug("spec unchanged", zap.String("trigger", trigger))
		if trigger == "signal" {
			for _, u := range units {
				u.retry() // SIGHUP: a person asks for an attempt now
			}
		}
		return
	}
	sp = c.keepRestartFields(old, sp)
	c.mu.Lock()
	c.specs = []*spec.Spec{sp}
	c.mu.Unlock()
	c.syncUnits(c.currentRunCtx())
	for _, u := range units {
		if u.Spec().Hash == sp.Hash {
			u.m.setSpecValid(true)
			u.mu.Lock()
			u.specErrs = nil
			u.mu.Unlock()
		}
	}
	c.log.Info("spec reloaded", zap.String("trigger", trigger), zap.String("hash", sp.Hash))
}

// reloadSet reloads a fleet's specs.
func (c *Controller) reloadSet(trigger string) {
	set, err := c.opts.LoadSet(c.opts.Paths)
	if err != nil {
		lines := c.reject(err)
		for _, u := range c.unitList() {
			u.reject(lines)
		}
		return
	}
	byFile := map[string][]string{}
	for _, f := range set.Invalid {
		byFile[f.File] = f.Problems
		for _, l := range f.Problems {
			c.log.Error("spec rejected, the last valid spec keeps running", zap.String("problem", l))
		}
	}
	specs := keepInvalidFiles(c.specsInUse(), set.Specs, byFile)
	c.mu.Lock()
	c.specs, c.invalid = specs, set.Invalid
	c.mu.Unlock()
	c.refreshEnvironments(c.currentRunCtx())
	c.syncUnits(c.currentRunCtx())
	c.scheduleReports(c.currentRunCtx())
	for _, u := range c.unitList() {
		if lines, bad := byFile[u.Spec().File]; bad {
			u.reject(lines)
		} else if trigger == "signal" {
			u.retry()
		}
	}
	c.log.Info("specs reloaded", zap.String("trigger", trigger), zap.Int("specs", len(set.Specs)), zap.Int("invalid", len(set.Invalid)))
}

// keepInvalidFiles returns the specs to run: the valid ones, and for a
// file now invalid, the specs it held before (its units keep running on
// their last valid spec).
func keepInvalidFiles(running, valid []*spec.Spec, invalid map[string][]string) []*spec.Spec {
	out := slices.Clone(valid)
	for _, sp := range running {
		if _, bad := invalid[sp.File]; bad {
			out = append(out, sp)
		}
	}
	return out
}

func anyRejected(units []*unit) bool {
	for _, u := range units {
		u.mu.Lock()
		bad := u.specErrs != nil
		u.mu.Unlock()
		if bad {
			return true
		}
	}
	return false
}

func (c *Controller) currentRunCtx() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.runCtx == nil {
		return context.Background()
	}
	return c.runCtx
}

// reject logs an invalid spec: every problem with its position, and
// returns the problem lines (shown by /status, /readyz and
// reconciler_spec_valid).
func (c *Controller) reject(err error) []string {
	lines := problemLines(err)
	for _, l := range lines {
		c.log.Error("spec rejected, the last valid spec keeps running", zap.String("problem", l))
	}
	return lines
}

// problemLines returns one line per problem: FILE:LINE:COL: PATH: MESSAGE.
func problemLines(err error) []string {
	var errs *spec.Errors
	if !errors.As(err, &errs) {
		return []string{err.Error()}
	}
	lines := make([]string, 0, len(errs.List))
	for _, e := range errs.List {
		lines = append(lines, e.Error())
	}
	return lines
}

// postgresKey identifies the postgres settings (secret: never shown).
func postgresKey(p spec.Postgres) string {
	return fmt.Sprint(p.URL.Value(), p.LeaseDuration, p.RenewDeadline, p.RetryPeriod)
}

// masked shows a changed secret without its value.
func masked(string) string { return "***" }

// keepRestartFields returns sp with the fields that only take effect at
// start (the metrics' name label, the Railway client, the state lock, the
// listener) set back to their running values, logging each one that
// changed: those changes wait for a restart.
func (c *Controller) keepRestartFields(old, sp *spec.Spec) *spec.Spec {
	cp := *sp
	fields := []struct {
		path          string
		running, file string
		show          func(string) string
		restore       func()
	}{
		{"name", old.Name, cp.Name, nil, func() { cp.Name = old.Name }},
		{"railway.endpoint", old.Railway.Endpoint, cp.Railway.Endpoint, spec.RedactURL,
			func() { cp.Railway.Endpoint = old.Railway.Endpoint }},
		{"railway.projectId", old.Railway.ProjectID, cp.Railway.ProjectID, nil,
			func() { cp.Railway.ProjectID = old.Railway.ProjectID }},
		{"railway.maxRequestsPerHour", strconv.Itoa(old.Railway.MaxRequestsPerHour), strconv.Itoa(cp.Railway.MaxRequestsPerHour), nil,
			func() { cp.Railway.MaxRequestsPerHour = old.Railway.MaxRequestsPerHour }},
		{"state.path", old.State.Path, cp.State.Path, nil, func() { cp.State.Path = old.State.Path }},
		{"server.listen", old.Server.Listen, cp.Server.Listen, nil, func() { cp.Server.Listen = old.Server.Listen }},
		{"server.auth.token", old.Server.Auth.Token.Value(), cp.Server.Auth.Token.Value(), masked,
			func() { cp.Server.Auth = old.Server.Auth }},
		{"state.backend", old.State.Backend, cp.State.Backend, nil, func() { cp.State.Backend = old.State.Backend }},
		{"state.postgres", postgresKey(old.State.Postgres), postgresKey(cp.State.Postgres), masked,
			func() { cp.State.Postgres = old.State.Postgres }},
	}
	for _, f := range fields {
		if f.running == f.file {
			continue
		}
		running, file := f.running, f.file
		if f.show != nil {
			running, file = f.show(running), f.show(file)
		}
		c.log.Warn("spec change needs a restart, keeping the running value until then",
			zap.String("field", f.path), zap.String("running", running), zap.String("file", file))
		f.restore()
	}
	return &cp
}
