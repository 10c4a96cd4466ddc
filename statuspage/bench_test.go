package statuspage

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/smartlic/reconciler/state"
)

// fullView is a unit with everything at its bound: a full History (an
// hour of rounds every second, a day of phase changes every 10 minutes)
// and 50 events (the status document's bound).
func fullView() View {
	v := rolledBackView()
	for i := len(v.Status.Events); i < 50; i++ {
		v.Status.Events = append(v.Status.Events, state.Event{At: t0.Add(-time.Duration(50-i) * time.Minute), Type: "Deployed",
			Message: fmt.Sprintf("backend deployment %s is SUCCESS (roll forward %d)", deployID, i)})
	}
	return v
}

// BenchmarkPage measures GET / with a full History: the page must answer
// in well under 50 ms (it reads memory only).
func BenchmarkPage(b *testing.B) {
	p, err := New(Options{Source: oneUnit(fullView()), Now: func() time.Time { return t0 }})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Register(mux)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept", browserAccept)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("GET / = %d", w.Code)
		}
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}
