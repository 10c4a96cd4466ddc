package spec

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestBadInput feeds hostile files through Load: each must end in an *Errors
// with a clear message, quickly and without holding much memory.
func TestBadInput(t *testing.T) {
	deepFlow := strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000)
	deepBlock := "version: 1\nname:\n  " + strings.Repeat("- ", 9_990) + "x\n"
	var nested strings.Builder
	nested.WriteString("version: 1\nhealth:\n")
	for i := range 1_000 { // as deep as 1 MiB allows with one more space a level
		nested.WriteString(strings.Repeat(" ", i+1) + "a:\n")
	}
	tests := []struct {
		name string
		data []byte
		want string // a substring of the errors
	}{
		{"binary", []byte{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d}, ":1:1: the file is not UTF-8 text (is it a binary file?)"},
		{"control characters", []byte("version: 1\x1a\x00"), ":1:11: control character U+001A is not allowed (is it a binary file?)"},
		{"invalid utf-8", []byte("version: 1\nname: \xff\xfe\n"), ":2:7: the file is not UTF-8 text"},
		{"empty", nil, "the file is empty"},
		{"whitespace", []byte("\n\n   \n"), "the file is empty"},
		{"bom only", []byte("\xef\xbb\xbf"), "the file is empty"},
		{"deep flow nesting", []byte(deepFlow), "a spec is a mapping of fields"},
		{"deeper flow nesting", []byte(strings.Repeat("[", 20_000)), "exceeded max depth"},
		{"deep block nesting", []byte(deepBlock), "name: expected a string, got a list"},
		{"deep mapping nesting", []byte(nested.String()), "health.a: unknown field"},
		{"many nodes", []byte("[" + strings.Repeat("1,", 200_000) + "1]"), "the file is too complex"},
		{"scalar", []byte("hello"), "a spec is a mapping of fields (version, name, railway, ...), got a scalar"},
		{"tab indentation", []byte("version: 1\nrailway:\n\tprojectId: x\n"), ":3:1: invalid YAML: found character that cannot start any token: tabs are not allowed in indentation (indent with spaces)"},
		{"alias to nothing", []byte("version: *nothing\n"), "invalid YAML: unknown anchor 'nothing' referenced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "desired.yaml")
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err := Load(path, lookup(testEnv))
			if d := time.Since(start); d > 5*time.Second { // generous: the race detector on a busy machine
				t.Errorf("took %v", d)
			}
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Load error = %v, want *Errors", err)
			}
			if !strings.Contains(errs.Error(), tt.want) {
				t.Errorf("errors do not contain %q:\n%v", tt.want, errs)
			}
		})
	}
}

func TestAcceptedEncodings(t *testing.T) {
	for name, doc := range map[string]string{
		"bom":                "\xef\xbb\xbf" + minimal,
		"crlf":               strings.ReplaceAll(minimal, "\n", "\r\n"),
		"tabs inside values": strings.Replace(minimal, "environment: production", "environment:\tproduction", 1),
	} {
		t.Run(name, func(t *testing.T) {
			s := mustParse(t, doc)
			if s.Railway.Environment != "production" || s.Consumers[0].Variables["REDIS_URL"] != "${{Redis.REDIS_URL}}" {
				t.Errorf("decoded %+v", s)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse 10 MB file: rejected by its size, never read.
	if err := f.Truncate(10 << 20); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err = Load(big, nil)
	elapsed := time.Since(start)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if err == nil || err.Error() != big+": the file is larger than 1048576 bytes (1 MiB): a spec is a small file" {
		t.Errorf("10 MB file: %v", err)
	}
	if elapsed > time.Second || after.TotalAlloc-before.TotalAlloc > 1<<20 {
		t.Errorf("10 MB file took %v and %d bytes", elapsed, after.TotalAlloc-before.TotalAlloc)
	}

	_, err = Load(filepath.Join(dir, "missing.yaml"), nil)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasSuffix(err.Error(), "missing.yaml: cannot read the spec: no such file or directory") {
		t.Errorf("missing file: %v", err)
	}
	_, err = Load(dir, nil)
	if err == nil || err.Error() != dir+": cannot read the spec: it is a directory" {
		t.Errorf("directory: %v", err)
	}
	if _, err := Parse("mem.yaml", bytes.Repeat([]byte("#"), MaxFileSize+1), nil); err == nil ||
		!strings.Contains(err.Error(), "larger than") {
		t.Errorf("Parse of an oversized buffer: %v", err)
	}
}

func TestLoadDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := Load("/dev/zero", nil)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("/dev/zero: %v", err)
	}
}

// TestOneErrorPerMistake checks that a value of the wrong kind is reported
// once, not again through the rules of the fields it should have held.
func TestOneErrorPerMistake(t *testing.T) {
	tests := []struct{ doc, want string }{
		{strings.Replace(minimal, "railway:\n  projectId: ${RAILWAY_PROJECT_ID}\n  environment: production\n", "railway: [a]\n", 1),
			"desired.yaml:3:10: railway: expected a mapping, got a list"},
		{minimal + "  - just-a-name\n", "desired.yaml:12:5: consumers[1]: expected a mapping, got a scalar"},
		{strings.Replace(minimal, "    variables:\n      REDIS_URL: ${{Redis.REDIS_URL}}\n", "    variables: [REDIS_URL]\n", 1),
			"desired.yaml:10:16: consumers[0].variables: expected a mapping of variable names to values, got a list"},
		{minimal + "health:\n  endpoints: {name: x}\n", "desired.yaml:13:14: health.endpoints: expected a list, got a mapping"},
	}
	for _, tt := range tests {
		if got := strings.Join(parseErr(t, tt.doc), "\n"); got != tt.want {
			t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
		}
	}
}
