package spec

import (
	"net/url"
	"path"
	"regexp"
	"strconv"
	"time"
)

// environmentFields are the three ways to name the environments, in the
// order they are reported when more than one is set.
var environmentFields = []string{"railway.environment", "railway.environments", "railway.environmentPattern"}

// validateEnvironments checks that exactly one of railway.environment,
// railway.environments and railway.environmentPattern is set, and each one's
// own rules. A field whose value did not decode counts as set, so that an
// unset ${NAME} is one error.
func (d *decoder) validateEnvironments(r *Railway) {
	set := map[string]bool{
		"railway.environment":        r.Environment != "" || d.failed["railway.environment"],
		"railway.environments":       len(r.Environments) > 0 || d.failed["railway.environments"],
		"railway.environmentPattern": r.EnvironmentPattern != "" || d.failed["railway.environmentPattern"],
	}
	var chosen []string
	for _, f := range environmentFields {
		if set[f] {
			chosen = append(chosen, f)
		}
	}
	switch len(chosen) {
	case 0:
		d.errorAt("railway.environment", "required")
		return
	case 1:
	default:
		for _, f := range chosen[1:] {
			d.errorAt(f, "set only one of railway.environment, railway.environments and railway.environmentPattern (%s is set too)", chosen[0])
		}
		return
	}
	first := map[string]int{}
	for i, env := range r.Environments {
		p := index("railway.environments", i)
		if !d.required(p, env) {
			continue
		}
		if j, dup := first[env]; dup {
			d.errorAt(p, "duplicate environment %q (also railway.environments[%d])", env, j)
			continue
		}
		first[env] = i
	}
	if r.EnvironmentPattern != "" {
		if _, err := path.Match(r.EnvironmentPattern, ""); err != nil {
			d.errorAt("railway.environmentPattern", "invalid pattern %q: use * (any run of characters), ? (one character), [a-z] or [^a-z] (a class), \\ to escape", r.EnvironmentPattern)
		}
	}
}

// validateState checks state.backend and the settings of the backend chosen.
func (d *decoder) validateState(st *State) {
	if d.failed["state.backend"] {
		return // which backend's rules apply is unknown
	}
	switch st.Backend {
	case StateBackendFile:
		d.required("state.path", st.Path)
		if !st.Postgres.URL.IsZero() {
			d.errorAt("state.postgres.url", "set, but state.backend is %s: set state.backend: postgres to use it, or remove it", StateBackendFile)
		}
		return
	case StateBackendPostgres:
		d.validatePostgres(&st.Postgres)
	default:
		d.errorAt("state.backend", "must be %s or %s, got %q", StateBackendFile, StateBackendPostgres, st.Backend)
	}
}

func (d *decoder) validatePostgres(pg *Postgres) {
	const p = "state.postgres"
	switch raw := pg.URL.Value(); {
	case raw == "":
		d.errorAt(p+".url", "required with state.backend: %s: the database's URL, e.g. ${DATABASE_URL} set to ${{Postgres.DATABASE_URL}}", StateBackendPostgres)
	case postgresURLProblem(raw) != "":
		d.errorAt(p+".url", "%s (the value is secret and not shown)", postgresURLProblem(raw))
	}
	d.positive(p+".retryPeriod", pg.RetryPeriod)
	d.greater(p+".renewDeadline", pg.RenewDeadline, p+".retryPeriod", pg.RetryPeriod)
	d.greater(p+".leaseDuration", pg.LeaseDuration, p+".renewDeadline", pg.RenewDeadline)
}

// greater reports a duration that must exceed another (the lease timings),
// placed at the field when written, else at the other one.
func (d *decoder) greater(field string, v time.Duration, other string, o time.Duration) {
	if v > o || d.failed[other] {
		return
	}
	at := d.locate(field)
	if _, written := d.pos[field]; !written {
		at = d.locate(other)
	}
	d.errorAtPos(at, field, "must be longer than %s (%s), got %s", other, FormatDuration(o), FormatDuration(v))
}

// postgresURLProblem returns "" for a usable PostgreSQL URL, else a reason
// that never quotes the URL. A host may be left out only for a Unix socket
// given as ?host=/dir.
func postgresURLProblem(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "must be a postgres:// or postgresql:// URL"
	}
	if u.Hostname() == "" && u.Query().Get("host") == "" {
		return "the URL has an empty host; Railway renders a database's public URL this way when the Postgres service has no TCP proxy: " +
			"enable a TCP proxy on it and use DATABASE_PUBLIC_URL, or use DATABASE_URL from inside the project"
	}
	if port := u.Port(); port != "" || u.Host != "" && u.Host[len(u.Host)-1] == ':' {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "the URL's port must be a number from 1 to 65535"
		}
	}
	return ""
}

// bearerToken is RFC 6750's b64token: what an Authorization: Bearer header
// can carry as is.
var bearerToken = regexp.MustCompile(`^[A-Za-z0-9._~+/-]+=*$`)

// validateToken checks server.auth.token after interpolation ("" disables
// authentication).
func (d *decoder) validateToken(token string) {
	if token != "" && !bearerToken.MatchString(token) {
		d.errorAt("server.auth.token", "must be a bearer token: letters, digits and -._~+/, then optional = padding (the value is secret and not shown)")
	}
}
