package controller

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/spec"
)

// watch watches the spec's directory, so that an editor replacing the file
// (write a temporary, rename it over) and a symlink swap are both seen. A
// failure is logged: SIGHUP still reloads.
func (c *Controller) watch() *fsnotify.Watcher {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		c.log.Warn("spec file not watched; send SIGHUP to reload", zap.Error(err))
		return nil
	}
	if err := w.Add(filepath.Dir(c.opts.SpecPath)); err != nil {
		_ = w.Close() // unusable anyway
		c.log.Warn("spec file not watched; send SIGHUP to reload", zap.Error(err))
		return nil
	}
	return w
}

// relevantEvent returns the filter of file events: those naming the spec
// file, or, when the spec is a symlink (a Kubernetes-style ConfigMap mount
// swaps a "..data" link), any event in its directory. Pure chmods are not
// edits.
func (c *Controller) relevantEvent() func(fsnotify.Event) bool {
	target := filepath.Clean(c.opts.SpecPath)
	fi, err := os.Lstat(target)
	link := err == nil && fi.Mode()&os.ModeSymlink != 0
	return func(ev fsnotify.Event) bool {
		if ev.Op == fsnotify.Chmod {
			return false
		}
		return link || filepath.Clean(ev.Name) == target
	}
}

// reload reads the spec again. A valid edit is applied from the next tick
// (and reschedules a changed schedule); an invalid one is logged line by
// line and leaves the last valid spec running.
func (c *Controller) reload(trigger string) {
	sp, err := c.opts.Load(c.opts.SpecPath)
	if err != nil {
		c.reject(err)
		return
	}
	c.mu.Lock()
	old, wasInvalid := c.sp, c.specErrs != nil
	c.mu.Unlock()
	if sp.Hash == old.Hash && !wasInvalid {
		c.log.Debug("spec unchanged", zap.String("trigger", trigger))
		if t := c.currentTerm(); t != nil && trigger == "signal" {
			t.backoff.reset() // SIGHUP: a person asks for an attempt now
		}
		return
	}
	sp = c.keepRestartFields(old, sp)
	c.mu.Lock()
	c.sp, c.specErrs = sp, nil
	a, t := c.app, c.term
	c.mu.Unlock()
	if a != nil {
		a.SetSpec(sp) // the reconciler of this term and of the next ones
	}
	c.m.setSpecValid(true)
	c.m.initChecks(sp)
	if t != nil {
		c.reschedule(t, old, sp)
		t.backoff.reset() // the fix may be in this edit: try at once
	}
	c.warnSlowRounds(sp)
	c.reloadReporting(old, sp)
	c.log.Info("spec reloaded", zap.String("trigger", trigger), zap.String("hash", sp.Hash))
}

// reject records an invalid spec: every problem is logged with its
// position, and shown by /status, /readyz and reconciler_spec_valid.
func (c *Controller) reject(err error) {
	lines := problemLines(err)
	for _, l := range lines {
		c.log.Error("spec rejected, the last valid spec keeps running", zap.String("problem", l))
	}
	c.mu.Lock()
	c.specErrs = lines
	c.mu.Unlock()
	c.m.setSpecValid(false)
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
