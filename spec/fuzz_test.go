package spec

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes through the whole pipeline behind Load
// (Parse: checks, YAML, interpolation, decoding, validation) and, on success,
// through Print. It must never panic, and must always answer either a
// complete Spec or an *Errors of well-formed lines. Seeds: every YAML file in
// testdata/ plus the hostile inputs in testdata/fuzz/FuzzLoad/.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, "../examples/desired.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	env := lookup(testEnv)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data, env)
		if err != nil {
			checkErrors(t, err)
			return
		}
		if s.Hash == "" || s.File != "f.yaml" || s.Version != Version || len(s.Consumers) == 0 {
			t.Fatalf("incomplete spec: %+v", s)
		}
		var a, b bytes.Buffer
		if err := s.Print(&a); err != nil {
			t.Fatalf("Print: %v", err)
		}
		_ = s.Print(&b)
		if a.String() != b.String() {
			t.Fatal("Print is not deterministic")
		}
	})
}

func checkErrors(t *testing.T, err error) {
	t.Helper()
	var errs *Errors
	if !errors.As(err, &errs) || len(errs.List) == 0 || len(errs.List) > maxReported+1 {
		t.Fatalf("error %T %v is not a non-empty *Errors", err, err)
	}
	if errors.Is(err, errInternal) {
		t.Fatalf("recovered panic: %v", err)
	}
	lines := strings.Split(errs.Error(), "\n")
	if len(lines) != len(errs.List) {
		t.Fatalf("%d problems printed on %d lines:\n%s", len(errs.List), len(lines), errs)
	}
	for _, line := range lines {
		if !errorLine.MatchString(line) || strings.ContainsFunc(line, unsafeRune) {
			t.Fatalf("malformed error line %q", line)
		}
	}
}

// errorLine is the shape of one problem: FILE:LINE:COL: or FILE: first.
var errorLine = regexp.MustCompile(`^f\.yaml(:[1-9][0-9]*:[1-9][0-9]*)?: \S`)

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("../examples/desired.yaml")
	if err != nil {
		b.Fatal(err)
	}
	env := lookup(map[string]string{"RAILWAY_PROJECT_ID": "proj-123", "SLACK_WEBHOOK_URL": testEnv["SLACK_WEBHOOK_URL"]})
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("desired.yaml", data, env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseHostile(b *testing.B) {
	data := []byte("[" + strings.Repeat("1,", maxStructure-10) + "1]") // just under the structure limit
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("f.yaml", data, nil); err == nil {
			b.Fatal("want an error")
		}
	}
}
