package spec

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
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
// the position left out when unknown and the path left out when empty.
func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
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
