package statuspage

import (
	g "maragu.dev/gomponents"
	h "maragu.dev/gomponents/html"
)

// listContent is the fleet's listing: a row per unit, linking its page.
func listContent(m pageModel) g.Node {
	var table g.Node = h.P(h.Class("muted"), g.Text("No units yet: the controller is starting."))
	if len(m.Units) > 0 {
		table = h.Table(h.Class("units"),
			h.THead(h.Tr(h.Th(g.Text("unit")), h.Th(g.Text("phase")), h.Th(g.Text("since")), h.Th(g.Text("ready")))),
			h.TBody(g.Map(m.Units, listRowNode)),
		)
	}
	return h.Main(h.ID("main"),
		h.Section(h.ID("units"), h.H1(g.Text("Units")), table),
		rendered(m),
	)
}

func listRowNode(r listRow) g.Node {
	since := g.Text("—")
	if !r.Since.Zero {
		since = h.Time(h.DateTime(r.Since.ISO), h.Title(r.Since.Abs), g.Text(r.Since.Rel))
	}
	return h.Tr(h.Class("unit"), h.Data("name", r.Name),
		h.Td(h.A(h.Href(r.Link), g.Text(r.Name))),
		h.Td(badge(r.Class, r.Phase)),
		h.Td(h.Class("small"), since),
		h.Td(badge(r.ReadyClass, r.Ready)),
	)
}

// loginContent is the sign-in form; next (a local path, see safeNext) is
// where a right token leads.
func loginContent(m pageModel) g.Node {
	return h.Main(h.ID("main"), h.Section(h.ID("login"),
		h.H1(g.Text("Sign in")),
		h.P(g.Text("This reconciler's status page is protected by a token ("), code("server.auth.token"), g.Text(" in the spec).")),
		h.Form(h.Class("login"), h.Method("post"), h.Action("/login"),
			h.Input(h.Type("hidden"), h.Name("next"), h.Value(m.Next)),
			h.Label(h.For("token"), g.Text("Token")),
			h.Input(h.ID("token"), h.Name("token"), h.Type("password"), h.AutoComplete("current-password"), h.AutoFocus(), h.Required()),
			g.If(m.LoginError != "", h.P(h.Class("error"), h.ID("login-error"), g.Text(m.LoginError))),
			h.Button(h.Type("submit"), h.ID("signin"), g.Text("Sign in")),
		),
	))
}
