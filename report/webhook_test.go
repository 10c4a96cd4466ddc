package report

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/spec"
)

func webhookSinks(t *testing.T, url string, sl *sleeps) *Sinks {
	t.Helper()
	sinks, err := NewSinks([]spec.Sink{{Kind: spec.SinkWebhook, URL: spec.NewSecret(url)}},
		SinkOptions{Logger: zaptest.NewLogger(t), Sleep: sl.sleep, MaxAttempts: 5})
	if err != nil {
		t.Fatal(err)
	}
	return sinks
}

func TestWebhookRetries(t *testing.T) {
	for _, tc := range []struct {
		name         string
		status       func(n int) int
		wantAttempts int
		wantOK       bool
		wantCode     int
	}{
		{"500 every time: bounded attempts", always(500), 5, false, 500},
		{"503 then success", func(n int) int {
			if n < 3 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}, 3, true, 0},
		{"400 is not retried", always(400), 1, false, 400},
		{"404 is not retried", always(404), 1, false, 404},
		{"429 is not retried (4xx)", always(429), 1, false, 429},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := newReceiver(t, tc.status)
			sl := &sleeps{}
			r := Build(Input{State: cleanState(), Now: reportTime})
			err := webhookSinks(t, rcv.url(), sl).Deliver(t.Context(), r, FormatMarkdown)
			if got := rcv.count(); got != tc.wantAttempts {
				t.Errorf("%d attempts, want %d", got, tc.wantAttempts)
			}
			if got := sl.count(); got != tc.wantAttempts-1 {
				t.Errorf("%d waits, want %d", got, tc.wantAttempts-1)
			}
			var status *StatusError
			switch {
			case tc.wantOK && err != nil:
				t.Errorf("error %v", err)
			case !tc.wantOK && (!errors.As(err, &status) || status.StatusCode != tc.wantCode):
				t.Errorf("error %v, want HTTP %d", err, tc.wantCode)
			}
			if tc.wantOK {
				if got := rcv.wait(t, 1)[0]; got != r.Markdown() {
					t.Errorf("text %q, want the markdown report", got)
				}
			}
		})
	}
}

func TestWebhookBackoffGrows(t *testing.T) {
	rcv := newReceiver(t, always(500))
	sl := &sleeps{}
	_ = webhookSinks(t, rcv.url(), sl).Deliver(t.Context(), Build(Input{State: cleanState(), Now: reportTime}), FormatMarkdown)
	// 1s, 2s, 4s, 8s, each ±50% jitter.
	if len(sl.waits) != 4 {
		t.Fatalf("%d waits, want 4 (5 attempts)", len(sl.waits))
	}
	for i, d := range sl.waits {
		base := time.Second << i
		if d < base/2 || d > base*3/2 {
			t.Errorf("wait %d is %v, want %v ±50%%", i+1, d, base)
		}
	}
}

func TestWebhookNetworkErrorIsRetriedWithoutTheURL(t *testing.T) {
	rcv := newReceiver(t, always(200))
	url := rcv.url()
	rcv.srv.Close()
	sl := &sleeps{}
	err := webhookSinks(t, url, sl).Deliver(t.Context(), Build(Input{State: cleanState(), Now: reportTime}), FormatMarkdown)
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("error %v, want a TransportError", err)
	}
	if sl.count() != 4 {
		t.Errorf("%d waits, want 4 (5 attempts)", sl.count())
	}
	if strings.Contains(err.Error(), webhookPath) || strings.Contains(err.Error(), url) {
		t.Errorf("error shows the URL: %v", err)
	}
}

func TestWebhookStopsWhenContextEnds(t *testing.T) {
	rcv := newReceiver(t, always(500))
	ctx, cancel := context.WithCancel(t.Context())
	stop := func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }
	sinks, _ := NewSinks([]spec.Sink{{Kind: spec.SinkWebhook, URL: spec.NewSecret(rcv.url())}},
		SinkOptions{Logger: zaptest.NewLogger(t), Sleep: stop})
	err := sinks.Deliver(ctx, Build(Input{State: cleanState(), Now: reportTime}), FormatMarkdown)
	if !errors.Is(err, context.Canceled) || rcv.count() != 1 {
		t.Errorf("error %v after %d attempts, want context.Canceled after 1", err, rcv.count())
	}
}

func TestWebhookJSONReport(t *testing.T) {
	rcv := newReceiver(t, always(200))
	r := Build(Input{State: driftState(), Now: reportTime})
	if err := webhookSinks(t, rcv.url(), &sleeps{}).Deliver(t.Context(), r, FormatJSON); err != nil {
		t.Fatal(err)
	}
	text := rcv.wait(t, 1)[0]
	head, body, ok := strings.Cut(text, "\n```json\n")
	if !ok || head != "DRIFT smartlic-production: "+r.Verdict || !strings.HasSuffix(body, "}\n```") {
		t.Fatalf("text is not the verdict and a JSON code block:\n%s", text)
	}
	var back Report
	if err := json.Unmarshal([]byte(strings.TrimSuffix(body, "```")), &back); err != nil || back.Verdict != r.Verdict {
		t.Errorf("code block does not hold the report: %v", err)
	}
}

func TestWebhookEscapesSlackMarkup(t *testing.T) {
	rcv := newReceiver(t, always(200))
	hook := webhookSinks(t, rcv.url(), &sleeps{}).Webhooks()[0]
	if err := hook.Send(t.Context(), nil, []byte("DeployFailed: <!channel> says a & b > c")); err != nil {
		t.Fatal(err)
	}
	if got, want := rcv.wait(t, 1)[0], "DeployFailed: &lt;!channel&gt; says a &amp; b &gt; c"; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
}

func TestMessageTextTruncated(t *testing.T) {
	long := strings.Repeat("- 2026-11-25 03:10:00Z Deployed: backend deployment dep-1 is SUCCESS\n", 1000)
	got := truncate(messageText(nil, []byte(long)))
	if len(got) > maxMessageLen || !strings.HasSuffix(got, "(truncated: the full report is in the file sink)") {
		t.Errorf("truncated to %d bytes, ending %q", len(got), got[len(got)-60:])
	}
	r := Build(Input{State: cleanState(), Now: reportTime})
	big := []byte("{" + strings.Repeat(" ", maxMessageLen) + "}")
	if got := messageText(r, big); strings.Contains(got, "```") || !strings.Contains(got, "too large") {
		t.Errorf("a JSON report too large for a message: %q", got)
	}
}
