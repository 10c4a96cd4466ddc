package report

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// receiver is a Slack-compatible webhook endpoint at webhookPath. status
// scripts its answer to the n-th POST (from 1); the texts of accepted
// (2xx) messages arrive on texts.
type receiver struct {
	srv    *httptest.Server
	texts  chan string
	status func(n int) int

	mu       sync.Mutex
	attempts int
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	r := &receiver{texts: make(chan string, 256), status: status}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func always(code int) func(int) int { return func(int) int { return code } }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != webhookPath || req.Method != http.MethodPost {
		http.NotFound(w, req)
		return
	}
	var msg struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(req.Body).Decode(&msg); err != nil || req.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.attempts++
	n := r.attempts
	r.mu.Unlock()
	code := r.status(n)
	if code/100 == 2 {
		r.texts <- msg.Text
	}
	w.WriteHeader(code)
	if code == http.StatusBadRequest {
		_, _ = w.Write([]byte("invalid_token"))
	}
}

func (r *receiver) url() string { return r.srv.URL + webhookPath }

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

// wait returns the next n accepted texts, failing after a generous deadline.
func (r *receiver) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	var out []string
	for len(out) < n {
		select {
		case s := <-r.texts:
			out = append(out, s)
		case <-deadline.C:
			t.Fatalf("received %d of %d messages: %q", len(out), n, out)
		}
	}
	return out
}

// drain returns the texts received so far, without waiting.
func (r *receiver) drain() []string {
	var out []string
	for {
		select {
		case s := <-r.texts:
			out = append(out, s)
		default:
			return out
		}
	}
}
