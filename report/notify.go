package report

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/clock"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// defaultQueueSize bounds the messages waiting for delivery.
const defaultQueueSize = 64

// maxEventText bounds the event message quoted in a notification.
const maxEventText = 1000

// NotifierOptions configure a Notifier.
type NotifierOptions struct {
	// Sinks receive the messages: the webhook sinks (Sinks.Webhooks()).
	// With none, the Notifier accepts events and sends nothing.
	Sinks []Sink
	// Name is the unit's name, put in every message: the spec's name, or
	// NAME/ENV for a unit of an environment generator.
	Name string
	// Addon names the addon kind in titles ("Redis", the default).
	Addon string
	// Logger receives delivery failures and dropped messages; default nop.
	Logger *zap.Logger
	// Sleep waits out the Degraded grace: d, or until ctx is done. Default
	// a timer; tests inject one they control.
	Sleep func(ctx context.Context, d time.Duration) error
	// Secrets are values to mask in messages besides URL userinfo (the
	// Railway token, the Redis URL, the webhook URLs).
	Secrets []spec.Secret
	// DegradedGrace: default DefaultDegradedGrace.
	DegradedGrace time.Duration
	// MinInterval: default DefaultMinInterval.
	MinInterval time.Duration
	// QueueSize bounds the messages waiting; default 64. When full, the
	// oldest message that is not a rollback or recovery is dropped.
	QueueSize int
	// OnSinkError, when set, is called once per failed delivery with the
	// sink's name.
	OnSinkError func(sink string)
}

// Notifier sends a short message to the webhooks for each notable event
// of the reconciler, deduplicated (see docs/report.md). Notify never blocks:
// messages are delivered by one goroutine, in order. Close drains them.
type Notifier struct {
	opts  NotifierOptions
	log   *zap.Logger
	scrub *scrubber

	mu       sync.Mutex
	closed   bool
	policy   *policy
	queue    []outgoing
	inflight int // messages taken off the queue and not yet delivered
	wake     chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	timers sync.WaitGroup
}

// NewNotifier starts a Notifier; call Close to stop it.
func NewNotifier(opts NotifierOptions) *Notifier {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Sleep == nil {
		opts.Sleep = clock.Sleep
	}
	if opts.DegradedGrace <= 0 {
		opts.DegradedGrace = DefaultDegradedGrace
	}
	if opts.MinInterval <= 0 {
		opts.MinInterval = DefaultMinInterval
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = defaultQueueSize
	}
	if opts.Addon == "" {
		opts.Addon = "Redis"
	}
	if opts.Name == "" {
		opts.Name = "reconciler"
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Notifier{
		opts: opts, log: opts.Logger.Named("notify"), scrub: newScrubber(opts.Secrets...),
		policy: newPolicy(opts.MinInterval),
		wake:   make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{}),
	}
	go n.run()
	return n
}

// Notify takes one event of the reconciler. It only decides and enqueues,
// so it is safe as reconcile.Hooks.Event, which runs under the reconciler's
// lock. After Close it does nothing.
func (n *Notifier) Notify(e state.Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	out, gen := n.policy.decide(e)
	n.enqueue(out)
	if gen > 0 {
		n.timers.Go(func() { n.graceTimer(gen) })
	}
}

func (n *Notifier) graceTimer(gen int) {
	if n.opts.Sleep(n.ctx, n.opts.DegradedGrace) != nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.closed {
		n.enqueue(n.policy.expire(gen))
	}
}

// enqueue appends messages, dropping the oldest droppable one when the
// queue is full. n.mu must be held.
func (n *Notifier) enqueue(out []outgoing) {
	for _, o := range out {
		if len(n.queue) >= n.opts.QueueSize {
			n.dropOne()
		}
		n.queue = append(n.queue, o)
	}
	if len(out) > 0 {
		select {
		case n.wake <- struct{}{}:
		default:
		}
	}
}

func (n *Notifier) dropOne() {
	for i, o := range n.queue {
		if !o.critical() {
			n.log.Warn("notification dropped, queue full", zap.String("event", o.event.Type))
			n.queue = append(n.queue[:i], n.queue[i+1:]...)
			return
		}
	}
	// Only rollbacks and recoveries queued: keep them all (the flap guard
	// bounds them).
}

// run delivers the queue, in order, until Close.
func (n *Notifier) run() {
	defer close(n.done)
	for {
		o, ok := n.next()
		if !ok {
			return
		}
		n.deliver(o)
		n.mu.Lock()
		n.inflight--
		n.mu.Unlock()
	}
}

// next waits for the next message; false once closed and drained, or
// aborted.
func (n *Notifier) next() (outgoing, bool) {
	for {
		n.mu.Lock()
		if n.ctx.Err() != nil {
			n.mu.Unlock()
			return outgoing{}, false
		}
		if len(n.queue) > 0 {
			o := n.queue[0]
			n.queue = n.queue[1:]
			n.inflight++
			n.mu.Unlock()
			return o, true
		}
		closed := n.closed
		n.mu.Unlock()
		if closed {
			return outgoing{}, false
		}
		select {
		case <-n.wake:
		case <-n.ctx.Done():
		}
	}
}

func (n *Notifier) deliver(o outgoing) {
	text := []byte(n.text(o))
	for _, k := range n.opts.Sinks {
		if err := k.Send(n.ctx, nil, text); err != nil {
			n.log.Warn("notification delivery failed", zap.String("sink", k.Name()),
				zap.String("event", o.event.Type), zap.Error(err))
			if n.opts.OnSinkError != nil {
				n.opts.OnSinkError(k.Name())
			}
		}
	}
}

// Close stops taking events, sends a Degraded still held back, and waits
// for the queue to drain or ctx to end; in the latter case the deliveries
// in flight are abandoned and the error says so.
func (n *Notifier) Close(ctx context.Context) error {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		n.enqueue(n.policy.flush())
		select {
		case n.wake <- struct{}{}:
		default:
		}
	}
	n.mu.Unlock()
	var err error
	select {
	case <-n.done:
	case <-ctx.Done():
		n.mu.Lock()
		left := len(n.queue) + n.inflight // the one being sent is abandoned too
		n.mu.Unlock()
		err = fmt.Errorf("closing notifier: %s not delivered: %w", plural(left, "notification"), ctx.Err())
	}
	n.cancel()
	<-n.done
	n.timers.Wait()
	return err
}

// titles say how a message opens for each notified event type; %s is the
// addon kind's name.
var titles = map[string]struct{ word, title string }{
	state.EventDegraded:           {"ALERT", "%s degraded"},
	state.EventRolledBack:         {"ALERT", "rolled back: consumers use their in-memory cache"},
	state.EventHeld:               {"ALERT", "rollback held: no automatic roll forward"},
	state.EventRecovered:          {"RESOLVED", "%s healthy again"},
	state.EventRolledForward:      {"RESOLVED", "rolled forward: consumers use %s again"},
	state.EventAddonCreated:       {"INFO", "%s addon created"},
	state.EventAddonCreateFailed:  {"ALERT", "creating the %s addon failed"},
	state.EventAddonCreateRetry:   {"ALERT", "creating the %s addon once more: no new service appeared"},
	state.EventVariablesCorrected: {"INFO", "consumer variables corrected"},
	state.EventDeployFailed:       {"ALERT", "consumer deploy failed"},
}

// text is the message: "WORD name: title", then the event's reason and
// time, and the count of similar events suppressed; scrubbed.
func (n *Notifier) text(o outgoing) string {
	t := titles[o.event.Type]
	msg := []rune(o.event.Message)
	if len(msg) > maxEventText {
		msg = append(msg[:maxEventText], []rune("...")...)
	}
	title := t.title
	if strings.Contains(title, "%s") {
		title = fmt.Sprintf(title, n.opts.Addon)
	}
	s := fmt.Sprintf("%s %s: %s\n%s (%s)", t.word, n.opts.Name, title, string(msg), second(o.event.At))
	if o.suppressed > 0 {
		s += fmt.Sprintf("\n%s suppressed since the previous message", plural(o.suppressed, "similar event"))
	}
	return n.scrub.String(s)
}
