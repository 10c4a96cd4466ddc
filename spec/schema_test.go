package spec

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

const schemaFile = "../docs/spec.schema.json"

// schemaNotYAML are the invalid fixtures that are not one YAML document a
// YAML parser hands to a schema validator at all: the editor's YAML parser
// reports them itself.
var schemaNotYAML = map[string]string{
	"alias-bomb":    "alias expansion is refused by the YAML parser (excessive aliasing)",
	"alias-fanout":  "alias expansion is refused by the YAML parser (excessive aliasing)",
	"binary":        "not text",
	"duplicate-key": "the YAML parser refuses duplicate keys",
	"syntax":        "a YAML syntax error",
	"tabs":          "a YAML syntax error",
}

// schemaCannotExpress are the invalid fixtures whose rule a JSON Schema of
// the raw file cannot state; `reconciler validate` checks them. The schema
// must accept each (else it belongs in neither list).
var schemaCannotExpress = map[string]string{
	"consumer-duplicate":    "unique by one field of list items (uniqueItems compares whole items)",
	"consumer-is-addon":     "compares two fields (a consumer's service with addon.service)",
	"credential-variable":   "ties a variable's name to whether its value is literal",
	"cron":                  "cron field ranges (the schema checks the expression's shape)",
	"cron-never":            "whether a cron expression ever fires",
	"create-grace":          "a lower bound on a duration written as text",
	"env-unset":             "needs the environment",
	"environment-pattern":   "whether a glob is well formed",
	"every":                 "a lower bound on a duration inside a cron descriptor",
	"interpolation":         "the interpolation syntax inside any string",
	"multi-document":        "a schema validates one document",
	"postgres-lease":        "compares durations written as text (leaseDuration > renewDeadline > retryPeriod > 0)",
	"postgres-password":     "whether a URL's password is literal text or interpolated",
	"postgres-unused":       "whether a value is empty after interpolation, across two fields",
	"probe-timeout":         "compares a duration with a cron schedule's interval",
	"probe-timeout-cron":    "compares a duration with a cron schedule's interval",
	"probe-timeout-default": "compares a default duration with a cron schedule's interval",
	"redis-url-empty-host":  "the URL's host and port, checked after interpolation",
	"rollback-variable":     "a name in one mapping must be a key of another",
	"token-literal":         "the token-looking literal heuristic",
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("spec.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("spec.schema.json")
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return sch
}

// yamlInstance reads a YAML file as the JSON value an editor validates.
func yamlInstance(path string) (any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// TestSchemaFileUpToDate fails when docs/spec.schema.json is not what
// `reconciler schema` prints (make schema rewrites it, as does -update).
func TestSchemaFileUpToDate(t *testing.T) {
	data, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(schemaFile, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil || !bytes.Equal(data, want) {
		t.Errorf("%s is not the schema `reconciler schema` prints (%v): run make schema", schemaFile, err)
	}
}

func TestSchemaAcceptsValidSpecs(t *testing.T) {
	sch := compileSchema(t)
	files, _ := filepath.Glob("testdata/valid-*.yaml")
	files = append(files, "../examples/desired.yaml")
	if len(files) < 3 {
		t.Fatalf("found %v", files)
	}
	for _, f := range files {
		inst, err := yamlInstance(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestSchemaRejectsInvalidFixtures: every invalid fixture is rejected by
// the schema, except those listed (with a reason) as beyond a schema.
func TestSchemaRejectsInvalidFixtures(t *testing.T) {
	sch := compileSchema(t)
	files, _ := filepath.Glob("testdata/invalid-*.yaml")
	seen := map[string]bool{}
	for _, f := range files {
		rule := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "invalid-"), ".yaml")
		seen[rule] = true
		inst, err := yamlInstance(f)
		_, notYAML := schemaNotYAML[rule]
		switch {
		case err != nil && notYAML:
			continue
		case err != nil:
			t.Errorf("%s: does not read as YAML (%v): list it in schemaNotYAML", f, err)
			continue
		case notYAML:
			t.Errorf("%s: reads as YAML: remove it from schemaNotYAML", f)
		}
		err = sch.Validate(inst)
		if _, listed := schemaCannotExpress[rule]; listed {
			if err != nil {
				t.Errorf("%s: the schema rejects it, remove it from schemaCannotExpress: %v", f, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: the schema accepts it: express its rule, or list it in schemaCannotExpress with the reason", f)
		}
	}
	for _, list := range []map[string]string{schemaNotYAML, schemaCannotExpress} {
		for rule := range list {
			if !seen[rule] {
				t.Errorf("listed %q has no testdata/invalid-%s.yaml", rule, rule)
			}
		}
	}
}

// TestSchemaDescribesEveryField walks the schema: every property has a
// description, and each default is accepted by the property's own schema.
func TestSchemaDescribesEveryField(t *testing.T) {
	data, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" || root["additionalProperties"] != false {
		t.Errorf("$schema, additionalProperties = %v, %v", root["$schema"], root["additionalProperties"])
	}
	count := 0
	var walk func(path string, s map[string]any)
	walk = func(path string, s map[string]any) {
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			ps := p.(map[string]any)
			count++
			if d, _ := ps["description"].(string); d == "" {
				t.Errorf("%s.%s has no description", path, name)
			}
			for _, sub := range subschemas(ps) {
				walk(path+"."+name, sub)
			}
		}
	}
	walk("", root)
	if count < 60 {
		t.Errorf("only %d properties", count)
	}
}

// subschemas are the object schemas nested in s: itself, its items, and
// its anyOf branches.
func subschemas(s map[string]any) []map[string]any {
	out := []map[string]any{s}
	if items, ok := s["items"].(map[string]any); ok {
		out = append(out, items)
	}
	if branches, ok := s["anyOf"].([]any); ok {
		for _, b := range branches {
			if m, ok := b.(map[string]any); ok {
				out = append(out, subschemas(m)...)
			}
		}
	}
	return out
}

// TestSchemaAcceptsInterpolationEverywhere: the schema sees the file before
// interpolation, so any value written as ${NAME} is accepted (as the
// decoder accepts it when NAME holds a valid value).
func TestSchemaAcceptsInterpolationEverywhere(t *testing.T) {
	sch := compileSchema(t)
	for _, file := range []string{"testdata/valid-full.yaml", "testdata/valid-postgres.yaml"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		var values []*yaml.Node
		var walk func(n *yaml.Node, isKey bool)
		walk = func(n *yaml.Node, isKey bool) {
			if n.Kind == yaml.ScalarNode && !isKey {
				values = append(values, n)
			}
			for i, c := range n.Content {
				walk(c, n.Kind == yaml.MappingNode && i%2 == 0)
			}
		}
		walk(&doc, false)
		for _, v := range values {
			old, oldStyle, oldTag := v.Value, v.Style, v.Tag
			v.Value, v.Style, v.Tag = "${SOME_VALUE}", 0, "!!str"
			out, err := yaml.Marshal(&doc)
			v.Value, v.Style, v.Tag = old, oldStyle, oldTag
			if err != nil {
				t.Fatal(err)
			}
			var inst any
			if err := yaml.Unmarshal(out, &inst); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(inst)
			j, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err := sch.Validate(j); err != nil {
				t.Errorf("%s: %q as ${SOME_VALUE}: %v", file, old, err)
			}
		}
	}
}
