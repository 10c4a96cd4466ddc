package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/clock"
	"github.com/smartlic/reconciler/spec"
)

// Sink is one report destination.
type Sink interface {
	// Name identifies the sink in logs, errors and metrics without showing
	// a secret: "stdout", "file reports/", "webhook #1".
	Name() string
	// Send delivers rendered, the output of d.Render (markdown or JSON):
	// a unit's *Report or a *FleetReport. d is nil for a notification,
	// when rendered is the message text; only webhooks accept
	// notifications. Errors never contain a secret.
	Send(ctx context.Context, d Document, rendered []byte) error
}

// SinkOptions configure the sinks built by NewSinks.
type SinkOptions struct {
	// Stdout is where the stdout sink writes; default os.Stdout.
	Stdout io.Writer
	// HTTPClient posts to webhooks; default a client with a 30s timeout.
	HTTPClient *http.Client
	// Logger receives delivery failures and webhook retries; default nop.
	Logger *zap.Logger
	// Now names report files when the report has no time; default time.Now.
	Now func() time.Time
	// Sleep waits between webhook attempts: d, or until ctx is done.
	// Default a timer; tests inject one that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxAttempts bounds the POSTs of one webhook delivery; default 5.
	MaxAttempts int
	// OnSinkError, when set, is called once per failed delivery with the
	// sink's name (for a metric such as reconciler_report_sink_errors_total).
	OnSinkError func(sink string)
}

func (o *SinkOptions) defaults() {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = clock.Sleep
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = defaultMaxAttempts
	}
}

// ErrBadSink is returned by NewSinks for a sink the spec could not have
// produced (an unknown kind, a file sink without a directory, a webhook
// without a URL).
var ErrBadSink = errors.New("invalid report sink")

// Sinks is the set of destinations of the spec's report.sinks.
type Sinks struct {
	list  []Sink
	log   *zap.Logger
	onErr func(string)
}

// NewSinks builds the sinks of a spec, in order. Webhooks are named
// "webhook #1", "webhook #2", ... in the order they appear.
func NewSinks(sinks []spec.Sink, opts SinkOptions) (*Sinks, error) {
	opts.defaults()
	s := &Sinks{log: opts.Logger.Named("report"), onErr: opts.OnSinkError}
	stdout := &stdoutSink{w: opts.Stdout}
	hooks := 0
	for i, k := range sinks {
		switch {
		case k.Kind == spec.SinkStdout:
			s.list = append(s.list, stdout)
		case k.Kind == spec.SinkFile && k.Dir != "":
			s.list = append(s.list, &fileSink{dir: k.Dir, now: opts.Now})
		case k.Kind == spec.SinkWebhook && !k.URL.IsZero():
			hooks++
			s.list = append(s.list, newWebhook(hooks, k.URL, opts))
		default:
			return nil, fmt.Errorf("report.sinks[%d]: %w", i, ErrBadSink)
		}
	}
	return s, nil
}

// List returns every sink, in spec order.
func (s *Sinks) List() []Sink { return s.list }

// Webhooks returns the webhook sinks: where notifications go.
func (s *Sinks) Webhooks() []Sink {
	var out []Sink
	for _, k := range s.list {
		if _, ok := k.(*webhook); ok {
			out = append(out, k)
		}
	}
	return out
}

// Deliver renders d (a unit's *Report or a *FleetReport) in format f once
// and sends it to every sink, concurrently. A failing sink is logged and
// counted (OnSinkError) and never stops the others; the error returned
// joins one *SinkError per failed sink (nil when all succeeded). It never
// contains a webhook URL.
func (s *Sinks) Deliver(ctx context.Context, d Document, f Format) error {
	if d == nil {
		return errNoDocument
	}
	rendered, err := d.Render(f)
	if err != nil {
		return err
	}
	errs := make([]error, len(s.list))
	var wg sync.WaitGroup
	for i, k := range s.list {
		wg.Go(func() { errs[i] = s.send(ctx, k, d, rendered) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// errNoDocument is Deliver's answer to a nil document.
var errNoDocument = errors.New("no report to deliver")

func (s *Sinks) send(ctx context.Context, k Sink, d Document, rendered []byte) error {
	err := k.Send(ctx, d, rendered)
	if err == nil {
		s.log.Debug("report delivered", zap.String("sink", k.Name()))
		return nil
	}
	s.log.Warn("report delivery failed", zap.String("sink", k.Name()), zap.Error(err))
	if s.onErr != nil {
		s.onErr(k.Name())
	}
	return &SinkError{Sink: k.Name(), Err: err}
}

// SinkError is the failure of one sink.
type SinkError struct {
	Sink string
	Err  error
}

// Error names the sink, never by a secret.
func (e *SinkError) Error() string { return "report sink " + e.Sink + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *SinkError) Unwrap() error { return e.Err }

// stdoutSink writes reports to a writer, one at a time.
type stdoutSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *stdoutSink) Name() string { return "stdout" }

func (s *stdoutSink) Send(_ context.Context, d Document, rendered []byte) error {
	if d == nil {
		return errNotification
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(rendered); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if len(rendered) > 0 && rendered[len(rendered)-1] != '\n' {
		if _, err := io.WriteString(s.w, "\n"); err != nil {
			return fmt.Errorf("writing report: %w", err)
		}
	}
	return nil
}

// errNotification is returned by a sink that takes reports only.
var errNotification = errors.New("this sink takes reports, not notifications")
