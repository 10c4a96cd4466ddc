package cli

import (
	"testing"

	"github.com/smartlic/reconciler/state"
)

// exec2Lock holds the state lock as another process would.
func exec2Lock(t *testing.T, path string) func() {
	t.Helper()
	s, err := state.Open(path, state.Options{Holder: "reconciler run"})
	if err != nil {
		t.Fatal(err)
	}
	return func() { s.Close() }
}
