package probes

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/smartlic/reconciler/spec"
)

// maxShownValue caps how much of a JSON value a message quotes.
const maxShownValue = 80

// evaluate checks doc against every expectation and returns one message per
// failed check, in order.
func evaluate(doc any, exps []spec.Expectation) []string {
	var problems []string
	for _, e := range exps {
		problems = append(problems, evalOne(doc, e)...)
	}
	return problems
}

func evalOne(doc any, e spec.Expectation) []string {
	v, found := lookup(doc, e.Field)
	var out []string
	if e.Exists != nil && found != *e.Exists {
		if found {
			out = append(out, fmt.Sprintf("field %q is present (%s), want absent", e.Field, show(v)))
		} else {
			out = append(out, fmt.Sprintf("field %q is missing", e.Field))
		}
	}
	if e.Equals != nil {
		switch {
		case !found:
			out = append(out, fmt.Sprintf("field %q is missing, want %s", e.Field, show(e.Equals)))
		case !jsonEqual(v, e.Equals):
			out = append(out, fmt.Sprintf("field %q is %s, want %s", e.Field, show(v), show(e.Equals)))
		}
	}
	if e.LessThan != nil {
		out = append(out, compare(e.Field, v, found, *e.LessThan, "less than", func(a, b float64) bool { return a < b })...)
	}
	if e.GreaterThan != nil {
		out = append(out, compare(e.Field, v, found, *e.GreaterThan, "greater than", func(a, b float64) bool { return a > b })...)
	}
	return out
}

func compare(field string, v any, found bool, bound float64, rel string, ok func(a, b float64) bool) []string {
	n, isNum := v.(float64)
	switch {
	case !found:
		return []string{fmt.Sprintf("field %q is missing, want %s %s", field, rel, show(bound))}
	case !isNum:
		return []string{fmt.Sprintf("field %q is %s, not a number", field, show(v))}
	case !ok(n, bound):
		return []string{fmt.Sprintf("field %q is %s, want %s %s", field, show(v), rel, show(bound))}
	}
	return nil
}

// lookup follows a dot path ("redis.latency_ms", "checks.0.status") through
// decoded JSON; a numeric segment indexes an array.
func lookup(doc any, path string) (any, bool) {
	cur := doc
	for seg := range strings.SplitSeq(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[seg]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			cur = v[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// jsonEqual compares a decoded JSON value with an expected spec value:
// numbers by value whatever their Go type (1 equals 1.0), strings and
// booleans exactly, and never across types ("1" is not 1).
func jsonEqual(got, want any) bool {
	if w, ok := toFloat(want); ok {
		g, ok := got.(float64)
		return ok && g == w
	}
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		return ok && g == w
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

// show renders a value as JSON for a message, shortened when long, with
// the credentials of any URL in it masked (redact).
func show(v any) string {
	b, err := json.Marshal(redact(v))
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	if len(b) > maxShownValue {
		return string(b[:maxShownValue]) + "…"
	}
	return string(b)
}

// redact masks the secrets of URL-looking strings in a decoded JSON value:
// an app may report the Redis URL it uses, password included, and a
// message goes into conditions, events and reports (CONTRACT section 9).
// A string holding "://" and a userinfo, query or fragment is shown through
// spec.RedactURL, which masks it whole when it is not a bare URL.
func redact(v any) any {
	switch x := v.(type) {
	case string:
		return spec.RedactURLsIn(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = redact(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redact(e)
		}
		return out
	}
	return v
}
