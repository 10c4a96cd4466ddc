package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// TestSchemaCommand checks that `reconciler schema` prints the JSON Schema
// that docs/spec.schema.json holds.
func TestSchemaCommand(t *testing.T) {
	got := run(t, nil, "schema")
	if got.code != ExitOK || got.stderr != "" {
		t.Fatalf("got %+v", got)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil || doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Fatalf("not a draft 2020-12 schema: %v", err)
	}
	want, err := os.ReadFile("../../docs/spec.schema.json")
	if err != nil || !bytes.Equal(want, []byte(got.stdout)) {
		t.Errorf("docs/spec.schema.json differs from `reconciler schema` (%v): run make schema", err)
	}
}
