package spec

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxReported bounds how many problems one Errors lists; the rest are counted
// in a final line so that a pathological file cannot flood a terminal.
const maxReported = 100

// Error is one problem in a spec file. Line and Col are 1-based; both are 0
// when the problem concerns the file as a whole (unreadable, too large). Path
// is the field path ("rollback.failureThreshold", "consumers[0].service"), or
// "" for a syntax error.
type Error struct {
	File string
	Line int
	Col  int
	Path string
	Msg  string
}

// Error formats the problem as one line: "FILE:LINE:COL: PATH: MESSAGE", with
// the position left out when unknown, the path left out when empty, and the
// file left out when it is empty and there is no position. Control
// characters anywhere (a newline in a key, an interpolated value, a file
// name) are written as Go escapes (\n, \x00), so one problem is always
// exactly one line.
func (e Error) Error() string {
	var b strings.Builder
	if e.File != "" || e.Line > 0 {
		b.WriteString(oneLine(e.File))
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(oneLine(e.Path))
		b.WriteString(": ")
	}
	b.WriteString(oneLine(e.Msg))
	return b.String()
}

// oneLine escapes the control characters of s (newlines, tabs, NUL, C1,
// the Unicode line and paragraph separators) and invalid UTF-8 as strconv
// quotes them, leaving everything else as is.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError
}

// Errors is every problem found in one spec file, sorted by position. Load and
// Parse return it (as *Errors) for anything wrong with the input itself; the
// CLI maps it to exit code 3.
type Errors struct {
	// List holds at least one problem, sorted by line, column, path, message.
	List []Error

	cause error // the I/O error behind an unreadable file, else nil
}

// Unwrap returns the I/O error that made the file unreadable (so that
// errors.Is(err, fs.ErrNotExist) works), or nil.
func (e *Errors) Unwrap() error { return e.cause }

// Error returns one line per problem, in order, joined by newlines.
func (e *Errors) Error() string {
	lines := make([]string, len(e.List))
	for i, p := range e.List {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// newErrors sorts and caps the problems; it returns nil when there are none.
func newErrors(list []Error) *Errors {
	if len(list) == 0 {
		return nil
	}
	list = slices.Clone(list)
	slices.SortStableFunc(list, func(a, b Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Path, b.Path), cmp.Compare(a.Msg, b.Msg))
	})
	list = slices.Compact(list)
	if len(list) > maxReported {
		more := len(list) - maxReported
		list = append(list[:maxReported:maxReported], Error{
			File: list[0].File,
			Msg:  fmt.Sprintf("%d more problems not shown", more),
		})
	}
	return &Errors{List: list}
}

// fileError is a problem with the file as a whole.
func fileError(file, format string, args ...any) *Errors {
	return &Errors{List: []Error{{File: file, Msg: fmt.Sprintf(format, args...)}}}
}
