package spec

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestInterpolate(t *testing.T) {
	env := lookup(map[string]string{"SET": "value", "EMPTY": "", "NESTED": "${SET}"})
	tests := []struct {
		in, want, err string
	}{
		{in: "plain", want: "plain"},
		{in: "${SET}", want: "value"},
		{in: "pre-${SET}-post", want: "pre-value-post"},
		{in: "${SET}${SET}", want: "valuevalue"},
		{in: "${EMPTY}", want: ""},
		{in: "${UNSET:-fallback}", want: "fallback"},
		{in: "${EMPTY:-fallback}", want: "fallback"},
		{in: "${SET:-fallback}", want: "value"},
		{in: "${UNSET:-}", want: ""},
		{in: "${UNSET:-a:-b}", want: "a:-b"},
		{in: "${NESTED}", want: "${SET}"}, // values are not interpolated again
		{in: "${{Redis.REDIS_URL}}", want: "${{Redis.REDIS_URL}}"},
		{in: "redis://${{Redis.REDISUSER}}:${{Redis.REDISPASSWORD}}@${SET}", want: "redis://${{Redis.REDISUSER}}:${{Redis.REDISPASSWORD}}@value"},
		{in: "$${SET}", want: "${SET}"},
		{in: "$${{not.a.reference}}", want: "${{not.a.reference}}"},
		{in: "cost: $5 and $$", want: "cost: $5 and $$"},
		{in: "$", want: "$"},
		{in: "${UNSET}", err: "environment variable UNSET is not set"},
		{in: "x${SET", err: `unterminated "${": write $${ for a literal ${`},
		{in: "${{Redis.REDIS_URL", err: `unterminated Railway reference "${{": it must end with }}`},
		{in: "${}", err: `invalid interpolation "${}": use ${NAME} or ${NAME:-default}`},
		{in: "${A-B}", err: `invalid interpolation "${A-B}": use ${NAME} or ${NAME:-default}`},
		{in: "${A:?err}", err: `invalid interpolation "${A:?err}": use ${NAME} or ${NAME:-default}`},
	}
	for _, tt := range tests {
		got, err := interpolate(tt.in, env)
		switch {
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("interpolate(%q) error = %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("interpolate(%q) error = %v", tt.in, err)
		case tt.err == "" && got != tt.want:
			t.Errorf("interpolate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestInterpolationInSpec(t *testing.T) {
	doc := `version: ${VERSION:-1}
name: ${NAME}
railway:
  projectId: ${RAILWAY_PROJECT_ID}
  environment: ${ENV:-production}
  maxRequestsPerHour: ${RATE}
addon:
  service: Redis
consumers:
  - service: backend
    variables:
      REDIS_URL: ${{Redis.REDIS_URL}}
      LITERAL: $${HOME}
health:
  probeTimeout: ${TIMEOUT:-2s}
`
	env := map[string]string{"NAME": "app", "RAILWAY_PROJECT_ID": "p", "RATE": "42"}
	s, err := Parse("d.yaml", []byte(doc), lookup(env))
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 1 || s.Name != "app" || s.Railway.Environment != "production" ||
		s.Railway.MaxRequestsPerHour != 42 || s.Health.ProbeTimeout.String() != "2s" {
		t.Errorf("interpolated spec = %+v", s)
	}
	if got := s.Consumers[0].Variables; got["REDIS_URL"] != "${{Redis.REDIS_URL}}" || got["LITERAL"] != "${HOME}" {
		t.Errorf("variables = %v", got)
	}
	// Keys are not interpolated.
	lines := parseErr(t, minimal+"${KEY}: 1\n")
	if lines[0] != `desired.yaml:12:1: ["${KEY}"]: unknown field "${KEY}"` {
		t.Errorf("got %q", lines)
	}
}

// TestUnsetVariableIsOneError replaces each value of valid-full.yaml in turn
// with an unset ${NAME}: each gives exactly one error line, the one naming
// the variable, and no rule downstream adds a second (issue 18 item 7).
func TestUnsetVariableIsOneError(t *testing.T) {
	for _, file := range []string{"testdata/valid-full.yaml", "testdata/valid-postgres.yaml"} {
		t.Run(file, func(t *testing.T) { unsetEachValue(t, file) })
	}
}

func unsetEachValue(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var values []*yaml.Node
	var walk func(n *yaml.Node, isKey bool)
	walk = func(n *yaml.Node, isKey bool) {
		if n.Kind == yaml.ScalarNode && !isKey {
			values = append(values, n)
		}
		for i, c := range n.Content {
			walk(c, n.Kind == yaml.MappingNode && i%2 == 0)
		}
	}
	walk(&doc, false)
	if len(values) < 15 {
		t.Fatalf("found only %d values", len(values))
	}
	for i, v := range values {
		old, oldStyle, oldTag := v.Value, v.Style, v.Tag
		v.Value, v.Style, v.Tag = "${UNSET_VALUE}", 0, "!!str"
		out, err := yaml.Marshal(&doc)
		v.Value, v.Style, v.Tag = old, oldStyle, oldTag
		if err != nil {
			t.Fatal(err)
		}
		_, err = Parse("d.yaml", out, lookup(testEnv))
		if err == nil {
			t.Errorf("value %d (%q): no error", i, old)
			continue
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != 1 || !strings.HasSuffix(lines[0], ": environment variable UNSET_VALUE is not set") {
			t.Errorf("value %d (%q): want one line naming UNSET_VALUE, got:\n%s", i, old, err)
		}
	}
}
