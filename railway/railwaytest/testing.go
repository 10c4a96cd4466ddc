package railwaytest

import (
	"errors"
	"os"
)

// TB is the part of testing.TB that NewT uses; *testing.T and *testing.B
// satisfy it. (It is an interface of its own so that the demo binary, which
// uses New, does not link the testing package.)
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// NewT starts a simulator for a test and closes it at cleanup. Every
// schema-invalid request and every unsupported field fails the test. Without
// Railway's schema the simulator still runs, unvalidated, with a log line;
// under CI=true a missing schema fails the test instead.
func NewT(t TB, opts Options) *Server {
	t.Helper()
	if opts.SchemaPath == "" {
		if _, err := FindSchema(); err != nil {
			if os.Getenv("CI") == "true" || !errors.Is(err, errNoSchema) {
				t.Fatalf("railwaytest: %v", err)
			}
			t.Logf("railwaytest: %v; requests are not validated", err)
		}
	}
	user := opts.OnInvalid
	opts.OnInvalid = func(problem string) {
		t.Errorf("railwaytest: %s", problem)
		if user != nil {
			user(problem)
		}
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("railwaytest: %v", err)
	}
	t.Cleanup(func() {
		if f := s.Forbidden(); len(f) > 0 && !opts.ExpectForbidden {
			t.Errorf("railwaytest: forbidden operations received: %q", f)
		}
		s.Close()
	})
	return s
}
