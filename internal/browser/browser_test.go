package browser

import (
	"errors"
	"testing"
)

func TestStartRefusesBadOptions(t *testing.T) {
	if _, _, err := Start(t.Context(), Options{}); err == nil {
		t.Error("Start without a profile directory succeeded")
	}
	_, _, err := Start(t.Context(), Options{ExecPath: "/nonexistent/chromium", DataDir: t.TempDir()})
	if err == nil {
		t.Error("Start with a missing binary succeeded")
	}
}

func TestFindSaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	old := candidates
	candidates = []string{"/nonexistent/chromium"}
	defer func() { candidates = old }()
	if _, err := Find(); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("Find without a browser = %v, want ErrNotInstalled", err)
	}
}
