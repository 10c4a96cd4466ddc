package spec

import (
	"regexp"
	"strings"
)

// urlShape splits scheme://[userinfo@]host[path][?query][#fragment]. The
// userinfo is greedy up to the last "@", so a password holding "@" or "/"
// stays inside it and is masked rather than mistaken for the host.
var urlShape = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://(?:(.*)@)?([^@/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$`)

var (
	safeHost = regexp.MustCompile(`^[A-Za-z0-9._:\[\]%-]+$`)
	safeUser = regexp.MustCompile(`^[A-Za-z0-9._~-]*$`)
	safePath = regexp.MustCompile(`^[A-Za-z0-9/._~%-]*$`)
)

// RedactURL returns raw with its secrets masked, for display: the password of
// the userinfo becomes *** (the user name stays: redis://default:***@host:port),
// a user name without a password is masked whole (it may be a token), and a
// query string or fragment becomes ?*** or #***. Scheme, host, port and a
// plain path stay. Anything that does not parse as scheme://host... is ***.
// Use it for URLs whose secret is the userinfo (Redis URLs); a URL that
// carries its secret in the path (a webhook) is a Secret, shown as *** whole.
func RedactURL(raw string) string {
	if s, ok := redactURL(raw, false); ok {
		return s
	}
	return Masked
}

// shownURL is raw as an error message may quote it: whole when it has no
// part that can hold a secret (userinfo, query, fragment), else through
// RedactURL, as Print shows it.
func shownURL(raw string) string {
	if !strings.ContainsAny(raw, "@?#") {
		return raw
	}
	return RedactURL(raw)
}

// MaskValue returns a consumer variable's value as it may be shown in a plan,
// a drift item, a report or validate --print (CONTRACT §9). The rule:
//
//   - "" is shown as "";
//   - a value made only of Railway references ("${{Redis.REDIS_URL}}",
//     "${{a.B}}${{c.D}}") is shown verbatim: a reference names a secret
//     without containing it;
//   - a redis:// or rediss:// URL is shown with its password masked
//     (redis://default:***@host:6379), query and fragment masked, a password
//     or user that is itself a pure reference kept;
//   - anything else is *** — a literal could be a credential, and the
//     operator cannot tell which literals are not.
func MaskValue(v string) string {
	switch {
	case v == "":
		return ""
	case isReferenceOnly(v):
		return v
	}
	lower := strings.ToLower(v)
	if strings.HasPrefix(lower, "redis://") || strings.HasPrefix(lower, "rediss://") {
		if s, ok := redactURL(v, true); ok {
			return s
		}
	}
	return Masked
}

// redactURL masks the secrets of a URL-shaped value; with keepRefs, parts
// that are pure Railway references stay. ok is false when raw is not
// URL-shaped or has a host that cannot be shown safely.
func redactURL(raw string, keepRefs bool) (string, bool) {
	m := urlShape.FindStringSubmatchIndex(raw)
	if m == nil {
		return "", false
	}
	group := func(i int) (string, bool) {
		if m[2*i] < 0 {
			return "", false
		}
		return raw[m[2*i]:m[2*i+1]], true
	}
	scheme, _ := group(1)
	host, _ := group(3)
	if !safeHost.MatchString(withoutRefs(host, keepRefs)) {
		return "", false
	}
	var b strings.Builder
	b.WriteString(scheme + "://")
	if userinfo, ok := group(2); ok {
		b.WriteString(redactUserinfo(userinfo, keepRefs) + "@")
	}
	b.WriteString(host)
	if path, _ := group(4); safePath.MatchString(path) {
		b.WriteString(path)
	} else {
		b.WriteString("/" + Masked)
	}
	if _, ok := group(5); ok {
		b.WriteString("?" + Masked)
	}
	if _, ok := group(6); ok {
		b.WriteString("#" + Masked)
	}
	return b.String(), true
}

func redactUserinfo(userinfo string, keepRefs bool) string {
	keep := func(s string) bool { return keepRefs && isReferenceOnly(s) }
	user, pass, hasPass := strings.Cut(userinfo, ":")
	if !hasPass {
		if keep(user) {
			return user
		}
		return Masked
	}
	if !safeUser.MatchString(user) && !keep(user) {
		user = Masked
	}
	if !keep(pass) {
		pass = Masked
	}
	return user + ":" + pass
}

// withoutRefs removes the ${{...}} references from s when keepRefs is set,
// replacing each with a host-safe placeholder.
func withoutRefs(s string, keepRefs bool) string {
	if !keepRefs || !strings.Contains(s, "${{") {
		return s
	}
	segs, err := segments(s)
	if err != nil {
		return s
	}
	var b strings.Builder
	for _, seg := range segs {
		if seg.kind == segReference {
			b.WriteString("ref")
			continue
		}
		b.WriteString(seg.text)
	}
	return b.String()
}

// urlInText matches a URL-shaped run of free text: scheme://, then anything
// up to whitespace or a quote.
var urlInText = regexp.MustCompile("[A-Za-z][A-Za-z0-9+.-]*://[^\\s\"'<>`]+")

// RedactURLsIn returns text with every URL in it that carries a secret (a
// userinfo, a query or a fragment) passed through RedactURL; trailing
// punctuation that is more likely prose than URL is kept as is. It is the
// final guard on free text that may quote a URL: an app's health answer,
// an event message, a report line.
func RedactURLsIn(text string) string {
	if !strings.Contains(text, "://") {
		return text
	}
	return urlInText.ReplaceAllStringFunc(text, func(tok string) string {
		core := strings.TrimRight(tok, ".,;:)]}>!")
		if !strings.ContainsAny(core, "@?#") {
			return tok
		}
		return RedactURL(core) + tok[len(core):]
	})
}
