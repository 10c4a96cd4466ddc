package report

import (
	"cmp"
	"net/url"
	"slices"
	"strings"

	"github.com/smartlic/reconciler/spec"
)

// minSecretLen is the shortest known secret the scrub replaces: a shorter
// value would mask ordinary words. Real tokens, passwords and webhook URLs
// are far longer.
const minSecretLen = 4

// scrubber is the final guard on display text: it replaces known secret
// values with spec.Masked and redacts every URL that carries a secret
// (spec.RedactURLsIn). Text from the reconciler is masked already; this catches
// a message someone wrote carelessly.
type scrubber struct {
	secrets []string
}

func newScrubber(secrets ...spec.Secret) *scrubber {
	s := &scrubber{}
	for _, sec := range secrets {
		for _, v := range secretParts(sec.Value()) {
			if len(v) >= minSecretLen && !slices.Contains(s.secrets, v) {
				s.secrets = append(s.secrets, v)
			}
		}
	}
	// Longest first, so that a secret containing another is masked whole.
	slices.SortFunc(s.secrets, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return s
}

// String returns text with every secret masked.
func (s *scrubber) String(text string) string {
	for _, sec := range s.secrets {
		text = strings.ReplaceAll(text, sec, spec.Masked)
	}
	return spec.RedactURLsIn(text)
}

// Strings scrubs every element of list, returning a new slice (never nil).
func (s *scrubber) Strings(list []string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = s.String(v)
	}
	return out
}

// secretParts returns what to mask for the secret v. A URL with userinfo
// (a Redis URL) gives its password (or a user name without a password,
// which may be a token), so that it is shown as redis://default:***@host;
// any other value is masked whole and, when it is a URL (a webhook), its
// path and query too, since they hold its secret.
func secretParts(v string) []string {
	var parts []string
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		parts = append(parts, u.Path, u.EscapedPath(), u.RawQuery)
	}
	_, rest, ok := strings.Cut(v, "://")
	at := strings.LastIndex(rest, "@")
	if !ok || at < 0 {
		return append(parts, v)
	}
	// Like spec.RedactURL, the userinfo runs to the last "@", so that a
	// password holding "@" or "/" is taken whole.
	secret := rest[:at]
	if _, pw, ok := strings.Cut(secret, ":"); ok {
		secret = pw
	}
	parts = append(parts, secret)
	if dec, err := url.PathUnescape(secret); err == nil {
		parts = append(parts, dec)
	}
	return parts
}

// SecretsOf returns the secrets of a spec (every webhook URL and the
// health.redis.url) and extra (the Railway token), for NotifierOptions.Secrets
// and Input.Secrets. Reports and messages mask each of them, and their
// passwords and paths, wherever they appear.
func SecretsOf(sp *spec.Spec, extra ...spec.Secret) []spec.Secret {
	out := slices.Clone(extra)
	if sp == nil {
		return out
	}
	out = append(out, sp.Health.Redis.URL)
	for _, k := range sp.Report.Sinks {
		if k.Kind == spec.SinkWebhook {
			out = append(out, k.URL)
		}
	}
	return out
}
