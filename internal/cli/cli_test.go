package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // CRON_TZ in valid-full.yaml

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

var testEnv = map[string]string{
	"RAILWAY_PROJECT_ID": "proj-123",
	"REDIS_PUBLIC_URL":   "redis://default:s3cr3t-redis-pw@proxy.rlwy.net:12345",
	"SLACK_WEBHOOK_URL":  "https://hooks.slack.com/services/T000/B000/s3cr3t-webhook-token",
}

type result struct {
	code           int
	stdout, stderr string
}

// run executes the command line in-process with env as the environment.
func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(t.Context(), Options{
		Args:   args,
		Stdout: &stdout,
		Stderr: &stderr,
		LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
		Now: func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) },
	})
	return result{code, stdout.String(), stderr.String()}
}

func writeSpec(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "desired.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const validSpec = `version: 1
name: test
railway:
  projectId: ${RAILWAY_PROJECT_ID}
  environment: production
addon:
  service: Redis
consumers:
  - service: backend
    variables:
      REDIS_URL: ${{Redis.REDIS_URL}}
`

func TestValidateOK(t *testing.T) {
	path := writeSpec(t, validSpec)
	got := run(t, testEnv, "validate", "-f", path)
	if got.code != ExitOK || got.stdout != path+": ok\n" || got.stderr != "" {
		t.Errorf("got %+v", got)
	}
}

func TestValidateFileFromEnvironment(t *testing.T) {
	path := writeSpec(t, validSpec)
	env := map[string]string{"RECONCILER_FILE": path, "RAILWAY_PROJECT_ID": "p"}
	if got := run(t, env, "validate"); got.code != ExitOK || got.stdout != path+": ok\n" {
		t.Errorf("RECONCILER_FILE: got %+v", got)
	}
	// The flag wins over the environment.
	env["RECONCILER_FILE"] = filepath.Join(t.TempDir(), "missing.yaml")
	if got := run(t, env, "--file", path, "validate"); got.code != ExitOK {
		t.Errorf("--file over RECONCILER_FILE: got %+v", got)
	}
}

func TestValidateInvalid(t *testing.T) {
	path := writeSpec(t, strings.Replace(validSpec, "version: 1", "version: 2", 1)+"rollback:\n  failureThreshold: 0\n")
	got := run(t, map[string]string{}, "validate", "-f", path)
	want := path + ":1:10: version: unsupported version 2: only version 1 exists\n" +
		path + ":4:14: railway.projectId: environment variable RAILWAY_PROJECT_ID is not set\n" +
		path + ":13:21: rollback.failureThreshold: must be at least 1, got 0\n"
	if got.code != ExitInvalid || got.stdout != "" || got.stderr != want {
		t.Errorf("got code %d, stdout %q, stderr:\n%s\nwant:\n%s", got.code, got.stdout, got.stderr, want)
	}
}

func TestValidateMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	got := run(t, nil, "validate", "-f", path)
	if got.code != ExitInvalid || got.stderr != path+": cannot read the spec: no such file or directory\n" {
		t.Errorf("got %+v", got)
	}
}

func TestValidatePrintGolden(t *testing.T) {
	got := run(t, testEnv, "validate", "--print", "-f", "../../spec/testdata/valid-full.yaml")
	want, err := os.ReadFile("../../spec/testdata/valid-full.golden")
	if err != nil {
		t.Fatal(err)
	}
	header := "# ../../spec/testdata/valid-full.yaml as the reconciler reads it: defaults applied, secrets masked (***).\n" +
		"# For reading only: the masked values do not validate; edit the original.\n"
	if got.code != ExitOK || got.stdout != header+string(want) || got.stderr != "" {
		t.Errorf("got code %d, stderr %q, stdout:\n%s", got.code, got.stderr, got.stdout)
	}
	if strings.Contains(got.stdout, "s3cr3t") {
		t.Error("--print leaks a secret")
	}
	// What the header and the help say: fed back, the masked values fail.
	back := writeSpec(t, got.stdout)
	if again := run(t, testEnv, "validate", "-f", back); again.code != ExitInvalid || !strings.Contains(again.stderr, "report.sinks[2].webhook") {
		t.Errorf("the printed spec validates, yet its help says it does not: %+v", again)
	}
	if help := run(t, nil, "validate", "--help"); !strings.Contains(help.stdout, "not a spec to feed back") {
		t.Errorf("validate --help does not say --print is for reading:\n%s", help.stdout)
	}
}

func TestExampleValidates(t *testing.T) {
	env := map[string]string{"RAILWAY_PROJECT_ID": "proj-123", "SLACK_WEBHOOK_URL": testEnv["SLACK_WEBHOOK_URL"]}
	got := run(t, env, "validate", "-f", "../../examples/desired.yaml")
	if got.code != ExitOK || got.stdout != "../../examples/desired.yaml: ok\n" {
		t.Errorf("got %+v", got)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		usage string
		msg   string
	}{
		{"unknown command", []string{"frobnicate"}, "reconciler <command> [flags]", `unknown command "frobnicate" for "reconciler"`},
		{"empty file flag", []string{"validate", "-f", ""}, "", "the spec file path is empty: pass -f FILE or set RECONCILER_FILE"},
		{"file flag on a command without a spec", []string{"demo", "-f", "x.yaml"}, "reconciler demo [flags]", "unknown shorthand flag: 'f' in -f"},
		{"bad listen address", []string{"run", "--listen", "notaport"}, "reconciler run [--listen ADDR] [flags]",
			`--listen "notaport" is not an address: want HOST:PORT or :PORT, e.g. :8080 (address notaport: missing port in address)`},
		{"bad listen port", []string{"run", "--listen", ":99999"}, "reconciler run [--listen ADDR] [flags]",
			`--listen ":99999" is not an address: want HOST:PORT or :PORT, e.g. :8080 (address 99999: invalid port)`},
		{"zero plan timeout", []string{"plan", "--timeout", "0s"}, "reconciler plan [flags]", "--timeout must be positive, e.g. 30s or 2m"},
		{"unknown flag", []string{"validate", "--bogus"}, "reconciler validate [flags]", "unknown flag: --bogus"},
		{"bad log format", []string{"--log-format", "xml", "validate"}, "reconciler validate [flags]", `invalid argument "xml" for "--log-format" flag: must be json or console`},
		{"bad log level", []string{"version", "--log-level", "loud"}, "reconciler version [flags]", `invalid argument "loud" for "--log-level" flag: must be debug or info or warn or error`},
		{"extra argument", []string{"validate", "extra"}, "reconciler validate [flags]", `unknown command "extra" for "reconciler validate"`},
		{"missing flag value", []string{"validate", "-f"}, "reconciler validate [flags]", "flag needs an argument: 'f' in -f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, nil, tt.args...)
			if got.code != ExitInvalid || got.stdout != "" {
				t.Errorf("code %d, stdout %q", got.code, got.stdout)
			}
			lines := strings.Split(got.stderr, "\n")
			if tt.usage == "" { // an input error without the usage line
				if got.stderr != "error: "+tt.msg+"\n" {
					t.Errorf("stderr:\n%s", got.stderr)
				}
				return
			}
			if len(lines) < 2 || lines[0] != "error: "+tt.msg || lines[1] != "usage: "+tt.usage {
				t.Errorf("stderr:\n%s", got.stderr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	got := run(t, nil, "--help")
	if got.code != ExitOK || !strings.Contains(got.stdout, "validate") || !strings.Contains(got.stdout, "--log-format") {
		t.Errorf("got %+v", got)
	}
	// Bare `reconciler` prints the same help and exits 0.
	if bare := run(t, nil); bare.code != ExitOK || bare.stdout != got.stdout || bare.stderr != "" {
		t.Errorf("bare reconciler: %+v", bare)
	}
}

// TestEveryCommandHasExamples: each command's help has an Examples section,
// and every example line that runs reconciler names real commands and flags.
func TestEveryCommandHasExamples(t *testing.T) {
	root := newRoot(&App{})
	cmds := append([]*cobra.Command{root}, root.Commands()...)
	for _, c := range cmds {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		got := run(t, nil, append(strings.Fields(strings.TrimPrefix(c.CommandPath(), "reconciler")), "--help")...)
		if got.code != ExitOK || !strings.Contains(got.stdout, "\nExamples:\n") {
			t.Errorf("%s --help has no Examples section:\n%s", c.CommandPath(), got.stdout)
		}
		for _, line := range strings.Split(c.Example, "\n") {
			for _, args := range invocations(line, false) {
				if err := checkInvocation(root, args); err != nil {
					t.Errorf("%s example %q: %v", c.CommandPath(), strings.TrimSpace(line), err)
				}
			}
		}
	}
}

// TestFileFlagOnlyWhereASpecIsRead: -f/--file is in the help of exactly
// the commands that read a spec.
func TestFileFlagOnlyWhereASpecIsRead(t *testing.T) {
	readers := []string{"validate", "plan", "apply", "status", "rollback", "rollforward", "report", "run", "doctor"}
	root := newRoot(&App{})
	for _, c := range root.Commands() {
		got := run(t, nil, c.Name(), "--help")
		has := strings.Contains(got.stdout, "-f, --file stringArray")
		if want := slices.Contains(readers, c.Name()); has != want {
			t.Errorf("%s --help shows -f: %v, want %v", c.Name(), has, want)
		}
	}
	if got := run(t, nil, "--help"); strings.Contains(got.stdout, "--file") {
		t.Errorf("the root's help shows --file:\n%s", got.stdout)
	}
}

func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "complete -o default -F __start_reconciler reconciler", "zsh": "#compdef reconciler",
		"fish": "complete -c reconciler", "powershell": "Register-ArgumentCompleter",
	} {
		got := run(t, nil, "completion", shell)
		if got.code != ExitOK || !strings.Contains(got.stdout, want) || got.stderr != "" {
			t.Errorf("completion %s: code %d, stderr %q, stdout lacks %q", shell, got.code, got.stderr, want)
		}
	}
	if got := run(t, nil, "completion", "tcsh"); got.code != ExitInvalid {
		t.Errorf("completion tcsh: %+v", got)
	}
	// The dynamic completion cobra's scripts call: commands, then -f's files.
	got := run(t, nil, "__complete", "pl")
	if got.code != ExitOK || !strings.HasPrefix(got.stdout, "plan\t") {
		t.Errorf("__complete pl: %+v", got)
	}
	got = run(t, nil, "__complete", "plan", "-f", "")
	if got.code != ExitOK || !strings.Contains(got.stdout, "yaml") {
		t.Errorf("__complete plan -f: %+v", got)
	}
}

func TestVersionFlag(t *testing.T) {
	b := Build()
	want := "reconciler " + b.Version + " (commit " + b.Commit + ", " + runtime.Version() + ")\n"
	for _, flag := range []string{"--version", "-v"} {
		if got := run(t, nil, flag); got.code != ExitOK || got.stdout != want {
			t.Errorf("%s: %+v, want stdout %q", flag, got, want)
		}
	}
}

func TestVersion(t *testing.T) {
	got := run(t, nil, "version")
	lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
	if got.code != ExitOK || len(lines) != 4 || lines[0] != "version: dev" ||
		!strings.HasPrefix(lines[1], "commit: ") || !strings.HasPrefix(lines[2], "built: ") || lines[3] != "go: "+runtime.Version() {
		t.Errorf("got %+v", got)
	}
}

func TestJSONLogsAtDebug(t *testing.T) {
	path := writeSpec(t, validSpec)
	got := run(t, testEnv, "--log-format", "json", "--log-level", "debug", "validate", "-f", path)
	if got.code != ExitOK {
		t.Fatalf("got %+v", got)
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(got.stderr, "\n", 2)[0]), &entry); err != nil {
		t.Fatalf("log line %q: %v", got.stderr, err)
	}
	if entry["msg"] != "spec loaded" || entry["level"] != "debug" || entry["file"] != path ||
		entry["ts"] != "2026-11-25T10:00:00Z" {
		t.Errorf("log entry %v", entry)
	}
	// The default level is info: nothing to say about a valid spec.
	if got := run(t, testEnv, "validate", "-f", path); got.stderr != "" {
		t.Errorf("info-level stderr %q", got.stderr)
	}
	// console format
	got = run(t, testEnv, "--log-format", "console", "--log-level", "debug", "validate", "-f", path)
	if !strings.Contains(got.stderr, "DEBUG\tspec loaded") {
		t.Errorf("console log %q", got.stderr)
	}
}

// TestLoggerOverride checks that Options.Logger replaces the logger the
// flags would build: the entries reach it, and nothing reaches stderr.
func TestLoggerOverride(t *testing.T) {
	path := writeSpec(t, validSpec)
	core, logs := observer.New(zap.DebugLevel)
	var stdout, stderr bytes.Buffer
	code := Run(t.Context(), Options{
		Args:   []string{"--log-format", "json", "--log-level", "debug", "validate", "-f", path},
		Stdout: &stdout, Stderr: &stderr, Logger: zap.New(core),
		LookupEnv: func(k string) (string, bool) { v, ok := testEnv[k]; return v, ok },
	})
	if code != ExitOK || stdout.String() != path+": ok\n" || stderr.Len() != 0 {
		t.Errorf("code %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	if n := logs.FilterMessage("spec loaded").Len(); n != 1 {
		t.Errorf("the override got %d \"spec loaded\" entries, want 1", n)
	}
}

func TestExitCode(t *testing.T) {
	root := newRoot(&App{})
	tests := []struct {
		name   string
		err    error
		ran    bool
		code   int
		stderr string
	}{
		{"nil", nil, true, ExitOK, ""},
		{"drift, silent", WithExitCode(ExitDrift, nil), true, ExitDrift, ""},
		{"failure", errors.New("railway: 401 unauthorized"), true, ExitFailure, "error: railway: 401 unauthorized\n"},
		{"coded", WithExitCode(ExitFailure, errors.New("timeout")), true, ExitFailure, "error: timeout\n"},
		{"parse stage", errors.New("bad args"), false, ExitInvalid,
			"error: bad args\nusage: reconciler <command> [flags]\nrun 'reconciler --help' for more\n"},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		if code := exitCode(&stderr, root, tt.err, tt.ran); code != tt.code || stderr.String() != tt.stderr {
			t.Errorf("%s: code %d, stderr %q", tt.name, code, stderr.String())
		}
	}
}
