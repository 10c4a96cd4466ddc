package statuspage

import (
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"
)

// maxLoginBody bounds the login form's body.
const maxLoginBody = 4 << 10

// serveLoginForm is GET /login: the form, or a redirect when there is
// nothing to sign in to.
func (p *Page) serveLoginForm(w http.ResponseWriter, r *http.Request) {
	a := p.opts.Auth
	next := safeNext(r.URL.Query().Get("next"))
	if !a.Enabled() || a.viaCookie(r) {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	renderLogin(w, http.StatusOK, next, "", p.log)
}

// serveLogin is POST /login: a right token sets the session cookie and
// goes back to the page asked for; a wrong one gets the form again, 401.
func (p *Page) serveLogin(w http.ResponseWriter, r *http.Request) {
	a := p.opts.Auth
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	if !a.Enabled() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if !a.logins.Allow() {
		w.Header().Set("Retry-After", "1")
		renderLogin(w, http.StatusTooManyRequests, next, "Too many attempts; wait a moment.", p.log)
		return
	}
	if !a.matches(r.PostForm.Get("token")) {
		a.log.Info("status page sign-in refused: wrong token", zap.String("remote", r.RemoteAddr))
		renderLogin(w, http.StatusUnauthorized, next, "Wrong token.", p.log)
		return
	}
	a.setSession(w, r)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// serveLogout is POST /logout: the cookie is cleared.
func (p *Page) serveLogout(w http.ResponseWriter, r *http.Request) {
	clearSession(w, r)
	target := "/"
	if p.opts.Auth.Enabled() {
		target = "/login"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext keeps a post-login redirect on this site: a path, never a
// scheme, a host or a protocol-relative "//host".
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(u.Path, "/login") {
		return "/"
	}
	return next
}

// renderLogin writes the login form with status code.
func renderLogin(w http.ResponseWriter, code int, next, msg string, log *zap.Logger) {
	m := pageModel{Title: "reconciler · sign in", Next: safeNext(next), LoginError: msg}
	render(w, code, m, loginContent(m), log)
}
