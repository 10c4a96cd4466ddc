package statuspage

import (
	"strconv"

	g "maragu.dev/gomponents"
	h "maragu.dev/gomponents/html"
)

func chartsSection(u *unitModel) g.Node {
	return h.Section(h.ID("charts"),
		h.H2(g.Text("Redis, last hour")),
		h.Div(h.Class("charts"), chartNode(u.Latency), chartNode(u.Memory)),
		g.Iff(u.Probe != nil, func() g.Node { return probeNodes(u.Probe) }),
	)
}

// chartNode is an inline SVG line chart, its labels HTML around it.
func chartNode(c chartModel) g.Node {
	if c.Empty {
		return h.Figure(h.ID(c.ID), h.Class("chart"), h.FigCaption(g.Text(c.Title)),
			h.P(h.Class("muted small nodata"), g.Text("No data yet: the chart fills as probe rounds run (the last hour is kept in memory).")))
	}
	w, ht, points := strconv.Itoa(c.W), strconv.Itoa(c.H), strconv.Itoa(c.Points)
	return h.Figure(h.ID(c.ID), h.Class("chart"),
		h.FigCaption(g.Text(c.Title), sp, muted("muted small", "latest "+c.Latest)),
		h.Div(h.Class("plot"),
			h.Div(h.Class("ylab"), h.Aria("hidden", "true"), h.Span(g.Text(c.YTop)), h.Span(g.Text(c.YMid)), h.Span(g.Text("0"))),
			h.SVG(g.Attr("viewBox", "0 0 "+w+" "+ht), g.Attr("preserveAspectRatio", "none"), h.Role("img"),
				h.Aria("label", c.Title+" over the last hour, "+points+" points, up to "+c.YTop), h.Data("points", points),
				g.El("line", g.Attr("x1", "0"), g.Attr("y1", ht), g.Attr("x2", w), g.Attr("y2", ht), g.Attr("stroke", "#d0d7de"), nonScaling),
				g.El("line", g.Attr("x1", "0"), g.Attr("y1", "75"), g.Attr("x2", w), g.Attr("y2", "75"), g.Attr("stroke", "#eaeef2"),
					g.Attr("stroke-dasharray", "4 4"), nonScaling),
				g.Map(c.Bad, func(x string) g.Node {
					return g.El("rect", h.Class("unhealthy"), g.Attr("x", x), g.Attr("y", "140"), g.Attr("width", "2"), g.Attr("height", "10"),
						g.Attr("fill", "#cf222e"))
				}),
				g.Map(c.Lines, func(pts string) g.Node {
					return g.El("polyline", g.Attr("points", pts), g.Attr("fill", "none"), g.Attr("stroke", "#0969da"), g.Attr("stroke-width", "2"),
						g.Attr("stroke-linejoin", "round"), nonScaling)
				}),
				g.Map(c.Dots, func(d dot) g.Node {
					return g.El("circle", g.Attr("cx", d.X), g.Attr("cy", d.Y), g.Attr("r", "3"), g.Attr("fill", "#0969da"))
				}),
			),
		),
		h.Div(h.Class("xlab"), h.Aria("hidden", "true"), h.Span(g.Text(c.XStart)), h.Span(g.Text(c.XMid)), h.Span(g.Text(c.XEnd))),
	)
}

// nonScaling keeps a stroke's width when the SVG is stretched.
var nonScaling = g.Attr("vector-effect", "non-scaling-stroke")

// probeNodes are the last round's verdict and checks.
func probeNodes(p *probeModel) g.Node {
	return g.Group{
		h.P(h.Class("small"), g.Text("Last round "), stampNode(p.At), g.Text(": "), badge(p.Class, p.Verdict),
			g.If(p.Reason != "", g.Group{sp, h.Span(h.Class("msg"), g.Text(p.Reason))})),
		h.Ul(h.Class("list small"), g.Map(p.Checks, checkNode)),
	}
}

func checkNode(c checkModel) g.Node {
	verdict := "failed"
	if c.OK {
		verdict = "ok"
	}
	return h.Li(badge(c.Class, verdict), sp, code(c.Name),
		g.If(c.Latency != "", g.Text(" "+c.Latency)),
		g.If(c.Message != "", g.Group{sp, muted("msg muted", c.Message)}))
}

func eventsSection(u *unitModel) g.Node {
	var list g.Node = h.P(h.Class("muted"), g.Text("No events yet."))
	if len(u.Events) > 0 {
		list = g.Group{
			h.Ul(h.Class("list"), g.Map(u.Events, eventNode)),
			g.If(len(u.OlderEvents) > 0, h.Details(
				h.Summary(h.Class("small"), g.Text(strconv.Itoa(len(u.OlderEvents))+" earlier events")),
				h.Ul(h.Class("list"), g.Map(u.OlderEvents, eventNode)),
			)),
		}
	}
	return h.Section(h.ID("events"),
		h.H2(g.Text("Recent events")),
		g.If(len(u.Deploys) > 0, g.Group{
			h.P(h.Class("small"), g.Text("Deploys in progress:")),
			h.Ul(h.Class("list"), h.ID("deploys"), g.Map(u.Deploys, deployNode)),
		}),
		list,
	)
}

func deployNode(d deployModel) g.Node {
	return h.Li(code(d.Service), sp,
		g.If(d.DeploymentID != "", h.Code(h.Class("deploy"), g.Text(d.DeploymentID))),
		g.Text(" "+d.Status+" "), muted("muted msg", d.Reason))
}

func eventNode(e eventModel) g.Node {
	return h.Li(h.Class("event"), h.Data("type", e.Type), badge(e.Class, e.Type), sp, h.Span(h.Class("small"), stampNode(e.At)),
		h.Div(h.Class("msg"), g.Text(e.Message)),
		g.If(e.Deployment != "", h.Div(h.Class("small"), g.Text("deployment "), h.Code(h.Class("deploy"), g.Text(e.Deployment)))),
	)
}

func driftSection(u *unitModel) g.Node {
	var list g.Node = h.P(g.Text("No drift: Railway matches the spec."))
	if len(u.Drift) > 0 {
		list = h.Ul(h.Class("list"), g.Map(u.Drift, driftNode))
	}
	return h.Section(h.ID("drift"),
		h.H2(g.Text("Drift")),
		list,
		g.If(len(u.Blocked) > 0, g.Group{
			h.P(h.Class("small"), g.Text("Blocked:")),
			h.Ul(h.Class("list small"), g.Map(u.Blocked, func(b string) g.Node { return h.Li(h.Class("msg"), g.Text(b)) })),
		}),
		h.P(h.Class("muted small"), g.Text("Secret values are masked ("), code("***"), g.Text(").")),
	)
}

func driftNode(d driftModel) g.Node {
	return h.Li(badge("warn", d.Kind), sp, g.If(d.Service != "", code(d.Service)), sp, g.If(d.Name != "", code(d.Name)),
		h.Div(h.Class("small"), g.Text("desired "), code(d.Desired), g.Text(" · actual "), code(d.Actual)),
		g.If(d.Message != "", h.Div(h.Class("msg small muted"), g.Text(d.Message))),
	)
}

func reportSection(u *unitModel) g.Node {
	r, rw := u.Report, u.Railway
	var summary g.Node
	switch {
	case r.Summary != "":
		summary = h.P(h.Class("msg"), h.ID("report-summary"), g.Text(r.Summary))
	case !r.At.Zero:
		summary = h.P(h.Class("muted small"), g.Text("The summary is not kept across restarts."))
	}
	statusClass := "warn"
	if r.Status == "OK" {
		statusClass = "ok"
	}
	return h.Section(h.ID("report"),
		h.H2(g.Text("Last report")),
		h.P(stampNode(r.At), g.If(r.Status != "", g.Group{sp, badge(statusClass, r.Status)})),
		summary,
		h.P(h.Class("small muted"), g.Text("Railway: last read "), stampNode(rw.LastObservation),
			g.If(rw.Error != "", g.Group{g.Text(", failed: "), h.Span(h.Class("msg"), g.Text(rw.Error))}),
			g.Text("; "+strconv.FormatInt(rw.Requests, 10)+" requests; rate limit remaining "+rw.RateLimit+".")),
	)
}
