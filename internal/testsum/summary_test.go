package main

import (
	"bytes"
	"strings"
	"testing"
)

const run = `{"Action":"start","Package":"example.com/m/railway"}
{"Action":"run","Package":"example.com/m/railway","Test":"TestOperationsMatchSchema"}
{"Action":"output","Package":"example.com/m/railway","Test":"TestOperationsMatchSchema","Output":"=== RUN   TestOperationsMatchSchema\n"}
{"Action":"output","Package":"example.com/m/railway","Test":"TestOperationsMatchSchema","Output":"    schema_test.go:29: railway schema not found (looked for /x/shared/railway/schema.graphql)\n"}
{"Action":"output","Package":"example.com/m/railway","Test":"TestOperationsMatchSchema","Output":"--- SKIP: TestOperationsMatchSchema (0.00s)\n"}
{"Action":"skip","Package":"example.com/m/railway","Test":"TestOperationsMatchSchema"}
{"Action":"run","Package":"example.com/m/railway","Test":"TestSimulatorSchema"}
{"Action":"output","Package":"example.com/m/railway","Test":"TestSimulatorSchema","Output":"    helpers_test.go:173: railway schema not found (looked for /x)\n"}
{"Action":"skip","Package":"example.com/m/railway","Test":"TestSimulatorSchema"}
{"Action":"run","Package":"example.com/m/railway","Test":"TestOK"}
{"Action":"output","Package":"example.com/m/railway","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"pass","Package":"example.com/m/railway","Test":"TestOK"}
{"Action":"output","Package":"example.com/m/railway","Output":"PASS\n"}
{"Action":"output","Package":"example.com/m/railway","Output":"ok  \texample.com/m/railway\t0.5s\n"}
{"Action":"pass","Package":"example.com/m/railway"}
{"Action":"start","Package":"example.com/m/internal/testspec"}
{"Action":"output","Package":"example.com/m/internal/testspec","Output":"?   \texample.com/m/internal/testspec\t[no test files]\n"}
{"Action":"skip","Package":"example.com/m/internal/testspec"}
{"Action":"run","Package":"example.com/m/probes","Test":"TestBad"}
{"Action":"output","Package":"example.com/m/probes","Test":"TestBad","Output":"    probes_test.go:9: got 1, want 2\n"}
{"Action":"output","Package":"example.com/m/probes","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"example.com/m/probes","Test":"TestBad"}
{"Action":"output","Package":"example.com/m/probes","Output":"FAIL\n"}
{"Action":"output","Package":"example.com/m/probes","Output":"FAIL\texample.com/m/probes\t0.1s\n"}
{"Action":"fail","Package":"example.com/m/probes"}
`

func TestSummary(t *testing.T) {
	var out bytes.Buffer
	s := newSummary(&out)
	if err := s.read(strings.NewReader(run)); err != nil {
		t.Fatal(err)
	}
	s.printSkips()
	want := "ok  \texample.com/m/railway\t0.5s\n" +
		"?   \texample.com/m/internal/testspec\t[no test files]\n" +
		"    probes_test.go:9: got 1, want 2\n--- FAIL: TestBad (0.00s)\nFAIL\nFAIL\texample.com/m/probes\t0.1s\n" +
		"skipped 2 tests (" + causes[0].note + "): railway.TestOperationsMatchSchema, railway.TestSimulatorSchema\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	if !s.failed {
		t.Error("a failed package does not fail the summary")
	}
}

func TestReason(t *testing.T) {
	for in, want := range map[string]string{
		"    x_test.go:12: redis-server not found\n": "redis-server not found",
		"plain line\n": "plain line",
		"":             "no reason given",
	} {
		if got := reason([]string{in, "--- SKIP: TestX (0.00s)\n"}); got != want {
			t.Errorf("reason(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNotJSONPassesThrough(t *testing.T) {
	var out bytes.Buffer
	s := newSummary(&out)
	if err := s.read(strings.NewReader("go: downloading x v1\n")); err != nil || out.String() != "go: downloading x v1\n" || s.failed {
		t.Errorf("got %q, failed %v, err %v", out.String(), s.failed, err)
	}
}
