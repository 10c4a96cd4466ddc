package spec

import (
	"net/url"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// credentialVars names where the Railway credentials come from (CONTRACT §3).
const credentialVars = "RAILWAY_API_TOKEN or RAILWAY_TOKEN"

// credentialName matches a key or variable name that names a credential.
var credentialName = regexp.MustCompile(`(?i)(token|passw(or)?d|secret|api[_-]?key|credential|private[_-]?key)`)

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// minTokenLen is the shortest literal taken for a token.
const minTokenLen = 20

// looksLikeToken reports whether a literal written in the file looks like a
// credential: at least 20 characters with no spaces, and either a UUID (the
// shape of Railway's tokens) or a mix of at least 3 letters and 3 digits with
// a run of 16 or more characters not broken by "-" or "_" (an opaque random
// string rather than a hyphenated name such as "pr-1234-feature-branch").
func looksLikeToken(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < minTokenLen {
		return false
	}
	if uuidPattern.MatchString(s) {
		return true
	}
	var digits, letters, run, longest int
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
			run++
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			letters++
			run++
		case r == '-' || r == '_':
			run = 0
		case strings.ContainsRune(".~+/=", r):
			run++
		default:
			return false
		}
		longest = max(longest, run)
	}
	return digits >= 3 && letters >= 3 && longest >= 16
}

// checkRailwayLiteral rejects a token-looking literal in a railway field:
// the IDs there are interpolated, and tokens never belong in the file. The
// message never repeats the value.
func (d *decoder) checkRailwayLiteral(n *yaml.Node, path string) {
	if n = derefQuiet(n); n == nil || n.Kind != yaml.ScalarNode {
		return
	}
	for _, lit := range literalText(n.Value) {
		if looksLikeToken(lit) {
			d.errorf(n, path, "looks like a token (a %d-character literal): write IDs as interpolations such as ${RAILWAY_PROJECT_ID}; credentials come only from %s",
				len(strings.TrimSpace(lit)), credentialVars)
			return
		}
	}
}

// checkCredentialVariable rejects a variable whose name says it is a
// credential and whose value is written literally in the file.
func (d *decoder) checkCredentialVariable(k, v *yaml.Node, path string) {
	if v = derefQuiet(v); v == nil || v.Kind != yaml.ScalarNode || isNull(v) || v.Value == "" {
		return
	}
	if !credentialName.MatchString(k.Value) {
		return
	}
	segs, err := segments(v.Value)
	if err != nil {
		return // reported by interpolation
	}
	for _, seg := range segs {
		if seg.kind != segLiteral {
			return
		}
	}
	d.errorf(v, path, "%s looks like a credential written in the file: take its value from a Railway reference ${{...}} or an interpolation ${NAME}", k.Value)
}

// checkSecretFromEnv requires a secret field (a token) to come only from
// the environment: the raw value is made of ${NAME} interpolations, with no
// literal text, no ${NAME:-default} default and no Railway reference (which
// the reconciler's own spec never resolves). Like checkRailwayLiteral it
// never repeats the value. It reports whether the value is acceptable.
func (d *decoder) checkSecretFromEnv(n *yaml.Node, path, example string) bool {
	if n = derefQuiet(n); n == nil || n.Kind != yaml.ScalarNode {
		return true
	}
	segs, err := segments(n.Value)
	if err != nil {
		return false // reported by interpolation
	}
	for _, seg := range segs {
		switch {
		case seg.kind == segReference:
			d.errorf(n, path, "a Railway reference ${{...}} is not resolved in the reconciler's spec: set a variable of the reconciler's service and write ${%s}", example)
			return false
		case seg.kind == segLiteral && strings.TrimSpace(seg.text) != "", seg.kind == segVariable && seg.def != "":
			d.errorf(n, path, "a secret written in the file (the value is not shown): write it as an interpolation such as ${%s} and set it in the environment; never commit it", example)
			return false
		}
	}
	return true
}

// checkLiteralPassword rejects a URL whose password is written in the file
// (in its literal text or in a ${NAME:-default} default) rather than taken
// from the environment. The message never repeats the value.
func (d *decoder) checkLiteralPassword(n *yaml.Node, path string) {
	if n = derefQuiet(n); n == nil || n.Kind != yaml.ScalarNode {
		return
	}
	for _, lit := range literalText(n.Value) {
		if u, err := url.Parse(strings.TrimSpace(lit)); err == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok && pw != "" {
				d.errorf(n, path, "the URL's password is written in the file (the value is not shown): write the whole URL as an interpolation such as ${DATABASE_URL}")
				return
			}
		}
	}
}

// derefQuiet follows aliases without charging the budget (for checks on a
// node already charged).
func derefQuiet(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}
