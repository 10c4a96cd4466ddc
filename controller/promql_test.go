package controller

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// promqlWords are PromQL keywords and aggregators: identifiers that are not
// metric names even when no parenthesis follows them at once.
var promqlWords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"inf": true, "nan": true,
}

// labelListWords are followed by a parenthesised list of label names.
var labelListWords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// promqlMetricNames returns the metric names an expression selects, in
// order, without repeats. It is a lexer, not a parser: strings, label
// matchers ({...}), ranges ([...]), label lists (by (...)), numbers and
// durations are skipped, and an identifier that is followed by "(" or is a
// keyword is not a name. A selector by {__name__=...} is not understood.
func promqlMetricNames(expr string) []string {
	var names []string
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(expr, i)
		case c == '{':
			i = skipUntil(expr, i, '}')
		case c == '[':
			i = skipUntil(expr, i, ']')
		case c == '#':
			for i < len(expr) && expr[i] != '\n' {
				i++
			}
		case isDigit(c) || c == '.':
			for i < len(expr) && (isIdentChar(expr[i]) || expr[i] == '.') {
				i++
			}
		case isIdentStart(c):
			j := i
			for j < len(expr) && isIdentChar(expr[j]) {
				j++
			}
			word, next := expr[i:j], skipSpace(expr, j)
			switch {
			case labelListWords[strings.ToLower(word)] && next < len(expr) && expr[next] == '(':
				j = skipUntil(expr, next, ')')
			case promqlWords[strings.ToLower(word)]:
			case next < len(expr) && expr[next] == '(':
			case !slices.Contains(names, word):
				names = append(names, word)
			}
			i = j
		default:
			i++
		}
	}
	return names
}

// skipString returns the index after the string that starts at i.
func skipString(s string, i int) int {
	q := s[i]
	for i++; i < len(s); i++ {
		switch {
		case s[i] == '\\' && q != '`':
			i++
		case s[i] == q:
			return i + 1
		}
	}
	return i
}

// skipUntil returns the index after the first end at or after i that is
// not inside a string.
func skipUntil(s string, i int, end byte) int {
	for i < len(s) {
		switch {
		case s[i] == end:
			return i + 1
		case s[i] == '"' || s[i] == '\'' || s[i] == '`':
			i = skipString(s, i)
		default:
			i++
		}
	}
	return i
}

func skipSpace(s string, i int) int {
	for i < len(s) && strings.ContainsRune(" \t\r\n", rune(s[i])) {
		i++
	}
	return i
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c == ':' || c|0x20 >= 'a' && c|0x20 <= 'z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }

// registryNames maps each metric family a registry exposes to its type.
func registryNames(t *testing.T, reg prometheus.Gatherer) map[string]dto.MetricType {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("gathering the registry: %v", err)
	}
	names := make(map[string]dto.MetricType, len(fams))
	for _, f := range fams {
		names[f.GetName()] = f.GetType()
	}
	return names
}

// checkMetricName says whether a queried name is a series of the registry:
// a family, or a histogram's (or summary's) _bucket, _sum or _count.
func checkMetricName(name string, families map[string]dto.MetricType) error {
	if typ, ok := families[name]; ok {
		if typ == dto.MetricType_HISTOGRAM {
			return fmt.Errorf("%s is a histogram: query %[1]s_bucket, _sum or _count", name)
		}
		return nil
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		switch families[base] {
		case dto.MetricType_HISTOGRAM:
			return nil
		case dto.MetricType_SUMMARY:
			if suffix != "_bucket" {
				return nil
			}
		}
	}
	return fmt.Errorf("%s is not in the controller's registry", name)
}

// checkQuery checks that expr selects at least one metric and only metrics
// of the registry.
func checkQuery(expr string, families map[string]dto.MetricType) []error {
	names := promqlMetricNames(expr)
	if len(names) == 0 {
		return []error{fmt.Errorf("no metric name found in %q", expr)}
	}
	var errs []error
	for _, n := range names {
		if err := checkMetricName(n, families); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func TestPromQLMetricNames(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`max by (name) (reconciler_phase{phase=~"RolledBack|Recovering"}) == 1`, []string{"reconciler_phase"}},
		{`histogram_quantile(0.95, sum by (name, le) (rate(x_bucket{check="redis"}[5m]))) > 0.05`, []string{"x_bucket"}},
		{`a and on (job, instance) b{name=~"$name"}`, []string{"a", "b"}},
		{"absent(up) or (group by (name) (max_over_time(c[1h])) unless group by (name) (c)) and on () (count(c) > 0)", []string{"up", "c"}},
		{`time() - max by (name) (m > 0) > 300`, []string{"m"}},
		{`sum without (instance) (rate(foo[$__rate_interval] offset 1h)) * 3600`, []string{"foo"}},
		{`foo{a="}", b='x]'} * on (a) group_left (b) bar:recorded`, []string{"foo", "bar:recorded"}},
		{`topk(3, z) or count_values("value", w) # a comment naming nope`, []string{"z", "w"}},
		{`sum(rate(v[5m:1m])) BY (name) + 1e3 + Inf`, []string{"v"}},
		{`{__name__="hidden"}`, nil},
	} {
		if got := promqlMetricNames(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("promqlMetricNames(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func TestCheckQueryAgainstTheRegistry(t *testing.T) {
	families := registryNames(t, newTestController(t).m.reg)
	for _, ok := range []string{
		`reconciler_phase`,
		`rate(reconciler_probe_duration_seconds_bucket[5m])`,
		`reconciler_probe_duration_seconds_count / reconciler_probe_duration_seconds_sum`,
		`go_gc_duration_seconds_count + go_gc_duration_seconds`,
	} {
		if errs := checkQuery(ok, families); errs != nil {
			t.Errorf("%s: %v", ok, errs)
		}
	}
	for _, bad := range []string{
		`reconcilr_phase`,
		`reconciler_phase_bucket`,
		`reconciler_probe_duration_seconds > 1`,
		`go_gc_duration_seconds_bucket`,
		`sum(up) + reconciler_phase`,
		`{__name__="reconciler_phase"}`,
	} {
		if errs := checkQuery(bad, families); errs == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
