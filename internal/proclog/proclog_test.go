package proclog

import (
	"fmt"
	"testing"
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
