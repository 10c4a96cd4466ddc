// Package proclog collects the output of a test server's child process
// (redis-server, postgres): it hands each line to a callback, as it comes,
// and keeps the last few for error messages.
package proclog

import (
	"bytes"
	"strings"
	"sync"
)

// Lines is an io.Writer for exec.Cmd's Stdout and Stderr.
type Lines struct {
	keep   int
	onLine func(line string) (quote bool)

	mu      sync.Mutex
	partial []byte
	last    []string
}

// New returns a Lines that calls onLine with each complete line (without
// its line ending) and keeps the last keep lines for which it returns
// true: the ones worth quoting in an error.
func New(keep int, onLine func(line string) (quote bool)) *Lines {
	return &Lines{keep: keep, onLine: onLine}
}

// Write implements io.Writer.
func (l *Lines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, b...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := strings.TrimRight(string(l.partial[:i]), "\r")
		l.partial = l.partial[i+1:]
		if !l.onLine(line) {
			continue
		}
		l.last = append(l.last, line)
		if len(l.last) > l.keep {
			l.last = l.last[1:]
		}
	}
}

// Tail formats the last lines kept for an error message: ": a | b", or ""
// when there are none.
func (l *Lines) Tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.last) == 0 {
		return ""
	}
	return ": " + strings.Join(l.last, " | ")
}
