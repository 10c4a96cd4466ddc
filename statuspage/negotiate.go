package statuspage

import (
	"net/http"
	"strconv"
	"strings"
)

// wantsJSON reports whether the request's Accept prefers application/json
// to HTML (curl -H 'Accept: application/json', Prometheus-style clients).
// Browsers never name JSON, so they get the page.
func wantsJSON(r *http.Request) bool {
	q := accepts(r)
	return q["application/json"] > 0 && q["application/json"] >= max(q["text/html"], q["application/xhtml+xml"])
}

// wantsHTML reports whether the request names HTML in its Accept (a
// browser navigating), and does not prefer JSON.
func wantsHTML(r *http.Request) bool {
	q := accepts(r)
	return max(q["text/html"], q["application/xhtml+xml"]) > 0 && !wantsJSON(r)
}

// accepts parses the Accept header into media type → quality, ignoring
// wildcards (they say nothing about a preference).
func accepts(r *http.Request) map[string]float64 {
	out := map[string]float64{}
	for _, h := range r.Header.Values("Accept") {
		for _, part := range strings.Split(h, ",") {
			mt, params, _ := strings.Cut(part, ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			if mt == "" || strings.Contains(mt, "*") {
				continue
			}
			out[mt] = max(out[mt], quality(params))
		}
	}
	return out
}

// quality reads q= from media type parameters; 1 when absent, 0 when
// malformed.
func quality(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || strings.ToLower(strings.TrimSpace(k)) != "q" {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || q < 0 || q > 1 {
			return 0
		}
		return q
	}
	return 1
}
