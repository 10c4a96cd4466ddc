package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestEmptySpecPath: -f "" is a usage problem with a clear message, exit 3
// (issue 18 item 7), not ": cannot read the spec".
func TestEmptySpecPath(t *testing.T) {
	got := run(t, testEnv, "validate", "-f", "")
	want := "error: the spec file path is empty: pass -f FILE or set RECONCILER_FILE\n"
	if got.code != ExitInvalid || got.stderr != want {
		t.Errorf("got %+v, want exit 3 and %q", got, want)
	}
}

// TestStatePathFollowsTheSpec: validate --print shows a relative state.path
// resolved against the spec's directory, whatever the working directory.
func TestStatePathFollowsTheSpec(t *testing.T) {
	path := writeSpec(t, validSpec+"state:\n  path: data/state.json\n")
	t.Chdir(t.TempDir())
	got := run(t, testEnv, "validate", "--print", "-f", path)
	want := "path: " + filepath.Join(filepath.Dir(path), "data", "state.json") + "\n"
	if got.code != ExitOK || !strings.Contains(got.stdout, want) {
		t.Errorf("got %+v, want a line %q", got, want)
	}
}
