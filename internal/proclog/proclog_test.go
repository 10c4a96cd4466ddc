package proclog

import (
	"fmt"
	"os/exec"
	"testing"
	"time"
)

func TestLinesSplitsKeepsAndQuotes(t *testing.T) {
	var seen []string
	l := New(2, func(line string) bool {
		seen = append(seen, line)
		return line != "skip"
	})
	if got := l.Tail(); got != "" {
		t.Fatalf("Tail of nothing = %q", got)
	}
	for _, chunk := range []string{"one\r\ntw", "o\nskip\n", "three\nfour", "\n", "partial"} {
		if n, err := fmt.Fprint(l, chunk); err != nil || n != len(chunk) {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	if want := []string{"one", "two", "skip", "three", "four"}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("lines = %q, want %q", seen, want)
	}
	if got, want := l.Tail(), ": three | four"; got != want {
		t.Errorf("Tail = %q, want %q", got, want)
	}
}

func TestStartReapsAndCollects(t *testing.T) {
	var lines []string
	out := New(5, func(line string) bool { lines = append(lines, line); return true })
	p, err := Start(exec.Command("/bin/sh", "-c", "echo out; echo err >&2"), out)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the process was not reaped")
	}
	if !p.Exited() || len(lines) != 2 {
		t.Fatalf("Exited %v, lines %q", p.Exited(), lines)
	}
	if _, err := Start(exec.Command("/nonexistent/server"), out); err == nil {
		t.Fatal("Start of a missing binary succeeded")
	}
}
