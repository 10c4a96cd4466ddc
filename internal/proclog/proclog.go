// Package proclog runs a test server's child process (redis-server,
// postgres) and collects its output: it hands each line to a callback, as
// it comes, and keeps the last few for error messages.
package proclog

import (
	"bytes"
	"fmt"
	"os/exec"
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

// Process is a started child whose output goes to a Lines.
type Process struct {
	Cmd  *exec.Cmd
	Out  *Lines
	done chan struct{}
}

// Start starts cmd with its Stdout and Stderr going to out, and reaps it
// when it exits.
func Start(cmd *exec.Cmd, out *Lines) (*Process, error) {
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &Process{Cmd: cmd, Out: out, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the exit status of a killed server is of no interest
		close(p.done)
	}()
	return p, nil
}

// Done is closed when the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited and been reaped.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}
