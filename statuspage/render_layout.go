package statuspage

import (
	"strconv"

	g "maragu.dev/gomponents"
	h "maragu.dev/gomponents/html"
)

// The page is built as a tree of gomponents nodes: plain Go calls, no
// template executor (text/template's reflective method lookups would make
// the linker keep every exported method of every type in the binary; see
// docs/performance.md, "Binary size").
//
// Escaping: g.Text and every attribute value (g.Attr and the html
// helpers) go through template.HTMLEscapeString, which escapes & < > " '
// and replaces NUL, as html/template does for text and quoted attribute
// values (html/template also writes + as &#43;, which a browser reads the
// same). Every attribute is written double-quoted. Only our own constant
// markup, style sheet and script, and integers, are written with g.Raw.

// document is a whole page: the head with the style sheet, the top bar,
// the content (a <main id="main">, which the auto-refresh swaps) and the
// auto-refresh script, which carries the CSP nonce.
func document(m pageModel, content g.Node) g.Node {
	return h.Doctype(h.HTML(h.Lang("en"),
		h.Head(
			h.Meta(h.Charset("utf-8")),
			h.Meta(h.Name("viewport"), h.Content("width=device-width, initial-scale=1")),
			h.Meta(h.Name("robots"), h.Content("noindex")),
			h.TitleEl(g.Text(m.Title)),
			h.StyleEl(g.Raw(styleSheet)),
		),
		h.Body(topBar(m), content, g.If(m.Refresh != 0, refreshScript(m))),
	))
}

// topBar is the header: the home link and the unit's name, the
// auto-refresh box and the sign-out button.
func topBar(m pageModel) g.Node {
	return h.Header(h.Class("top"),
		h.Span(h.Class("brand"), h.A(h.Href("/"), g.Text("reconciler")), g.If(m.Heading != "", g.Text(" · "+m.Heading))),
		g.If(m.Refresh != 0, h.Label(h.Input(h.Type("checkbox"), h.ID("auto"), h.Checked()),
			g.Text(" auto-refresh "+strconv.Itoa(m.Refresh)+"s"))),
		g.If(m.SignedIn, h.Form(h.Method("post"), h.Action("/logout"), h.Button(h.Type("submit"), g.Text("sign out")))),
	)
}

// refreshScript is the inline script, with the CSP nonce.
func refreshScript(m pageModel) g.Node {
	return h.Script(g.Attr("nonce", m.Nonce), g.Raw(refreshScriptHead+strconv.Itoa(m.Refresh)+refreshScriptTail))
}

// rendered is the page's footnote: when it was rendered, and more.
func rendered(m pageModel, more ...g.Node) g.Node {
	return h.P(h.Class("muted small"), g.Text("Rendered "+m.Now.Abs+"."), g.Group(more))
}

// sp is the space between two inline elements.
var sp = g.Text(" ")

// badge is a coloured pill.
func badge(class, label string) g.Node { return h.Span(h.Class("badge "+class), g.Text(label)) }

// code is an inline <code>.
func code(s string) g.Node { return h.Code(g.Text(s)) }

// muted is a grey inline span of classes "muted" and more.
func muted(classes, s string) g.Node { return h.Span(h.Class(classes), g.Text(s)) }

// stampNode is a time: "2026-11-25 09:58:00 UTC (2m ago)", or "never".
func stampNode(s stamp) g.Node {
	if s.Zero {
		return muted("muted", "never")
	}
	return g.Group{h.Time(h.DateTime(s.ISO), h.Title(s.Abs), g.Text(s.Abs)), sp, muted("muted", "("+s.Rel+")")}
}
