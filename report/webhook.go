package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/spec"
)

const (
	// defaultMaxAttempts bounds the POSTs of one webhook delivery.
	defaultMaxAttempts = 5
	// maxMessageLen keeps a message under Slack's 40,000-character limit.
	maxMessageLen = 38000
	// maxErrorBody is how much of an error answer goes into the error.
	maxErrorBody = 256
	// maxDrain is how much of an answer is read so the connection is reused.
	maxDrain = 64 << 10
)

// StatusError is a webhook's answer other than 2xx. Body is the start of
// the answer (Slack says what is wrong there, e.g. "invalid_payload"),
// scrubbed of the webhook URL.
type StatusError struct {
	StatusCode int
	Body       string
}

// Error returns "HTTP <code>: <body>".
func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("HTTP %d", e.StatusCode)
	}
	return fmt.Sprintf("HTTP %d: %s", e.StatusCode, e.Body)
}

// Retryable reports whether the answer is worth another attempt: 5xx only.
func (e *StatusError) Retryable() bool { return e.StatusCode >= 500 }

// TransportError is a POST that got no answer (connection refused, timeout,
// TLS failure). Unlike net/http's *url.Error it never quotes the URL.
type TransportError struct {
	Err error
}

// Error returns the cause, without the URL.
func (e *TransportError) Error() string { return "posting to webhook: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// webhook posts Slack-compatible {"text": ...} messages to a secret URL,
// retrying 5xx answers and transport failures with exponential backoff and
// jitter, never 4xx.
type webhook struct {
	name        string
	url         spec.Secret
	client      *http.Client
	log         *zap.Logger
	now         func() time.Time
	sleep       func(context.Context, time.Duration) error
	maxAttempts int
	scrub       *scrubber
}

func newWebhook(n int, u spec.Secret, opts SinkOptions) *webhook {
	return &webhook{
		name: fmt.Sprintf("webhook #%d", n), url: u, client: opts.HTTPClient,
		log: opts.Logger.Named("report"), now: opts.Now, sleep: opts.Sleep,
		maxAttempts: opts.MaxAttempts, scrub: newScrubber(u),
	}
}

func (w *webhook) Name() string { return w.name }

// Send posts the report, a unit's or a fleet's (markdown as is; JSON as
// the verdict and the document in a code block) or, when d is nil, the
// notification text; &, < and > are escaped as Slack requires.
func (w *webhook) Send(ctx context.Context, d Document, rendered []byte) error {
	body, err := json.Marshal(struct {
		Text string `json:"text"`
	}{w.text(d, rendered)})
	if err != nil {
		return fmt.Errorf("encoding webhook message: %w", err)
	}
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(time.Second),
		backoff.WithRandomizationFactor(0.5),
		backoff.WithMultiplier(2),
		backoff.WithMaxInterval(30*time.Second),
		backoff.WithMaxElapsedTime(0), // attempts are bounded by maxAttempts
		backoff.WithClockProvider(clockFunc(w.now)),
	)
	for attempt := 1; ; attempt++ {
		err := w.post(ctx, body)
		if err == nil {
			return nil
		}
		if !retryable(err) || attempt >= w.maxAttempts {
			return fmt.Errorf("%s: %w", plural(attempt, "attempt"), err)
		}
		wait := bo.NextBackOff()
		w.log.Warn("webhook post failed, retrying", zap.String("sink", w.name),
			zap.Int("attempt", attempt), zap.Duration("wait", wait), zap.Error(err))
		if serr := w.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%s, then %w: %w", plural(attempt, "attempt"), serr, err)
		}
	}
}

// text is the message to post: scrubbed of the webhook's own URL (reports
// and messages are scrubbed already; this is the last guard), escaped for
// Slack, and cut to fit one message.
func (w *webhook) text(d Document, rendered []byte) string {
	return truncate(slackEscape.Replace(w.scrub.String(messageText(d, rendered))))
}

// post makes one attempt.
func (w *webhook) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url.Value(), bytes.NewReader(body))
	if err != nil {
		return backoff.Permanent(w.sanitize(err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return backoff.Permanent(ctx.Err())
		}
		return &TransportError{Err: w.sanitize(err)}
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	// Drain a little more so that the connection can be reused; an error
	// here changes nothing about the answer already received.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &StatusError{StatusCode: resp.StatusCode, Body: w.scrub.String(strings.TrimSpace(strings.ToValidUTF8(string(head), "")))}
}

// sanitize drops the URL net/http puts in its errors (*url.Error quotes
// it), and masks it should the cause repeat it.
func (w *webhook) sanitize(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	if msg := err.Error(); w.scrub.String(msg) != msg {
		return errors.New(w.scrub.String(msg))
	}
	return err
}

func retryable(err error) bool {
	var perm *backoff.PermanentError
	var status *StatusError
	var transport *TransportError
	switch {
	case errors.As(err, &perm):
		return false
	case errors.As(err, &status):
		return status.Retryable()
	}
	return errors.As(err, &transport)
}

// messageText is what a webhook posts: the notification text, the markdown
// report, or the JSON report's verdict with the document in a code block
// (or without it, when it cannot fit one Slack message).
func messageText(d Document, rendered []byte) string {
	text := string(rendered)
	if d == nil || !isJSON(rendered) {
		return text
	}
	h := d.Headline()
	head := fmt.Sprintf("%s %s: %s", h.Status, h.Name, h.Verdict)
	doc := strings.TrimRight(text, "\n")
	if len(head)+len(doc)+16 > maxMessageLen {
		return fmt.Sprintf("%s\n(the JSON report, %d bytes, is too large for one message: see the file sink)", head, len(rendered))
	}
	return head + "\n```json\n" + doc + "\n```"
}

// truncate cuts text at a line boundary to fit maxMessageLen.
func truncate(text string) string {
	if len(text) <= maxMessageLen {
		return text
	}
	const note = "\n... (truncated: the full report is in the file sink)"
	cut := text[:maxMessageLen-len(note)]
	if i := strings.LastIndexByte(cut, '\n'); i > 0 {
		cut = cut[:i]
	}
	return strings.ToValidUTF8(cut, "") + note
}

// slackEscape encodes the three characters Slack's message text reserves
// (<...> makes links and mentions such as <!channel>), so that an event
// message can never ping a channel or render as markup.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// clockFunc adapts an injected now to backoff.Clock.
type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }
