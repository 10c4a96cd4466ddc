// Package testbin builds the reconciler binary for tests that run it as a
// process of its own (the controller's binary tests, the chaos tests).
package testbin

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	once    sync.Once
	path    string
	errOnce error
)

// Reconciler builds cmd/reconciler once per test binary and returns its
// path. It skips the test under -short: building takes several seconds.
func Reconciler(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping under -short: builds the reconciler binary and runs it")
	}
	once.Do(func() {
		dir, err := os.MkdirTemp("", "reconciler-bin-")
		if err != nil {
			errOnce = err
			return
		}
		path = filepath.Join(dir, "reconciler")
		out, err := exec.Command("go", "build", "-o", path, "github.com/smartlic/reconciler/cmd/reconciler").CombinedOutput()
		if err != nil {
			errOnce = errors.New(string(out))
		}
	})
	if errOnce != nil {
		t.Fatalf("go build: %v", errOnce)
	}
	return path
}
