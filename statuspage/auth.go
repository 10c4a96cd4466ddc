package statuspage

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/smartlic/reconciler/spec"
)

// Auth defaults.
const (
	// CookieName is the session cookie set by the login form.
	CookieName = "reconciler_session"
	// DefaultSessionTTL is how long a login lasts.
	DefaultSessionTTL = 12 * time.Hour
)

// AuthOptions configure an Auth.
type AuthOptions struct {
	// Token is server.auth.token; empty leaves every endpoint open.
	Token spec.Secret
	// Now is the clock; default time.Now.
	Now func() time.Time
	// SessionTTL is how long a login lasts; default DefaultSessionTTL.
	SessionTTL time.Duration
	Logger     *zap.Logger
}

// Auth requires the token on the endpoints it protects: as
// `Authorization: Bearer TOKEN`, or through the session cookie the login
// form sets. The cookie holds an expiry and an HMAC keyed by the token,
// never the token itself, so rotating the token ends every session.
// Comparisons are constant-time. A nil *Auth, or one without a token,
// protects nothing.
type Auth struct {
	token []byte
	sum   [sha256.Size]byte
	now   func() time.Time
	ttl   time.Duration
	log   *zap.Logger
	// logins throttles POST /login against guessing.
	logins *rate.Limiter
}

// NewAuth returns an Auth for o.Token.
func NewAuth(o AuthOptions) *Auth {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	a := &Auth{now: o.Now, ttl: o.SessionTTL, log: o.Logger.Named("auth"), logins: rate.NewLimiter(rate.Every(time.Second), 10)}
	if !o.Token.IsZero() {
		a.token = []byte(o.Token.Value())
		a.sum = sha256.Sum256(a.token)
	}
	return a
}

// Enabled reports whether a token is required.
func (a *Auth) Enabled() bool { return a != nil && len(a.token) > 0 }

// Protect wraps h: without valid credentials, a browser's GET gets the
// login form and anything else a bare 401, both without detail.
func (a *Auth) Protect(h http.Handler) http.Handler {
	if !a.Enabled() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.allowed(r) {
			h.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet && wantsHTML(r) {
			renderLogin(w, http.StatusUnauthorized, r.URL.RequestURI(), "", a.log)
			return
		}
		unauthorized(w)
	})
}

// allowed checks the credentials: the Authorization header when there is
// one (a wrong one is not rescued by a cookie), else the session cookie.
func (a *Auth) allowed(r *http.Request) bool {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		return ok && strings.EqualFold(scheme, "Bearer") && a.matches(strings.TrimSpace(tok))
	}
	return a.viaCookie(r)
}

// matches compares a candidate with the token in constant time (hashes of
// equal length, so the token's length does not leak either).
func (a *Auth) matches(candidate string) bool {
	sum := sha256.Sum256([]byte(candidate))
	return subtle.ConstantTimeCompare(sum[:], a.sum[:]) == 1
}

// viaCookie reports whether r carries a valid, unexpired session cookie.
func (a *Auth) viaCookie(r *http.Request) bool {
	if !a.Enabled() {
		return false
	}
	c, err := r.Cookie(CookieName)
	if err != nil {
		return false
	}
	exp, mac, ok := strings.Cut(c.Value, ".")
	if !ok {
		return false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return false
	}
	now := a.now()
	if until := time.Unix(unix, 0).Sub(now); until <= 0 || until > a.ttl {
		return false
	}
	want := a.mac(exp)
	got, err := base64.RawURLEncoding.DecodeString(mac)
	return err == nil && hmac.Equal(got, want)
}

// mac is the session MAC of an expiry, keyed by the token.
func (a *Auth) mac(expiry string) []byte {
	m := hmac.New(sha256.New, a.token)
	m.Write([]byte("reconciler status session v1|" + expiry))
	return m.Sum(nil)
}

// setSession sets the session cookie on w.
func (a *Auth) setSession(w http.ResponseWriter, r *http.Request) {
	exp := strconv.FormatInt(a.now().Add(a.ttl).Unix(), 10)
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: exp + "." + base64.RawURLEncoding.EncodeToString(a.mac(exp)),
		Path: "/", MaxAge: int(a.ttl / time.Second), HttpOnly: true, Secure: overTLS(r), SameSite: http.SameSiteStrictMode})
}

// clearSession removes the session cookie.
func clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: overTLS(r), SameSite: http.SameSiteStrictMode})
}

// overTLS reports whether the browser reached us over HTTPS: directly, or
// through a proxy that says so (Railway's edge sets X-Forwarded-Proto).
func overTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// unauthorized is the 401 of API clients: no detail.
func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="reconciler"`)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte("unauthorized\n")) // the client may be gone; nothing to do
}
