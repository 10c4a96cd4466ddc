package railway_test

import (
	"testing"

	"github.com/smartlic/reconciler/railway"
)

// TestSingleAttempt: a call made with SingleAttempt sends one HTTP attempt
// and returns its transient failure, where the same call otherwise retries.
func TestSingleAttempt(t *testing.T) {
	t.Parallel()
	ok := answer(map[string]any{"variableCollectionUpsert": true})
	for _, single := range []bool{false, true} {
		srv := newFakeServer(t, sequence(reply{status: 503, body: "Service Unavailable"}, ok))
		c := newTestClient(t, srv.URL, newFakeClock(), nil)
		ctx := t.Context()
		if single {
			ctx = railway.SingleAttempt(ctx)
		}
		err := upsert(ctx, c)
		want := 2
		if single {
			want = 1
			if !railway.IsTransient(err) {
				t.Fatalf("single attempt: err = %v, want the transient 503", err)
			}
		} else if err != nil {
			t.Fatalf("retried: %v", err)
		}
		if got := len(srv.Requests()); got != want {
			t.Errorf("single %v: %d requests, want %d", single, got, want)
		}
	}
}
