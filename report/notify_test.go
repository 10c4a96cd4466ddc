package report

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

var flapStart = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

// newTestNotifier notifies the receiver through a real webhook sink.
func newTestNotifier(t *testing.T, rcv *receiver, g *gate) *Notifier {
	t.Helper()
	sinks := webhookSinks(t, rcv.url(), &sleeps{})
	n := NewNotifier(NotifierOptions{
		Sinks: sinks.Webhooks(), Name: "smartlic-production", Logger: zaptest.NewLogger(t), Sleep: g.sleep,
	})
	t.Cleanup(func() { _ = n.Close(context.Background()) })
	return n
}

func closeNotifier(t *testing.T, n *Notifier) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// flapEvents are the events the reconciler records while Redis flaps:
// each flap is a blip (one unhealthy round), then an outage of
// failureThreshold rounds (a rollback) and a recovery long enough to roll
// forward, with the variable writes and deploys that carry out each
// decision. The events come from the real health machine, reconcile.Step.
func flapEvents(flaps int, cfg spec.Rollback) []state.Event {
	h := state.Health{Mode: state.Unbound}
	now := flapStart
	var evs []state.Event
	step := func(in reconcile.Input) {
		var ds []reconcile.Decision
		var out []state.Event
		h, ds, out = reconcile.Step(h, cfg, in, now)
		evs = append(evs, out...)
		for _, d := range ds {
			reason, value := "rolled back", `""`
			if d.Kind == reconcile.DecideRollForward {
				reason, value = "rolled forward", `"${{Redis.REDIS_URL}}"`
			}
			evs = append(evs,
				state.Event{At: now, Type: state.EventVariablesSet, Message: "set backend REDIS_URL=" + value + " (" + reason + ")"},
				state.Event{At: now, Type: state.EventDeploying, Message: "deploying backend (svc-backend): " + reason})
		}
		now = now.Add(5 * time.Second)
	}
	round := func(healthy bool) {
		step(reconcile.Input{Kind: reconcile.InputRound, Healthy: healthy, Known: true, Reason: "ping: connection refused"})
	}
	step(reconcile.Input{Kind: reconcile.InputBound})
	round(true)
	for range flaps {
		round(false) // a blip
		round(true)
		for range cfg.FailureThreshold { // an outage
			round(false)
		}
		for range 20 { // a recovery
			round(true)
		}
	}
	return evs
}

var flapGuard = spec.Rollback{Enabled: true, FailureThreshold: 3, RecoveryThreshold: 2,
	MinRolledBack: time.Minute, MaxRollbacks: 3, RollbackWindow: time.Hour}

func countPrefix(texts []string, prefix string) int {
	n := 0
	for _, s := range texts {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

const (
	msgRolledBack    = "ALERT smartlic-production: rolled back"
	msgHeld          = "ALERT smartlic-production: rollback held"
	msgRolledForward = "RESOLVED smartlic-production: rolled forward"
	msgDegraded      = "ALERT smartlic-production: Redis degraded"
	msgRecovered     = "RESOLVED smartlic-production: Redis healthy again"
)

func TestNotifierFlappingIsBoundedByTheFlapGuard(t *testing.T) {
	evs := flapEvents(10, flapGuard)
	degraded, trips := countType(evs, state.EventDegraded), countType(evs, state.EventRolledBack)+countType(evs, state.EventHeld)
	if degraded < 2*(flapGuard.MaxRollbacks+1) || trips != flapGuard.MaxRollbacks+1 {
		t.Fatalf("the sequence has %d Degraded and %d rollback events; it does not flap into the guard", degraded, trips)
	}
	rcv := newReceiver(t, always(200))
	n := newTestNotifier(t, rcv, newGate())
	for _, e := range evs {
		n.Notify(e)
	}
	// A person leaves Held.
	h := state.Health{Mode: state.ModeHeld}
	_, _, out := reconcile.Step(h, flapGuard, reconcile.Input{Kind: reconcile.InputManualRollForward}, evs[len(evs)-1].At.Add(time.Hour))
	n.Notify(out[0])
	closeNotifier(t, n)
	texts := rcv.drain()

	backs, held, forwards := countPrefix(texts, msgRolledBack), countPrefix(texts, msgHeld), countPrefix(texts, msgRolledForward)
	if backs > flapGuard.MaxRollbacks || held != 1 || forwards != backs+held {
		t.Errorf("%d rollback, %d held, %d roll forward messages; want at most %d, exactly 1, and one recovery each",
			backs, held, forwards, flapGuard.MaxRollbacks)
	}
	if len(texts) != backs+held+forwards {
		t.Errorf("%d messages, want only the rollbacks, the hold and the recoveries:\n%s", len(texts), strings.Join(texts, "\n---\n"))
	}
	assertRecoveryFollowsEachRollback(t, texts)
	t.Logf("%d events, %d messages:\n%s", len(evs), len(texts), strings.Join(texts, "\n---\n"))
}

func countType(evs []state.Event, typ string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func assertRecoveryFollowsEachRollback(t *testing.T, texts []string) {
	t.Helper()
	open := false
	for _, s := range texts {
		switch {
		case strings.HasPrefix(s, msgRolledBack), strings.HasPrefix(s, msgHeld):
			open = true
		case strings.HasPrefix(s, msgRolledForward):
			open = false
		}
	}
	if open {
		t.Errorf("the last rollback message has no recovery message after it:\n%s", strings.Join(texts, "\n---\n"))
	}
}

func TestNotifierRollbackCycle(t *testing.T) {
	rcv := newReceiver(t, always(200))
	n := newTestNotifier(t, rcv, newGate())
	for _, e := range driftState().EventsSince(lastReport) {
		n.Notify(e)
	}
	texts := rcv.wait(t, 3)
	closeNotifier(t, n)
	want := []string{msgRolledBack, msgRolledForward, "ALERT smartlic-production: consumer deploy failed"}
	for i, w := range want {
		if !strings.HasPrefix(texts[i], w) {
			t.Errorf("message %d = %q, want %s...", i+1, texts[i], w)
		}
	}
	wantFirst := msgRolledBack + ": consumers use their in-memory cache\n" +
		"roll back: 3 unhealthy rounds (ping: dial tcp 10.0.0.5:6379: connect: connection refused) (2026-11-25 03:10:10Z)"
	if texts[0] != wantFirst {
		t.Errorf("rollback message\n%q\nwant\n%q", texts[0], wantFirst)
	}
	if extra := rcv.drain(); len(extra) > 0 {
		t.Errorf("unexpected messages %q", extra)
	}
}

func TestNotifierDegradedGrace(t *testing.T) {
	degraded := state.Event{At: flapStart, Type: state.EventDegraded, Message: "redis unhealthy: ping: i/o timeout"}
	recovered := func(after time.Duration) state.Event {
		return state.Event{At: flapStart.Add(after), Type: state.EventRecovered, Message: "redis healthy again after 2 unhealthy rounds"}
	}
	t.Run("a blip inside the grace is not sent", func(t *testing.T) {
		rcv := newReceiver(t, always(200))
		n := newTestNotifier(t, rcv, newGate())
		n.Notify(degraded)
		n.Notify(recovered(10 * time.Second))
		closeNotifier(t, n)
		if got := rcv.drain(); len(got) != 0 {
			t.Errorf("messages %q, want none", got)
		}
	})
	t.Run("a lasting degradation is sent, then its recovery", func(t *testing.T) {
		rcv := newReceiver(t, always(200))
		g := newGate()
		n := newTestNotifier(t, rcv, g)
		n.Notify(degraded)
		if !g.release(t.Context()) {
			t.Fatal("no grace timer")
		}
		if got := rcv.wait(t, 1)[0]; !strings.HasPrefix(got, msgDegraded) || !strings.Contains(got, "i/o timeout") {
			t.Errorf("message %q", got)
		}
		n.Notify(recovered(3 * time.Minute))
		if got := rcv.wait(t, 1)[0]; !strings.HasPrefix(got, msgRecovered) {
			t.Errorf("message %q, want the recovery", got)
		}
		closeNotifier(t, n)
	})
	t.Run("a degradation pending at shutdown is sent", func(t *testing.T) {
		rcv := newReceiver(t, always(200))
		n := newTestNotifier(t, rcv, newGate())
		n.Notify(degraded)
		closeNotifier(t, n)
		if got := rcv.drain(); len(got) != 1 || !strings.HasPrefix(got[0], msgDegraded) {
			t.Errorf("messages %q, want the degradation", got)
		}
	})
}

func TestPolicy(t *testing.T) {
	ev := func(typ string, after time.Duration, msg string) state.Event {
		return state.Event{At: flapStart.Add(after), Type: typ, Message: msg}
	}
	for _, tc := range []struct {
		name   string
		events []state.Event
		// expire fires the grace of the pending Degraded after event i.
		expireAfter []int
		want        []string
		wantSupp    []int
	}{
		{"rate limit per type, suppressed counted", []state.Event{
			ev(state.EventDeployFailed, 0, "backend deployment d1 is FAILED (variables changed)"),
			ev(state.EventDeployFailed, 2*time.Minute, "backend deployment d2 is FAILED (variables changed)"),
			ev(state.EventAddonCreateFailed, 3*time.Minute, "creating addon Redis failed: quota"),
			ev(state.EventDeployFailed, 5*time.Minute, "backend deployment d3 is CRASHED (variables changed)"),
			ev(state.EventDeployFailed, 16*time.Minute, "backend deployment d4 is CRASHED (variables changed)"),
		}, nil, []string{state.EventDeployFailed, state.EventAddonCreateFailed, state.EventDeployFailed}, []int{0, 0, 2}},
		{"rollback writes are not corrections", []state.Event{
			ev(state.EventRolledBack, 0, "roll back: 3 unhealthy rounds (x)"),
			ev(state.EventVariablesSet, 0, `set backend REDIS_URL="" (rolled back)`),
			ev(state.EventVariablesSet, time.Second, `set worker REDIS_URL="" (roll back)`),
			ev(state.EventRolledForward, time.Hour, "manual roll forward"),
			ev(state.EventVariablesSet, time.Hour, `set backend REDIS_URL="${{Redis.REDIS_URL}}" (rolled forward)`),
			ev(state.EventVariablesCorrected, 2*time.Hour, `set backend REDIS_URL="${{Redis.REDIS_URL}}" (variables changed)`),
		}, nil, []string{state.EventRolledBack, state.EventRolledForward, state.EventVariablesCorrected}, []int{0, 0, 0}},
		{"exact repeats are dropped", []state.Event{
			ev(state.EventAddonCreated, 0, "addon Redis created (svc-1) from template redis"),
			ev(state.EventAddonCreated, 0, "addon Redis created (svc-1) from template redis"),
		}, nil, []string{state.EventAddonCreated}, []int{0}},
		{"not notified", []state.Event{
			ev(state.EventRecovering, 0, "x"), ev(state.EventDeploying, 0, "x"), ev(state.EventDeployed, 0, "x"),
			ev(state.EventBound, 0, "x"), ev(state.EventRecoveryInterrupted, 0, "x"), ev(state.EventObservationFailed, 0, "x"),
			ev(state.EventRecovered, 0, "x"), // no degradation was sent
		}, nil, nil, nil},
		{"a suppressed degradation suppresses its recovery", []state.Event{
			ev(state.EventDegraded, 0, "a"), ev(state.EventRecovered, 2*time.Minute, "a"),
			ev(state.EventDegraded, 5*time.Minute, "b"), ev(state.EventRecovered, 7*time.Minute, "b"),
		}, []int{0, 2}, []string{state.EventDegraded, state.EventRecovered}, []int{0, 0}},
		{"a rollback supersedes the degradation", []state.Event{
			ev(state.EventDegraded, 0, "a"), ev(state.EventRolledBack, 10*time.Second, "b"),
		}, []int{1}, []string{state.EventRolledBack}, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPolicy(DefaultMinInterval)
			var got []outgoing
			gen := 0
			for i, e := range tc.events {
				out, g := p.decide(e)
				got = append(got, out...)
				if g > 0 {
					gen = g
				}
				for _, j := range tc.expireAfter {
					if j == i {
						got = append(got, p.expire(gen)...)
					}
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("sent %d messages %+v, want %v", len(got), got, tc.want)
			}
			for i, o := range got {
				if o.event.Type != tc.want[i] || o.suppressed != tc.wantSupp[i] {
					t.Errorf("message %d: %s (%d suppressed), want %s (%d)", i+1, o.event.Type, o.suppressed, tc.want[i], tc.wantSupp[i])
				}
			}
		})
	}
}

func TestNotifierSuppressedCountInMessage(t *testing.T) {
	rcv := newReceiver(t, always(200))
	n := newTestNotifier(t, rcv, newGate())
	for i := range 4 {
		n.Notify(state.Event{At: flapStart.Add(time.Duration(i) * 5 * time.Minute), Type: state.EventDeployFailed, Message: "backend deployment is FAILED"})
	}
	closeNotifier(t, n)
	got := rcv.drain()
	if len(got) != 2 || !strings.HasSuffix(got[1], "\n2 similar events suppressed since the previous message") {
		t.Errorf("messages %q", got)
	}
}

func TestNotifierQueueKeepsRollbacks(t *testing.T) {
	n := &Notifier{opts: NotifierOptions{QueueSize: 2}, log: zaptest.NewLogger(t), wake: make(chan struct{}, 1)}
	out := func(typ string) outgoing { return outgoing{event: state.Event{Type: typ}} }
	n.enqueue([]outgoing{out(state.EventDeployFailed), out(state.EventRolledBack), out(state.EventVariablesCorrected),
		out(state.EventRolledForward), out(state.EventHeld)})
	var got []string
	for _, o := range n.queue {
		got = append(got, o.event.Type)
	}
	want := "RolledBack RolledForward Held"
	if strings.Join(got, " ") != want {
		t.Errorf("queue %v, want %s", got, want)
	}
}

func TestNotifierCloseGivesUpAtDeadline(t *testing.T) {
	arrived, unblock := make(chan struct{}, 8), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-unblock:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(unblock)
	sinks, _ := NewSinks([]spec.Sink{{Kind: spec.SinkWebhook, URL: spec.NewSecret(srv.URL + webhookPath)}},
		SinkOptions{Logger: zaptest.NewLogger(t), Sleep: (&sleeps{}).sleep})
	n := NewNotifier(NotifierOptions{Sinks: sinks.Webhooks(), Logger: zaptest.NewLogger(t), Sleep: newGate().sleep})
	n.Notify(state.Event{At: flapStart, Type: state.EventRolledBack, Message: "roll back"})
	n.Notify(state.Event{At: flapStart.Add(time.Minute), Type: state.EventRolledForward, Message: "roll forward"})
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook got nothing")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := n.Close(ctx)
	// One abandoned in flight, one never taken from the queue.
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "2 notifications not delivered") {
		t.Errorf("Close: %v", err)
	}
	n.Notify(state.Event{At: flapStart, Type: state.EventHeld}) // after Close: ignored, no panic
}

// TestNotifierCloseCountsTheMessageInFlight: the one message being sent when
// the deadline comes is not delivered, and Close says so (it said "0").
func TestNotifierCloseCountsTheMessageInFlight(t *testing.T) {
	arrived, unblock := make(chan struct{}, 8), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select { // no answer until the test ends
		case <-unblock:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(unblock)
	sinks, _ := NewSinks([]spec.Sink{{Kind: spec.SinkWebhook, URL: spec.NewSecret(srv.URL + webhookPath)}},
		SinkOptions{Logger: zaptest.NewLogger(t), Sleep: (&sleeps{}).sleep})
	n := NewNotifier(NotifierOptions{Sinks: sinks.Webhooks(), Logger: zaptest.NewLogger(t), Sleep: newGate().sleep})
	n.Notify(state.Event{At: flapStart, Type: state.EventRolledBack, Message: "roll back"})
	select {
	case <-arrived:
	case <-time.After(10 * time.Second): // a failure bound only
		t.Fatal("the webhook got nothing")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := n.Close(ctx); err == nil || !strings.Contains(err.Error(), ": 1 notification not delivered") {
		t.Errorf("Close: %v", err)
	}
}
