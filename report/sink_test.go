package report

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/spec"
)

func TestFileSinkSameSecondNeverOverwrites(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	sinks, err := NewSinks([]spec.Sink{{Kind: spec.SinkFile, Dir: dir}}, SinkOptions{Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	first := Build(Input{State: driftState(), Now: reportTime})
	second := Build(Input{State: cleanState(), Now: reportTime})
	for _, r := range []*Report{first, second} {
		if err := sinks.Deliver(t.Context(), r, FormatMarkdown); err != nil {
			t.Fatal(err)
		}
	}
	if err := sinks.Deliver(t.Context(), first, FormatJSON); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"report-20261125T090000Z.md":   first.Markdown(),
		"report-20261125T090000Z-2.md": second.Markdown(),
	}
	js, _ := first.JSON()
	want["report-20261125T090000Z.json"] = string(js)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("files %v, want exactly %d (no temp file left)", names(entries), len(want))
	}
	for name, content := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != content {
			t.Errorf("%s: %v, content matches: %v", name, err, string(got) == content)
		}
	}
}

func TestFileSinkConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		// Separate sinks, as separate processes would have.
		s := &fileSink{dir: dir}
		wg.Go(func() {
			r := Build(Input{State: cleanState(), Now: reportTime})
			r.Name = fmt.Sprintf("writer-%d", i)
			errs[i] = s.Send(t.Context(), r, []byte(r.Markdown()))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	seen := map[string]bool{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		seen[strings.Fields(string(b))[1]] = true
	}
	if len(entries) != writers || len(seen) != writers {
		t.Errorf("%d files holding %d distinct reports, want %d of each: %v", len(entries), len(seen), writers, names(entries))
	}
}

func names(entries []os.DirEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestDeliverFailingSinkNeverStopsTheOthers(t *testing.T) {
	rcv := newReceiver(t, always(400))
	var stdout bytes.Buffer
	dir := filepath.Join(t.TempDir(), "out")
	var mu sync.Mutex
	var failed []string
	sinks, err := NewSinks([]spec.Sink{
		{Kind: spec.SinkWebhook, URL: spec.NewSecret(rcv.url())},
		{Kind: spec.SinkStdout},
		{Kind: spec.SinkFile, Dir: dir},
	}, SinkOptions{Stdout: &stdout, Logger: zaptest.NewLogger(t), Sleep: (&sleeps{}).sleep,
		OnSinkError: func(s string) { mu.Lock(); failed = append(failed, s); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	r := Build(Input{State: driftState(), Now: reportTime})
	err = sinks.Deliver(t.Context(), r, FormatMarkdown)

	var se *SinkError
	var status *StatusError
	if !errors.As(err, &se) || se.Sink != "webhook #1" || !errors.As(err, &status) || status.StatusCode != 400 {
		t.Errorf("error %v, want a SinkError of webhook #1 with HTTP 400", err)
	}
	if strings.Contains(err.Error(), rcv.url()) || strings.Contains(err.Error(), webhookPath) {
		t.Errorf("error shows the webhook URL: %v", err)
	}
	if !slices.Equal(failed, []string{"webhook #1"}) {
		t.Errorf("OnSinkError calls %v", failed)
	}
	if stdout.String() != r.Markdown() {
		t.Errorf("stdout got %q", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "report-20261125T090000Z.md")); err != nil {
		t.Errorf("file sink: %v", err)
	}
}

func TestNewSinks(t *testing.T) {
	sinks, err := NewSinks([]spec.Sink{
		{Kind: spec.SinkWebhook, URL: spec.NewSecret("https://a.example.com/x")},
		{Kind: spec.SinkStdout},
		{Kind: spec.SinkFile, Dir: "reports/"},
		{Kind: spec.SinkWebhook, URL: spec.NewSecret("https://b.example.com/y")},
	}, SinkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range sinks.List() {
		got = append(got, s.Name())
	}
	if want := []string{"webhook #1", "stdout", "file reports/", "webhook #2"}; !slices.Equal(got, want) {
		t.Errorf("names %v, want %v", got, want)
	}
	if n := len(sinks.Webhooks()); n != 2 {
		t.Errorf("%d webhooks, want 2", n)
	}
	for _, bad := range []spec.Sink{{Kind: "ftp"}, {Kind: spec.SinkFile}, {Kind: spec.SinkWebhook}} {
		if _, err := NewSinks([]spec.Sink{bad}, SinkOptions{}); !errors.Is(err, ErrBadSink) {
			t.Errorf("NewSinks(%+v) error %v, want ErrBadSink", bad, err)
		}
	}
}

func TestReportSinksRefuseNotifications(t *testing.T) {
	for _, s := range []Sink{&stdoutSink{w: &bytes.Buffer{}}, &fileSink{dir: t.TempDir()}} {
		if err := s.Send(t.Context(), nil, []byte("ALERT x")); !errors.Is(err, errNotification) {
			t.Errorf("%s: Send(nil report) error %v", s.Name(), err)
		}
	}
}
