package spec

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLoadResolvesStatePath checks that a relative state.path is resolved
// against the spec file's directory, not the working directory, and comes
// out absolute (issue 16 item 4).
func TestLoadResolvesStatePath(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "specs")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, extra string) string {
		path := filepath.Join(sub, name)
		if err := os.WriteFile(path, []byte(minimal+extra), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name, extra, want string
	}{
		{"default", "", filepath.Join(sub, ".reconciler", "state.json")},
		{"relative", "state:\n  path: data/state.json\n", filepath.Join(sub, "data", "state.json")},
		{"dot-dot", "state:\n  path: ../state.json\n", filepath.Join(dir, "state.json")},
		{"absolute", "state:\n  path: /var/lib/reconciler/state.json\n", "/var/lib/reconciler/state.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(tt.name+".yaml", tt.extra)
			// From another working directory, through a relative spec path.
			t.Chdir(dir)
			rel, err := filepath.Rel(dir, path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Load(rel, lookup(testEnv))
			if err != nil {
				t.Fatal(err)
			}
			if s.State.Path != tt.want {
				t.Errorf("state.path = %q, want %q", s.State.Path, tt.want)
			}
			if s.File != rel {
				t.Errorf("File = %q, want %q as given", s.File, rel)
			}
		})
	}
	// Parse has no file to resolve against: the path stays as written.
	if s := mustParse(t, minimal); s.State.Path != DefaultStatePath {
		t.Errorf("Parse: state.path = %q, want %q", s.State.Path, DefaultStatePath)
	}
}

func TestLoadEmptyPath(t *testing.T) {
	_, err := Load("", nil)
	want := "the spec file path is empty: pass -f FILE or set RECONCILER_FILE"
	if err == nil || err.Error() != want {
		t.Errorf("Load(\"\") = %v, want %q", err, want)
	}
	if _, ok := err.(*Errors); !ok {
		t.Errorf("Load(\"\") error is %T, want *Errors (exit 3)", err)
	}
}
