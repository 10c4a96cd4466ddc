package spec

import (
	"slices"
	"strings"
	"testing"
)

// TestOddKeysInPaths checks that a key that is not a plain name is quoted
// and escaped in PATH, the way jq and kubectl print it, so that every
// problem stays one "FILE:LINE:COL: PATH: MESSAGE" line (issue 16 item 1).
func TestOddKeysInPaths(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"newline (the fuzzer's input)", "{0\n\n0}", `desired.yaml:1:2: ["0\n0"]: unknown field "0\n0"`},
		{"dot in a variable name", minimal + "      a.b: x\n",
			`desired.yaml:12:7: consumers[0].variables["a.b"]: invalid variable name "a.b": use letters, digits and _, not starting with a digit`},
		{"space", minimal + "health:\n  probe timeout: 1s\n", `desired.yaml:13:3: health["probe timeout"]: unknown field "probe timeout" (did you mean "probeTimeout"?)`},
		{"quote and bracket", minimal + "'a\"]b': 1\n", `desired.yaml:12:1: ["a\"]b"]: unknown field "a\"]b"`},
		{"empty key", minimal + "'': 1\n", `desired.yaml:12:1: [""]: unknown field ""`},
		{"tab", minimal + "\"a\\tb\": 1\n", `desired.yaml:12:1: ["a\tb"]: unknown field "a\tb"`},
		{"interpolation in a key", minimal + "      ${K}: x\n",
			`desired.yaml:12:7: consumers[0].variables["${K}"]: invalid variable name "${K}": use letters, digits and _, not starting with a digit`},
		{"plain key with digits and dashes", minimal + "      1REDIS-URL: x\n",
			`desired.yaml:12:7: consumers[0].variables.1REDIS-URL: invalid variable name "1REDIS-URL": use letters, digits and _, not starting with a digit`},
		{"duplicate odd key", minimal + "'a b': 1\n'a b': 2\n", `desired.yaml:13:1: ["a b"]: duplicate key "a b" (first at line 12)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := parseErr(t, tt.doc)
			if !slices.Contains(lines, tt.want) {
				t.Errorf("errors:\n%s\nwant the line:\n%s", strings.Join(lines, "\n"), tt.want)
			}
		})
	}
}

// TestMessagesStayOneLine checks that a value with control characters (here
// interpolated from the environment) is escaped in MESSAGE too.
func TestMessagesStayOneLine(t *testing.T) {
	env := map[string]string{"RAILWAY_PROJECT_ID": "p", "SVC": "back\nend\x00"}
	doc := strings.Replace(minimal, "service: backend", "service: ${SVC}", 1) +
		"health:\n  logs:\n    - {service: frontend, contains: up}\n"
	_, err := Parse("desired.yaml", []byte(doc), lookup(env))
	if err == nil {
		t.Fatal("want an error")
	}
	want := `desired.yaml:14:17: health.logs[0].service: "frontend" is not a consumer (consumers: back\nend\x00)`
	if err.Error() != want {
		t.Errorf("got:\n%s\nwant:\n%s", err, want)
	}
}

func TestParentPath(t *testing.T) {
	for path, want := range map[string]string{
		"version":                           "",
		"railway.projectId":                 "railway",
		"consumers[0]":                      "consumers",
		"consumers[0].service":              "consumers[0]",
		`consumers[0].variables["a.b"]`:     "consumers[0].variables",
		`consumers[0].variables["a\"].[b"]`: "consumers[0].variables",
		`["0\n0"]`:                          "",
		`["a.b"].c`:                         `["a.b"]`,
		`x["a\\"].y`:                        `x["a\\"]`,
	} {
		if got := parentPath(path); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestErrorWithoutFile(t *testing.T) {
	if got := (Error{Msg: "m"}).Error(); got != "m" {
		t.Errorf("Error() = %q, want %q", got, "m")
	}
	if got := (Error{File: "a\nb", Line: 1, Col: 2, Path: "p", Msg: "m\r"}).Error(); got != `a\nb:1:2: p: m\r` {
		t.Errorf("Error() = %q", got)
	}
}
