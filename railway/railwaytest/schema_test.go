package railwaytest

import (
	"sync"
	"testing"
)

// TestSchemaParsedOncePerPath: simulators share one parsed schema, and
// sharing it is safe: several validate and execute at once (under -race).
func TestSchemaParsedOncePerPath(t *testing.T) {
	requireSchema(t)
	a, b := newRaw(t, Options{}), newRaw(t, Options{})
	if a.schema == nil || a.schema != b.schema {
		t.Fatalf("schemas %p and %p: want one shared, parsed once", a.schema, b.schema)
	}
	const q = `query T($c: String!) { template(code: $c) { ... on Template { id code } } }`
	var wg sync.WaitGroup
	for _, s := range []*Server{a, b, a, b} {
		wg.Go(func() {
			r, err := tryGQL(t.Context(), s, anonymous(), q, map[string]any{"c": "redis"})
			if err != nil || r.Status != 200 || len(r.Errors) > 0 || r.str("template", "id") != RedisTemplateID {
				t.Errorf("concurrent query: %v %s", err, r.Body)
			}
		})
	}
	wg.Wait()
	if len(a.InvalidRequests())+len(b.InvalidRequests()) != 0 {
		t.Errorf("invalid: %q %q", a.InvalidRequests(), b.InvalidRequests())
	}
}
