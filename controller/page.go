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

// pageSource is the controller as the page's statuspage.Source: its units.
type pageSource struct{ c *Controller }

// Units returns the units this controller runs, sorted by name.
func (s pageSource) Units() []string {
	units := s.c.unitList()
	names := make([]string, 0, len(units))
	for _, u := range units {
		names = append(names, u.name)
	}
	return names
}

// Unit returns the view of the unit name, read from memory.
func (s pageSource) Unit(name string) (statuspage.View, bool) {
	u := s.c.unitNamed(name)
	if u == nil {
		return statuspage.View{}, false
	}
	sp := u.Spec()
	v := statuspage.View{Status: u.status(), Rollback: sp.Rollback, ProbeEvery: sp.Schedule.Probe.Every, History: u.history}
	if t := u.currentTerm(); t != nil {
		rs := t.rec.State()
		v.Health, v.LastReportAt = rs.Health, rs.Report.LastAt
	}
	return v, true
}
