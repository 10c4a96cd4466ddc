package controller

import (
	"net/http"

	"github.com/smartlic/reconciler/statuspage"
)

// The status page's seam: the controller registers the page's routes,
// puts /status and /metrics behind its Auth, and serves its Source from
// memory. The page's logic lives in package statuspage.

// newPage builds the status page over c, behind auth.
func (c *Controller) newPage(auth *statuspage.Auth) (*statuspage.Page, error) {
	return statuspage.New(statuspage.Options{Source: pageSource{c}, Status: http.HandlerFunc(c.handleStatus),
		Auth: auth, Now: c.opts.Now, Logger: c.log})
}

// pageSource is the controller as the page's statuspage.Source: one unit,
// the spec's name.
type pageSource struct{ c *Controller }

// Units returns the one unit this controller runs.
func (s pageSource) Units() []string { return []string{s.c.Spec().Name} }

// Unit returns the view of the unit name, read from memory.
func (s pageSource) Unit(name string) (statuspage.View, bool) {
	c := s.c
	sp := c.Spec()
	if name != sp.Name {
		return statuspage.View{}, false
	}
	st, _ := c.Status()
	v := statuspage.View{Status: st, Rollback: sp.Rollback, ProbeEvery: sp.Schedule.Probe.Every, History: c.history}
	if t := c.currentTerm(); t != nil {
		rs := t.rec.State()
		v.Health, v.LastReportAt = rs.Health, rs.Report.LastAt
	}
	return v, true
}
