package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// cause groups skipped tests whose reason matches re, with a note that
// says what to do.
type cause struct {
	re   *regexp.Regexp
	note string
}

// causes are the known reasons to skip, in the order they are reported.
var causes = []cause{
	{regexp.MustCompile(`(?i)railway schema`),
		"no Railway schema: set RAILWAY_SCHEMA to Railway's schema (SDL, or the introspection JSON src/gql/schema.json of github.com/railwayapp/cli), or put it at ../shared/railway/schema.graphql beside the repository; until then the simulator validates no request"},
	{regexp.MustCompile(`redis-server`),
		"redis-server is not installed (make redis-server INSTALL=1 installs it)"},
}

// summary follows the events of one run.
type summary struct {
	out    io.Writer
	buf    map[string][]string // test output, by package/test, until it ends
	skips  map[string][]string // skipped tests by reason
	order  []string            // reasons, first seen first
	failed bool
}

func newSummary(out io.Writer) *summary {
	return &summary{out: out, buf: map[string][]string{}, skips: map[string][]string{}}
}

// read consumes the events; a line that is not JSON (a build error printed
// by go itself) is passed through.
func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Fprintln(s.out, sc.Text())
			continue
		}
		s.handle(e)
	}
	return sc.Err()
}

func (s *summary) handle(e event) {
	key := e.Package + "/" + e.Test
	switch {
	case e.Action == "build-output":
		fmt.Fprint(s.out, e.Output)
	case e.Action == "build-fail":
		s.failed = true
	case e.Test == "" && e.Action == "output":
		if !strings.HasPrefix(e.Output, "=== ") && e.Output != "PASS\n" {
			fmt.Fprint(s.out, e.Output) // ok/FAIL lines, panics outside a test
		}
	case e.Test == "" && e.Action == "fail":
		s.failed = true
	case e.Action == "output":
		s.buf[key] = append(s.buf[key], e.Output)
	case e.Action == "fail":
		fmt.Fprint(s.out, strings.Join(s.buf[key], ""))
		delete(s.buf, key)
	case e.Action == "skip" && e.Test == "":
		// a package without test files, not a skipped test
	case e.Action == "skip":
		s.skip(path.Base(e.Package)+"."+e.Test, reason(s.buf[key]))
		delete(s.buf, key)
	case e.Action == "pass":
		delete(s.buf, key)
	}
}

// reason is the last line a skipped test logged, without its file:line.
func reason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "--- SKIP") || strings.HasPrefix(l, "=== ") {
			continue
		}
		if _, msg, ok := strings.Cut(l, ": "); ok && strings.Contains(l[:strings.Index(l, ": ")], ".go:") {
			return msg
		}
		return l
	}
	return "no reason given"
}

func (s *summary) skip(test, why string) {
	for _, c := range causes {
		if c.re.MatchString(why) {
			why = c.note
			break
		}
	}
	if _, ok := s.skips[why]; !ok {
		s.order = append(s.order, why)
	}
	s.skips[why] = append(s.skips[why], test)
}

// printSkips prints one line per cause: "skipped N tests (CAUSE): A, B".
func (s *summary) printSkips() {
	for _, why := range s.order {
		tests := s.skips[why]
		slices.Sort(tests)
		noun := "tests"
		if len(tests) == 1 {
			noun = "test"
		}
		fmt.Fprintf(s.out, "skipped %d %s (%s): %s\n", len(tests), noun, why, strings.Join(tests, ", "))
	}
}
