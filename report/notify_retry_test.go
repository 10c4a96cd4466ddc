package report

import (
	"strings"
	"testing"

	"github.com/smartlic/reconciler/state"
)

// Issue 11, item 1: the one extra creation after the grace period is
// notified, as a warning.
func TestNotifierAddonCreateRetry(t *testing.T) {
	rcv := newReceiver(t, always(200))
	n := newTestNotifier(t, rcv, newGate())
	n.Notify(state.Event{At: flapStart, Type: state.EventAddonCreateRetry,
		Message: "no new service appeared for the creation of addon Redis: creating it once more (attempt 2)"})
	got := rcv.wait(t, 1)[0]
	closeNotifier(t, n)
	want := "ALERT smartlic-production: creating the Redis addon once more: no new service appeared\n" +
		"no new service appeared for the creation of addon Redis: creating it once more (attempt 2)"
	if !strings.HasPrefix(got, want) {
		t.Fatalf("message %q, want %q...", got, want)
	}
}
