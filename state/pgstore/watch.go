package pgstore

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/clock"
)

// notifyChannel is the NOTIFY channel; payloads are "post NAME",
// "answer ID" and "release NAME", and double as subscription keys.
const notifyChannel = "reconciler"

// listeningPollEvery is how many MailboxPoll ticks pass between two polls
// while the LISTEN connection is up: notifications do the work then, and
// the poll only guards against one lost without an error (a half-open
// connection). While it is down, every tick polls.
const listeningPollEvery = 10

// watcher keeps one LISTEN connection, opened at the first subscription,
// and wakes the subscribers of each payload. While it is not connected,
// and after it reconnects, notifications may have been lost: it then
// wakes everyone, and Wake's subscribers are also polled every
// MailboxPoll.
type watcher struct {
	s    *Store
	want chan struct{} // closed at the first subscription

	mu     sync.Mutex
	subs   map[string]map[chan struct{}]struct{}
	wanted bool

	listening atomic.Bool // LISTEN is up
}

func newWatcher(s *Store) *watcher {
	return &watcher{s: s, want: make(chan struct{}), subs: map[string]map[chan struct{}]struct{}{}}
}

// subscribe returns a channel woken (at most one value pending) by each
// notification whose payload is key, and a cancel func that closes it.
func (w *watcher) subscribe(key string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.subs[key] == nil {
		w.subs[key] = map[chan struct{}]struct{}{}
	}
	w.subs[key][ch] = struct{}{}
	if !w.wanted {
		w.wanted = true
		close(w.want)
	}
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			delete(w.subs[key], ch)
			if len(w.subs[key]) == 0 {
				delete(w.subs, key)
			}
			close(ch)
		})
	}
}

// signal wakes the subscribers of key, or everyone when key is "".
func (w *watcher) signal(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, chans := range w.subs {
		if key != "" && k != key {
			continue
		}
		for ch := range chans {
			select {
			case ch <- struct{}{}:
			default: // one wake-up pending is enough
			}
		}
	}
}

func (w *watcher) run(ctx context.Context) {
	select {
	case <-ctx.Done():
		return
	case <-w.want:
	}
	go w.poll(ctx)
	for ctx.Err() == nil {
		err := w.listen(ctx)
		if ctx.Err() == nil {
			w.s.log.Warn("postgres notifications interrupted; polling meanwhile", zap.Error(err))
			w.signal("")
			_ = clock.Sleep(ctx, w.s.opts.MailboxPoll) // ends early at Close
		}
	}
}

// listen connects, LISTENs and dispatches notifications until an error.
func (w *watcher) listen(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, w.s.cfg.ConnConfig.Copy())
	if err != nil {
		return w.s.fail("connecting for notifications", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(withKind(ctx, "listen"), "LISTEN "+notifyChannel); err != nil {
		return w.s.fail("listening for notifications", err)
	}
	w.listening.Store(true)
	defer w.listening.Store(false)
	w.signal("") // whatever was sent while we were not listening
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return w.s.fail("waiting for notifications", err)
		}
		w.signal(n.Payload)
	}
}

// poll wakes the Wake subscribers of units that have a pending request:
// the fallback for a notification lost across a reconnect. One statement
// for all units, every MailboxPoll while LISTEN is down, every
// listeningPollEvery of them while it is up.
func (w *watcher) poll(ctx context.Context) {
	t := time.NewTicker(w.s.opts.MailboxPoll)
	defer t.Stop()
	for tick := 1; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if w.listening.Load() && tick%listeningPollEvery != 0 {
			continue
		}
		names := w.keys("post ")
		if len(names) == 0 {
			continue
		}
		pending, err := w.s.pendingUnits(ctx, names)
		if err != nil {
			continue // the renewer and LastError report the database down
		}
		for _, n := range pending {
			w.signal("post " + n)
		}
	}
}

// keys returns the subscribed keys with prefix, prefix removed.
func (w *watcher) keys(prefix string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for k := range w.subs {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out = append(out, rest)
		}
	}
	return out
}
