// Package statuspage serves the operator's status page at `/`: server-rendered
// HTML (built by plain Go calls with gomponents, no template engine; inline
// CSS, inline SVG charts, a few lines of plain JavaScript for auto-refresh)
// showing a unit's phase, conditions, rollback state, a 24 h phase timeline,
// the last hour of PING latency and used memory, recent events with their
// Railway deployment ids, the drift and the last report. With several units
// (the fleet) `/` lists them and each has its own page under /units/NAME.
// `Accept: application/json` gets the status document instead.
//
// The page reads memory only: a Source (the controller) hands it the status
// document and a History, the in-memory ring buffer of recent rounds and
// phase changes that the controller feeds from the reconciler's hooks. It
// makes no Railway request and never writes the state file.
//
// Auth protects `/`, `/status` and `/metrics` with the spec's
// server.auth.token: a bearer token or a session cookie set by the login
// form.
//
// Every free-text field is passed through spec.RedactURLsIn before it is
// shown, so that a URL's userinfo never reaches the page even if a message
// upstream forgot to mask it.
package statuspage
