// Package testbin builds the reconciler binary for tests that run it as a
// process of its own (the controller's binary tests, the chaos tests), and
// reads its JSON logs.
package testbin

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	once    sync.Once
	path    string
	errOnce error
)

// Reconciler builds cmd/reconciler once per test binary and returns its
// path. It skips the test under -short: building takes several seconds.
func Reconciler(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping under -short: builds the reconciler binary and runs it")
	}
	once.Do(func() {
		dir, err := os.MkdirTemp("", "reconciler-bin-")
		if err != nil {
			errOnce = err
			return
		}
		path = filepath.Join(dir, "reconciler")
		out, err := exec.Command("go", "build", "-o", path, "github.com/smartlic/reconciler/cmd/reconciler").CombinedOutput()
		if err != nil {
			errOnce = errors.New(string(out))
		}
	})
	if errOnce != nil {
		t.Fatalf("go build: %v", errOnce)
	}
	return path
}

// Logs collects a reconciler process's JSON log lines (its stderr with
// --log-format json) as they come.
type Logs struct {
	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

// ReadLogs reads r, normally the process's StderrPipe, until it ends.
func ReadLogs(r io.Reader) *Logs {
	l := &Logs{done: make(chan struct{})}
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			l.mu.Lock()
			l.lines = append(l.lines, sc.Text())
			l.mu.Unlock()
		}
	}()
	return l
}

// Done is closed when the output has ended (the process exited).
func (l *Logs) Done() <-chan struct{} { return l.done }

// Field returns field of the first line logged with message msg, "" when
// there is none yet.
func (l *Logs) Field(msg, field string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) == nil && e["msg"] == msg {
			s, _ := e[field].(string)
			return s
		}
	}
	return ""
}

// Tail returns the last n lines, all of them when n <= 0.
func (l *Logs) Tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n <= 0 {
		n = len(l.lines)
	}
	return strings.Join(l.lines[max(0, len(l.lines)-n):], "\n")
}
