package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
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

func TestScrub(t *testing.T) {
	sc := newScrubber(SecretsOf(fixtureSpec("https://hooks.example.com"+webhookPath), spec.NewSecret(railwayToken))...)
	for in, want := range map[string]string{
		"dial " + rawRedisURL() + ": refused":           "dial redis://default:***@" + redisHost + ": refused",
		"(" + rawRedisURL() + ").":                      "(redis://default:***@" + redisHost + ").",
		"AUTH " + redisPassword + " rejected":           "AUTH *** rejected",
		"token " + railwayToken:                         "token ***",
		"POST https://hooks.example.com" + webhookPath:  "POST ***",
		"path " + webhookPath + " gone":                 "path *** gone",
		"a stranger: rediss://u:hunter22@other:6380/0":  "a stranger: rediss://u:***@other:6380/0",
		"a token as user: https://ghp_abc123@host/repo": "a token as user: https://***@host/repo",
		"${{Redis.REDIS_URL}} is a reference":           "${{Redis.REDIS_URL}} is a reference",
		"https://backend.example.com/v1/health is fine": "https://backend.example.com/v1/health is fine",
		"": "",
	} {
		if got := sc.String(in); got != want {
			t.Errorf("scrub(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNoSecretInAnyOutput builds reports and messages from a state whose
// drift and events were written with a Redis password, a Railway token and
// a webhook URL in play (some carelessly, in the clear), delivers them to
// every kind of sink, including failing webhooks, and greps every output
// for the secrets: reports, files, stdout, webhook bodies, errors and logs.
func TestNoSecretInAnyOutput(t *testing.T) {
	ok := newReceiver(t, always(200))
	bad := newReceiver(t, always(400))
	gone := newReceiver(t, always(200))
	goneURL := gone.url()
	gone.srv.Close()

	sp := fixtureSpec(ok.url())
	sp.Report.Sinks = append(sp.Report.Sinks,
		spec.Sink{Kind: spec.SinkWebhook, URL: spec.NewSecret(bad.url())},
		spec.Sink{Kind: spec.SinkWebhook, URL: spec.NewSecret(goneURL)},
		spec.Sink{Kind: spec.SinkFile, Dir: filepath.Join(t.TempDir(), "reports")})
	token := spec.NewSecret(railwayToken)
	secrets := []string{redisPassword, railwayToken, webhookPath, ok.url(), bad.url(), goneURL, rawRedisURL()}

	obs, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(zapcore.NewTee(obs, zaptest.NewLogger(t).Core()))

	st := driftState()
	careless := carelessEvents(ok.url())
	addEvents(st, careless)
	st.Drift = append(st.Drift, state.DriftItem{Kind: reconcile.DriftVariable, Service: "backend", Name: "REDIS_URL",
		Desired: "${{Redis.REDIS_URL}}", Actual: spec.MaskValue(rawRedisURL()), Message: "was " + rawRedisURL()})
	st.Blocked = []string{"cannot reach " + rawRedisURL()}
	st.Observed.Error = "railway: POST with token " + railwayToken + " failed"

	var stdout bytes.Buffer
	sinks, err := NewSinks(sp.Report.Sinks, SinkOptions{Stdout: &stdout, Logger: log, Sleep: (&sleeps{}).sleep})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{}
	for _, f := range []Format{FormatMarkdown, FormatJSON} {
		r := Build(Input{Spec: sp, State: st, Now: reportTime.Add(time.Duration(len(outputs)) * time.Second), Secrets: []spec.Secret{token}})
		rendered, err := r.Render(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs["report "+string(f)] = string(rendered)
		outputs["verdict "+string(f)] = r.Verdict
		if err := sinks.Deliver(t.Context(), r, f); err == nil {
			t.Error("Deliver succeeded with a 400 and an unreachable webhook")
		} else {
			outputs["deliver error "+string(f)] = fmt.Sprintf("%v %+v %#v", err, err, err.Error())
		}
	}
	if !strings.Contains(outputs["report markdown"], "`redis://default:***@"+redisHost+"`") {
		t.Errorf("the careless URL is not shown masked:\n%s", outputs["report markdown"])
	}

	n := NewNotifier(NotifierOptions{Sinks: sinks.Webhooks(), Name: sp.Name, Logger: log, Sleep: newGate().sleep,
		Secrets: SecretsOf(sp, token)})
	for _, e := range careless {
		n.Notify(e)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	messages := ok.drain()
	if len(messages) < 2+len(careless)-1 {
		t.Errorf("the webhook got %d texts, want both reports and the notifications", len(messages))
	}
	for i, m := range messages {
		outputs[fmt.Sprintf("webhook body %d", i)] = m
	}
	outputs["stdout"] = stdout.String()
	for i, e := range logs.All() {
		outputs[fmt.Sprintf("log %d", i)] = e.Message + " " + fmt.Sprint(e.ContextMap())
	}
	files, _ := filepath.Glob(filepath.Join(sp.Report.Sinks[4].Dir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		outputs["file "+filepath.Base(f)] = string(b)
	}
	if len(files) != 2 || logs.Len() == 0 {
		t.Errorf("%d files and %d log lines: the test does not look where it should", len(files), logs.Len())
	}
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s contains the secret %q:\n%s", name, s, out)
			}
		}
	}
}

// carelessEvents are notified event types whose messages someone wrote
// with secrets in the clear.
func carelessEvents(webhookURL string) []state.Event {
	return []state.Event{
		{At: at(5, 0, 0), Type: state.EventRolledBack, Message: "roll back: 3 unhealthy rounds (dial " + rawRedisURL() + ": connection refused)"},
		{At: at(5, 0, 1), Type: state.EventDeployFailed, Message: "backend deploy FAILED with token " + railwayToken},
		{At: at(5, 0, 2), Type: state.EventVariablesSet, Message: `set backend SLACK_URL="` + webhookURL + `" (variables changed)`},
		{At: at(5, 0, 3), Type: state.EventAddonCreateFailed, Message: "AUTH " + redisPassword + " rejected"},
		{At: at(5, 10, 0), Type: state.EventRolledForward, Message: "roll forward to " + rawRedisURL()},
	}
}
