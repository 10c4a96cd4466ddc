package railwaytest

import (
	"fmt"
	"github.com/vektah/gqlparser/v2/ast"
	"testing"
)

// TestModelConformsToSchema checks every root resolver and every object the
// builders produce against Railway's schema: root fields exist, object types
// exist, every key is a field of its type, and non-null fields are not null.
func TestModelConformsToSchema(t *testing.T) {
	requireSchema(t)
	w := newWorld(t, Options{})
	createAddon(t, w, "Redis")
	redisID, _ := w.s.ServiceByName(w.projectID, "Redis")
	w.s.AddTCPProxy(w.envID, redisID, "proxy.example", 12345, 0)
	dep := w.s.Deploy(w.envID, w.backendID)
	w.s.AppendLog(dep, "hello")
	schema := w.s.schema

	for name := range w.s.queryRoots() {
		if schema.Query.Fields.ForName(name) == nil {
			t.Errorf("Query.%s is not in the schema", name)
		}
	}
	for name := range w.s.mutationRoots() {
		if schema.Mutation.Fields.ForName(name) == nil {
			t.Errorf("Mutation.%s is not in the schema", name)
		}
	}

	proxies, err := w.s.qTCPProxies(&call{who: caller{token: token{kind: BearerToken}}},
		map[string]any{"environmentId": w.envID, "serviceId": redisID})
	if err != nil {
		t.Fatal(err)
	}
	w.s.mu.Lock()
	tmpl, _ := templateObj()
	d := w.s.m.deployments[dep]
	objects := []any{
		w.s.projectObj(w.s.m.projects[w.projectID]),
		w.s.instanceObj(w.s.m.services[redisID], w.s.m.services[redisID].instances[w.envID]),
		tmpl, logObj(d, d.logs[0]), deploymentObj(d, w.s.statusOf(d)), proxies,
	}
	w.s.mu.Unlock()
	for _, o := range objects {
		checkObject(t, schema.Types, o, "")
	}
}

// schemaTypes is the part of ast.Schema the walk needs.
type schemaTypes = map[string]*ast.Definition

func checkObject(t *testing.T, types schemaTypes, v any, path string) {
	t.Helper()
	switch x := v.(type) {
	case []map[string]any:
		for i, item := range x {
			checkObject(t, types, item, fmt.Sprintf("%s[%d]", path, i))
		}
	case map[string]any:
		tn, isObject := x[typenameKey].(string)
		if !isObject {
			return // a JSON scalar
		}
		def := types[tn]
		if def == nil {
			t.Errorf("%s: type %s is not in the schema", path, tn)
			return
		}
		for key, val := range x {
			if key == typenameKey {
				continue
			}
			fd := def.Fields.ForName(key)
			if fd == nil {
				t.Errorf("%s: %s.%s is not in the schema", path, tn, key)
				continue
			}
			if fn, ok := val.(lazy); ok {
				var err error
				if val, err = fn(map[string]any{}); err != nil {
					t.Errorf("%s.%s: %v", path, key, err)
				}
			}
			if val == nil && fd.Type.NonNull {
				t.Errorf("%s: %s.%s is non-null but nil", path, tn, key)
			}
			checkObject(t, types, val, path+"."+key)
		}
	}
}
