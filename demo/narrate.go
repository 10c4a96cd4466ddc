package demo

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// narratorQueue is how many lines may wait for a slow terminal before the
// hooks' lines are dropped (the driver's own lines always wait).
const narratorQueue = 1024

// narrator writes the story on Out, one line at a time, each stamped with
// the time since the start and a topic. Lines from the controller's hooks
// (called with the reconciler's lock held) are queued and never block;
// the driver's own lines go through the same queue, so the order is kept.
type narrator struct {
	out   io.Writer
	now   func() time.Time
	start time.Time

	lines   chan string
	done    chan struct{}
	dropped atomic.Int64

	// mu guards closed: a sender holds it shared, close exclusively, so no
	// line is ever sent on the closed queue (a late hook's line is dropped).
	mu     sync.RWMutex
	closed bool
}

func newNarrator(out io.Writer, now func() time.Time) *narrator {
	n := &narrator{out: out, now: now, start: now(), lines: make(chan string, narratorQueue), done: make(chan struct{})}
	go n.write()
	return n
}

func (n *narrator) write() {
	defer close(n.done)
	for l := range n.lines {
		_, _ = io.WriteString(n.out, l) // a closed terminal: nothing to do
	}
}

// elapsed is the time since the start.
func (n *narrator) elapsed() time.Duration { return n.now().Sub(n.start) }

// stamp formats a line: "  12.3s  topic     text".
func (n *narrator) stamp(topic, text string) string {
	return fmt.Sprintf("%6.1fs  %-9s %s\n", n.elapsed().Seconds(), topic, text)
}

// say writes a driver line, waiting for room in the queue.
func (n *narrator) say(topic, format string, args ...any) {
	n.send(n.stamp(topic, fmt.Sprintf(format, args...)), true)
}

// hook writes a line from a hook: never blocks, drops when the queue is full.
func (n *narrator) hook(topic, format string, args ...any) {
	n.send(n.stamp(topic, fmt.Sprintf(format, args...)), false)
}

// chapter opens a step of the story.
func (n *narrator) chapter(i, of int, title string) {
	n.send(fmt.Sprintf("\n== %d/%d  %s\n", i, of, title), true)
}

// raw writes text as is (the banner, the report).
func (n *narrator) raw(text string) {
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	n.send(text, true)
}

// Write makes the narrator the controller's stdout (its stdout report
// sink): what it writes is shown as is, in order with the story.
func (n *narrator) Write(p []byte) (int, error) {
	n.send(string(p), true)
	return len(p), nil
}

func (n *narrator) send(line string, wait bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	switch {
	case n.closed:
		n.dropped.Add(1)
	case wait:
		n.lines <- line
	default:
		select {
		case n.lines <- line:
		default:
			n.dropped.Add(1)
		}
	}
}

// close flushes every queued line and stops the writer; later lines are
// dropped.
func (n *narrator) close() {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		close(n.lines)
	}
	n.mu.Unlock()
	<-n.done
}
