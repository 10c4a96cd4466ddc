package statuspage

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/smartlic/reconciler/spec"
)

const token = "tok-status-7f3a9c2e5b1d4f6a8c0e2b4d"

// authServer mounts the page and, like the controller, /status and
// /metrics behind the Auth and /healthz, /readyz open. now may be moved.
func authServer(t *testing.T, tok string, now *atomic.Int64, mod ...func(*Auth)) *httptest.Server {
	t.Helper()
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	auth := NewAuth(AuthOptions{Token: spec.NewSecret(tok), Now: clock})
	for _, m := range mod {
		m(auth)
	}
	p, err := New(Options{Source: oneUnit(rolledBackView()), Auth: auth, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ok := func(body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) })
	}
	mux.Handle("GET /status", auth.Protect(ok(`{"phase":"RolledBack"}`)))
	mux.Handle("GET /metrics", auth.Protect(ok("reconciler_phase 1\n")))
	mux.Handle("GET /healthz", ok("ok\n"))
	mux.Handle("GET /readyz", ok("ok\n"))
	p.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func clockAt(t time.Time) *atomic.Int64 {
	var n atomic.Int64
	n.Store(t.Unix())
	return &n
}

// post submits the login form.
func post(t *testing.T, srv *httptest.Server, tok, next string, headers ...string) (*http.Response, string) {
	t.Helper()
	form := url.Values{"token": {tok}, "next": {next}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = copyBody(&b, resp)
	return resp, b.String()
}

func TestOpenWithoutAToken(t *testing.T) {
	srv := authServer(t, "", clockAt(t0))
	for _, path := range []string{"/", "/status", "/metrics", "/healthz", "/readyz", "/units/smartlic-production"} {
		if resp, _ := fetch(t, srv.URL+path); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s without a token configured = %d, want 200", path, resp.StatusCode)
		}
	}
	if resp, _ := fetch(t, srv.URL+"/login"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /login without a token configured = %d, want a redirect to the page", resp.StatusCode)
	}
}

func TestTokenProtectsThePageStatusAndMetrics(t *testing.T) {
	srv := authServer(t, token, clockAt(t0))
	for _, path := range []string{"/", "/status", "/metrics", "/units/smartlic-production"} {
		for _, auth := range []string{"", "Bearer wrong", "Bearer " + token + "x", "Basic " + token, token, "Bearer"} {
			resp, body := fetch(t, srv.URL+path, "Authorization", auth, "Accept", "application/json")
			if resp.StatusCode != http.StatusUnauthorized || body != "unauthorized\n" {
				t.Errorf("GET %s with Authorization %q = %d %q, want 401 without detail", path, auth, resp.StatusCode, body)
			}
			if resp.Header.Get("WWW-Authenticate") != `Bearer realm="reconciler"` {
				t.Errorf("GET %s: WWW-Authenticate = %q", path, resp.Header.Get("WWW-Authenticate"))
			}
		}
		for _, auth := range []string{"Bearer " + token, "bearer " + token} {
			if resp, _ := fetch(t, srv.URL+path, "Authorization", auth); resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s with %q = %d, want 200", path, strings.Fields(auth)[0], resp.StatusCode)
			}
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if resp, _ := fetch(t, srv.URL+path); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200: Railway's health check has no token", path, resp.StatusCode)
		}
	}
}

func TestLoginFormForABrowserWithoutCredentials(t *testing.T) {
	srv := authServer(t, token, clockAt(t0))
	resp, body := fetch(t, srv.URL+"/units/smartlic-production", "Accept", browserAccept)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("browser GET without credentials = %d, want 401", resp.StatusCode)
	}
	mustContain(t, body, `<form class="login" method="post" action="/login">`, `name="next" value="/units/smartlic-production"`)
	if strings.Contains(body, "RolledBack") || strings.Contains(body, "Wrong token") {
		t.Error("the login form shows the unit or an error before any attempt")
	}
}

func TestLoginSetsASessionCookie(t *testing.T) {
	now := clockAt(t0)
	srv := authServer(t, token, now)
	resp, _ := post(t, srv, token, "/units/smartlic-production")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/units/smartlic-production" {
		t.Fatalf("POST /login = %d to %q, want 303 to the page asked for", resp.StatusCode, resp.Header.Get("Location"))
	}
	c := sessionCookie(t, resp)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not Secure over plain HTTP", c)
	}
	if strings.Contains(c.Value, token) || strings.Contains(c.Value, url.QueryEscape(token)) {
		t.Error("the cookie holds the token")
	}
	cookie := CookieName + "=" + c.Value
	for _, path := range []string{"/", "/status", "/metrics"} {
		if resp, _ := fetch(t, srv.URL+path, "Cookie", cookie); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the session = %d, want 200", path, resp.StatusCode)
		}
	}
	if _, body := fetch(t, srv.URL+"/", "Cookie", cookie); !strings.Contains(body, `action="/logout"`) {
		t.Error("a signed-in page has no sign out")
	}
	// A wrong bearer header is not rescued by the cookie.
	if resp, _ := fetch(t, srv.URL+"/status", "Cookie", cookie, "Authorization", "Bearer nope"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong bearer with a good cookie = %d, want 401", resp.StatusCode)
	}
	// The session ends after its TTL.
	now.Add(int64(DefaultSessionTTL/time.Second) + 1)
	if resp, _ := fetch(t, srv.URL+"/status", "Cookie", cookie); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an expired session = %d, want 401", resp.StatusCode)
	}
}

func TestSessionCookieIsSecureBehindTLS(t *testing.T) {
	srv := authServer(t, token, clockAt(t0))
	resp, _ := post(t, srv, token, "/", "X-Forwarded-Proto", "https")
	if c := sessionCookie(t, resp); !c.Secure {
		t.Error("cookie not Secure although the request came over HTTPS (X-Forwarded-Proto)")
	}
}

func TestForgedOrStaleCookiesAreRefused(t *testing.T) {
	now := clockAt(t0)
	srv := authServer(t, token, now)
	good := sessionCookie(t, first(post(t, srv, token, "/"))).Value
	other := authServer(t, "another-token-0123456789", now)
	rotated := sessionCookie(t, first(post(t, other, "another-token-0123456789", "/"))).Value
	exp, mac, _ := strings.Cut(good, ".")
	far := time.Unix(now.Load(), 0).Add(365 * 24 * time.Hour).Unix()
	for name, v := range map[string]string{
		"another token's": rotated, "tampered": exp + "." + strings.ToUpper(mac), "extended": itoa64(far) + "." + mac,
		"garbage": "x", "empty mac": exp + ".", "the token itself": token,
	} {
		if resp, _ := fetch(t, srv.URL+"/status", "Cookie", CookieName+"="+v); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s cookie = %d, want 401", name, resp.StatusCode)
		}
	}
}

func TestWrongTokenAtLogin(t *testing.T) {
	srv := authServer(t, token, clockAt(t0))
	resp, body := post(t, srv, "wrong", "/")
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Errorf("POST /login with a wrong token = %d with cookies %v, want 401 and none", resp.StatusCode, resp.Cookies())
	}
	mustContain(t, body, `id="login-error">Wrong token.`)
	if strings.Contains(body, "wrong\"") {
		t.Error("the form echoes the token tried")
	}
}

func TestLoginIsThrottled(t *testing.T) {
	// A limiter that refills once an hour: the test does not depend on speed.
	srv := authServer(t, token, clockAt(t0), func(a *Auth) { a.logins = rate.NewLimiter(rate.Every(time.Hour), 10) })
	codes := map[int]int{}
	for range 12 {
		resp, _ := post(t, srv, "guess", "/")
		codes[resp.StatusCode]++
	}
	if codes[http.StatusUnauthorized] != 10 || codes[http.StatusTooManyRequests] != 2 {
		t.Errorf("12 guesses got %v, want 10 refused and 2 throttled", codes)
	}
}

func TestLogoutClearsTheCookie(t *testing.T) {
	srv := authServer(t, token, clockAt(t0))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/logout", nil)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := sessionCookie(t, resp); c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("logout cookie %+v, want it cleared", c)
	}
	if resp.Header.Get("Location") != "/login" {
		t.Errorf("logout goes to %q, want /login", resp.Header.Get("Location"))
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"": "/", "/": "/", "/units/a%2Fb": "/units/a%2Fb", "/status?x=1": "/status?x=1",
		"//evil.example": "/", "https://evil.example/": "/", "/\\evil.example": "/", "evil": "/", "/login": "/",
		"javascript:alert(1)": "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func sessionCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == CookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", CookieName, resp.Header.Values("Set-Cookie"))
	return nil
}

func first(resp *http.Response, _ string) *http.Response { return resp }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func copyBody(b *strings.Builder, resp *http.Response) (int64, error) { return io.Copy(b, resp.Body) }
