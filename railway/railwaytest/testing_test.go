package railwaytest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// fakeTB records what NewT reports; Fatalf stops the call like FailNow.
type fakeTB struct {
	mu       sync.Mutex
	errors   []string
	fatal    string
	logs     []string
	cleanups []func()
}

type fatalStop struct{}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	panic(fatalStop{})
}
func (f *fakeTB) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

func (f *fakeTB) newT(opts Options) (s *Server) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(fatalStop); !ok {
				panic(r)
			}
		}
	}()
	return NewT(f, opts)
}

func (f *fakeTB) cleanup() {
	for _, fn := range f.cleanups {
		fn()
	}
}

func TestNewTFailsOnInvalidAndUnsupported(t *testing.T) {
	requireSchema(t)
	f := &fakeTB{}
	s := f.newT(Options{})
	defer f.cleanup()
	if s == nil || !s.SchemaLoaded() {
		t.Fatalf("NewT: %q", f.fatal)
	}
	gql(t, s, anonymous(), `{ template(code: "redis") { nope } }`, nil)
	gql(t, s, anonymous(), `{ template(code: "redis") { id readme } }`, nil)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.errors) != 2 || !strings.Contains(f.errors[0], `Cannot query field "nope"`) || !strings.Contains(f.errors[1], "Template.readme") {
		t.Errorf("NewT reported %q", f.errors)
	}
}

func TestWithoutSchema(t *testing.T) {
	t.Chdir(t.TempDir()) // no go.mod above
	t.Setenv(SchemaEnv, "")

	t.Setenv("CI", "")
	f := &fakeTB{}
	s := f.newT(Options{})
	defer f.cleanup()
	if s == nil || s.SchemaLoaded() || len(f.logs) != 1 {
		t.Fatalf("outside CI: server %v, logs %q, fatal %q", s, f.logs, f.fatal)
	}
	// Unvalidated, it still executes; a bogus field is unsupported, not invalid.
	r := gql(t, s, anonymous(), `{ template(code: "redis") { id nope } }`, nil)
	if r.errMessage() != "simulator: unsupported field Template.nope" {
		t.Errorf("body %s", r.Body)
	}
	gql(t, s, anonymous(), `{ template(code: "redis") { id name } }`, nil).ok(t)

	t.Setenv("CI", "true")
	f = &fakeTB{}
	if s := f.newT(Options{}); s != nil || !strings.Contains(f.fatal, "railway schema not found") {
		t.Errorf("under CI: server %v, fatal %q", s, f.fatal)
	}

	t.Setenv(SchemaEnv, "/nonexistent/schema.graphql")
	if _, err := New(Options{}); err == nil {
		t.Error("New with a missing $RAILWAY_SCHEMA succeeded")
	}
	if _, err := New(Options{SchemaPath: "/nonexistent/schema.graphql"}); err == nil {
		t.Error("New with a missing SchemaPath succeeded")
	}
}
