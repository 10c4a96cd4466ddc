package statuspage

import (
	"strconv"

	g "maragu.dev/gomponents"
	h "maragu.dev/gomponents/html"
)

// unitContent is a unit's page: its phase, conditions, rollback state,
// timeline, charts, events, drift and last report.
func unitContent(m pageModel) g.Node {
	u := m.Unit
	return h.Main(h.ID("main"),
		g.If(m.Fleet, h.P(h.Class("small"), h.A(h.Href("/"), g.Text("← all units")))),
		phaseSection(u), conditionsSection(u.Conditions), rollbackSection(u.Rollback), timelineSection(u.Timeline),
		chartsSection(u), eventsSection(u), driftSection(u), reportSection(u),
		rendered(m, g.Text(" JSON: "), code("curl -H 'Accept: application/json'"), g.Text(" this page, or "), code("/status"), g.Text(".")),
	)
}

func phaseSection(u *unitModel) g.Node {
	return h.Section(h.ID("phase"), h.Class("phase "+u.PhaseClass),
		h.H1(g.Text(u.Name)),
		h.Div(h.Class("name"), h.Data("phase", u.Phase), g.Text(u.Phase)),
		h.P(g.Text("since "), stampNode(u.Since)),
		g.If(u.Reason != "", h.P(h.Class("msg"), h.ID("reason"), g.Text(u.Reason))),
		g.If(!u.SpecValid, h.Div(h.Class("held"),
			h.Strong(g.Text("The spec file was rejected; the last valid spec keeps running.")),
			h.Ul(g.Map(u.SpecErrors, func(e string) g.Node { return h.Li(code(e)) })),
		)),
	)
}

func conditionsSection(cs []condModel) g.Node {
	return h.Section(h.ID("conditions"),
		h.H2(g.Text("Conditions")),
		h.Div(h.Class("grid"), g.Map(cs, conditionNode)),
	)
}

func conditionNode(c condModel) g.Node {
	return h.Div(h.Class("cond "+c.Class), h.Data("type", c.Type), h.Data("status", c.Status),
		h.Div(h.Span(h.Class("t"), g.Text(c.Type)), sp, badge(c.Class, c.Status),
			g.If(c.Reason != "", g.Group{sp, muted("muted small", c.Reason)})),
		g.If(c.Message != "", h.Div(h.Class("msg small"), g.Text(c.Message))),
		g.If(!c.Since.Zero, h.Div(h.Class("muted small"), g.Text("since "+c.Since.Rel))),
	)
}

func rollbackSection(r rollbackModel) g.Node {
	rolledBack := r.Mode == "RolledBack"
	return h.Section(h.ID("rollback"),
		h.H2(g.Text("Rollback")),
		g.If(r.Held, h.Div(h.Class("held"), h.ID("held"), h.Strong(g.Text("Held.")), sp,
			g.If(r.Reason != "", h.Span(h.Class("msg"), g.Text(r.Reason))),
			h.P(g.Text("Only a person leaves Held: when Redis is right, run "), code(r.Clear),
				g.Text(" (it restores the declared variables and redeploys).")),
		)),
		h.Dl(h.Class("kv"),
			h.Dt(g.Text("mode")), h.Dd(badge(modeClass(r.Mode), r.Mode),
				g.If(!r.Enabled, g.Group{sp, muted("muted", "automatic rollback is off (rollback.enabled: false)")})),
			h.Dt(g.Text("rollbacks in "+r.Window)), h.Dd(h.ID("rollbacks-in-window"),
				g.Text(strconv.Itoa(r.InWindow)+" of "+strconv.Itoa(r.Max)),
				g.If(r.GuardNext, g.Group{sp, badge("bad", "the next one holds")})),
			h.Dt(g.Text("roll forward")), h.Dd(h.ID("roll-forward"), g.Text(r.Forward)),
			g.If(rolledBack || r.Held, g.Group{h.Dt(g.Text("rolled back")), h.Dd(stampNode(r.RolledBackAt))}),
			g.If(rolledBack, g.Group{
				h.Dt(g.Text("healthy rounds")), h.Dd(g.Text(strconv.Itoa(r.Healthy) + " of " + strconv.Itoa(r.Need) + " in a row")),
				h.Dt(g.Text("least time rolled back")), h.Dd(g.Text(r.MinRolledBack+", until "), stampNode(r.Earliest)),
				g.If(r.Reason != "", g.Group{h.Dt(g.Text("why")), h.Dd(h.Class("msg"), g.Text(r.Reason))}),
			}),
			h.Dt(g.Text("last roll forward")), h.Dd(stampNode(r.RolledFwdAt)),
		),
	)
}

// modeClass colours the rollback mode's badge.
func modeClass(mode string) string {
	switch mode {
	case "Bound":
		return "ok"
	case "Unbound":
		return "none"
	}
	return "bad"
}

func timelineSection(t timelineModel) g.Node {
	return h.Section(h.ID("timeline"),
		h.H2(g.Text("Phases, last "+t.Span)),
		h.Div(h.Class("bar"), h.Role("img"), h.Aria("label", "phase timeline"), g.Map(t.Segments, segmentNode)),
		h.Div(h.Class("ends"), h.Span(g.Text(t.Start)), h.Span(g.Text(t.End))),
		h.Ul(h.Class("list small changes"), g.Map(t.Changes, changeNode)),
		g.If(len(t.Older) > 0, h.Details(
			h.Summary(h.Class("small"), g.Text(strconv.Itoa(len(t.Older))+" earlier changes")),
			h.Ul(h.Class("list small changes"), g.Map(t.Older, changeNode)),
			g.If(t.More != 0, h.P(h.Class("muted small"), g.Text("and "+strconv.Itoa(t.More)+" more in the last 24 h"))),
		)),
	)
}

// segmentNode is a stretch of the bar; its width (pct: digits, '.' and
// '%') is ours, never data.
func segmentNode(s segment) g.Node {
	return h.Span(h.Class(s.Class), h.Style("width:"+s.Width), h.Title(s.Title), h.Data("phase", s.Phase))
}

func changeNode(c changeModel) g.Node {
	return h.Li(badge(c.Class, c.Phase), sp, stampNode(c.At),
		g.If(c.Reason != "", h.Div(h.Class("msg muted"), g.Text(c.Reason))))
}
