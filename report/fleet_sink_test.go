package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// TestDeliverFleetReport: every sink takes a fleet report as it takes a
// unit's: stdout as is, the file sink by UTC time, a webhook with the
// fleet's headline over a JSON document.
func TestDeliverFleetReport(t *testing.T) {
	rcv := newReceiver(t, always(200))
	var stdout bytes.Buffer
	dir := filepath.Join(t.TempDir(), "reports")
	sinks, err := NewSinks([]spec.Sink{
		{Kind: spec.SinkStdout}, {Kind: spec.SinkFile, Dir: dir}, {Kind: spec.SinkWebhook, URL: spec.NewSecret(rcv.url())},
	}, SinkOptions{Stdout: &stdout, Logger: zaptest.NewLogger(t), Sleep: (&sleeps{}).sleep})
	if err != nil {
		t.Fatal(err)
	}
	f := BuildFleet(fleetInputs())
	for _, format := range []Format{FormatMarkdown, FormatJSON} {
		if err := sinks.Deliver(t.Context(), f, format); err != nil {
			t.Fatal(err)
		}
	}
	md, js := f.Markdown(), string(must(f.JSON()))
	if stdout.String() != md+js {
		t.Errorf("stdout got %d bytes, want both renderings", stdout.Len())
	}
	for name, want := range map[string]string{"report-20261125T090000Z.md": md, "report-20261125T090000Z.json": js} {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != want {
			t.Errorf("%s: %v, content matches: %v", name, err, string(got) == want)
		}
	}
	texts := rcv.wait(t, 2)
	wantHead := "DRIFT fleet of 3 units: 1 DRIFT, 1 WARN, 1 OK; 2 rollbacks, 1 roll forward in the period"
	if !strings.HasPrefix(texts[0], wantHead+"\n\nReport of 2026-11-25 09:00 UTC.\n\n| unit ") {
		t.Errorf("markdown message opens %q", firstLines(texts[0], 5))
	}
	if !strings.HasPrefix(texts[1], wantHead+"\n```json\n{\n  \"version\": 1,\n  \"kind\": \"fleet\"") {
		t.Errorf("JSON message opens %q", firstLines(texts[1], 4))
	}
	if err := sinks.Deliver(t.Context(), nil, FormatMarkdown); err == nil {
		t.Error("Deliver(nil) succeeded")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// Unit B's secrets, besides unit A's (the fixtures' redisPassword,
// webhookPath and railwayToken).
const (
	redisPasswordB = "Yx8qW3eRt6UiO1pAs5Df"
	webhookPathB   = "/services/T0UNITB77/B0UNITB77/unitBhookSecret789"
	redisHostB     = "billing-redis.proxy.rlwy.net:7001"
)

// TestFleetReportHoldsNoSecretOfAnyUnit plants each unit's secrets in the
// other unit's state (where that unit's own scrub does not know them), then
// renders and delivers the fleet report, and greps every output for every
// secret of both units.
func TestFleetReportHoldsNoSecretOfAnyUnit(t *testing.T) {
	rcv := newReceiver(t, always(200))
	redisB := "redis://default:" + redisPasswordB + "@" + redisHostB
	hookB := "https://hooks.example.com" + webhookPathB
	spA := unitSpec("shop/production", rcv.url(), rawRedisURL())
	spB := unitSpec("billing", hookB, redisB)
	token := spec.NewSecret(railwayToken)

	stA := driftState()
	stA.Name = spA.Name
	addEvents(stA, []state.Event{
		{At: at(5, 0, 0), Type: state.EventAddonCreateFailed, Message: "AUTH " + redisPasswordB + " rejected"},
		{At: at(5, 0, 1), Type: state.EventVariablesSet, Message: "set backend SLACK_PATH=" + webhookPathB},
	})
	stA.Blocked = []string{"cannot reach " + redisB}
	stB := rolledBackState(spB.Name)
	addEvents(stB, []state.Event{
		{At: at(6, 1, 0), Type: state.EventDeployFailed, Message: "deploy FAILED with token " + railwayToken + " and password " + redisPassword},
		{At: at(6, 1, 1), Type: state.EventVariablesSet, Message: "set worker HOOK=" + rcv.url() + " (also " + webhookPath + ")"},
	})
	stB.Drift = []state.DriftItem{{Kind: reconcile.DriftVariable, Service: "worker", Name: "NOTE", Desired: "x", Actual: "pw " + redisPassword, Message: "was " + redisPasswordB}}
	stB.Observed.Error = "railway: token " + railwayToken + " refused"
	units := []Input{
		{Spec: spA, State: stA, Now: reportTime, Secrets: []spec.Secret{token}},
		{Spec: spB, State: stB, Now: reportTime},
	}
	secrets := []string{redisPassword, redisPasswordB, railwayToken, webhookPath, webhookPathB, rcv.url(), hookB}

	// The test plants where it should: B's report alone shows A's secrets.
	if alone := Build(units[1]).Markdown(); !strings.Contains(alone, redisPassword) {
		t.Fatal("unit B's report alone does not show unit A's password: the test plants nothing")
	}

	obs, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(zapcore.NewTee(obs, zaptest.NewLogger(t).Core()))
	var stdout bytes.Buffer
	dir := filepath.Join(t.TempDir(), "reports")
	sinks, err := NewSinks([]spec.Sink{{Kind: spec.SinkStdout}, {Kind: spec.SinkFile, Dir: dir}, {Kind: spec.SinkWebhook, URL: spec.NewSecret(rcv.url())}},
		SinkOptions{Stdout: &stdout, Logger: log, Sleep: (&sleeps{}).sleep})
	if err != nil {
		t.Fatal(err)
	}
	f := BuildFleet(units)
	outputs := map[string]string{"verdict": f.Verdict}
	for i, format := range []Format{FormatMarkdown, FormatJSON} {
		rendered, err := f.Render(format)
		if err != nil {
			t.Fatal(err)
		}
		outputs["report "+string(format)] = string(rendered)
		f.GeneratedAt = f.GeneratedAt.Add(time.Duration(i) * time.Second)
		if err := sinks.Deliver(t.Context(), f, format); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range rcv.wait(t, 2) {
		outputs[fmt.Sprintf("webhook body %d", i)] = m
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, name := range files {
		b, _ := os.ReadFile(name)
		outputs["file "+filepath.Base(name)] = string(b)
	}
	outputs["stdout"] = stdout.String()
	for i, e := range logs.All() {
		outputs[fmt.Sprintf("log %d", i)] = e.Message + " " + fmt.Sprint(e.ContextMap())
	}
	if len(files) != 2 || !strings.Contains(outputs["report markdown"], "AUTH `***` rejected") {
		t.Errorf("%d files; the planted password is not shown masked:\n%s", len(files), outputs["report markdown"])
	}
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s contains the secret %q", name, s)
			}
		}
	}
}

// TestNotifierNamesTheUnit: a generated unit's messages name it NAME/ENV,
// as given, and mask its secrets.
func TestNotifierNamesTheUnit(t *testing.T) {
	rcv := newReceiver(t, always(200))
	sp := unitSpec("smartlic/pr-12", rcv.url(), rawRedisURL())
	n := NewNotifier(NotifierOptions{Sinks: webhookSinks(t, rcv.url(), &sleeps{}).Webhooks(), Name: sp.Name,
		Logger: zaptest.NewLogger(t), Sleep: newGate().sleep, Secrets: SecretsOf(sp, spec.NewSecret(railwayToken))})
	n.Notify(state.Event{At: at(5, 0, 0), Type: state.EventRolledBack, Message: "roll back: AUTH " + redisPassword + " rejected"})
	n.Notify(state.Event{At: at(5, 10, 0), Type: state.EventRolledForward, Message: "roll forward: 62 healthy rounds"})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got := rcv.wait(t, 2)
	want := []string{
		"ALERT smartlic/pr-12: rolled back: consumers use their in-memory cache\nroll back: AUTH *** rejected (2026-11-25 05:00:00Z)",
		"RESOLVED smartlic/pr-12: rolled forward: consumers use Redis again\nroll forward: 62 healthy rounds (2026-11-25 05:10:00Z)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("messages:\n%q\nwant:\n%q", got, want)
	}
}

func TestGroupSpecs(t *testing.T) {
	hook := func(u string) spec.Sink { return spec.Sink{Kind: spec.SinkWebhook, URL: spec.NewSecret(u)} }
	mk := func(name, schedule, format string, sinks ...spec.Sink) *spec.Spec {
		sp := &spec.Spec{Name: name}
		sp.Schedule.Report.Expr, sp.Report.Format, sp.Report.Sinks = schedule, format, sinks
		return sp
	}
	daily, weekdays := "0 9 * * *", "0 9 * * 1-5"
	stdout, file := spec.Sink{Kind: spec.SinkStdout}, spec.Sink{Kind: spec.SinkFile, Dir: "reports/"}
	specs := []*spec.Spec{
		mk("a", daily, "markdown", stdout, hook("https://h.example.com/team-1")),
		mk("b", daily, "markdown", stdout, hook("https://h.example.com/team-2")), // another channel
		mk("c", daily, "markdown", stdout, hook("https://h.example.com/team-1")),
		mk("d", weekdays, "markdown", stdout, hook("https://h.example.com/team-1")), // another schedule
		mk("e", daily, "json", stdout, hook("https://h.example.com/team-1")),        // another format
		mk("f", daily, "markdown", hook("https://h.example.com/team-1"), stdout),    // another order
		mk("g", daily, "markdown", file),
		mk("h", daily, "markdown", file),
	}
	var got []string
	for _, g := range GroupSpecs(specs) {
		var names []string
		for _, sp := range g {
			names = append(names, sp.Name)
		}
		got = append(got, strings.Join(names, "+"))
	}
	if want := []string{"a+c", "b", "d", "e", "f", "g+h"}; !slices.Equal(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
	if GroupSpecs(nil) != nil {
		t.Error("GroupSpecs(nil) is not empty")
	}
}
