package railway_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
)

// loadQuery parses doc and validates it against schema with GraphQL's
// standard rules.
func loadQuery(schema *ast.Schema, doc string) (*ast.QueryDocument, gqlerror.List) {
	return gqlparser.LoadQueryWithRules(schema, doc, rules.NewDefaultRules())
}

// schemaPath finds Railway's schema as the simulator does
// (railwaytest.FindSchema). Absent it, the test is skipped, except under
// CI=true or with $RAILWAY_SCHEMA set, where it fails.
func schemaPath(t testing.TB) string {
	t.Helper()
	p, err := railwaytest.FindSchema()
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" || os.Getenv(railwaytest.SchemaEnv) != "" {
		t.Fatal(err)
	}
	t.Skip(err)
	return ""
}

// loadSchema parses SDL, or introspection JSON (a .json file) converted to
// SDL first.
func loadSchema(t testing.TB, path string) *ast.Schema {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	if strings.HasSuffix(path, ".json") {
		if src, err = introspectionToSDL(raw); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: filepath.Base(path), Input: src})
	if gerr != nil {
		t.Fatalf("%s: %v", path, gerr)
	}
	return schema
}

func validateOperations(t *testing.T, schema *ast.Schema) {
	t.Helper()
	ops := railway.Operations()
	names := make([]string, 0, len(ops))
	for name := range ops {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		doc, errs := loadQuery(schema, ops[name])
		if errs != nil {
			t.Errorf("%s: %v\n%s", name, errs, ops[name])
			continue
		}
		if len(doc.Operations) != 1 || doc.Operations[0].Name != name {
			t.Errorf("%s: want exactly one operation named %s", name, name)
		}
	}
}

// TestOperationsMatchSchema validates every document the client can send
// against Railway's schema (SDL, or introspection JSON when RAILWAY_SCHEMA
// names a .json file).
func TestOperationsMatchSchema(t *testing.T) {
	validateOperations(t, loadSchema(t, schemaPath(t)))
}

// TestOperationsMatchIntrospectionJSON validates the documents against the
// introspection JSON beside the SDL (schema.json), converted to SDL, so the
// two forms of the schema are both checked. It skips when there is none.
func TestOperationsMatchIntrospectionJSON(t *testing.T) {
	path := schemaPath(t)
	if !strings.HasSuffix(path, ".json") {
		path = filepath.Join(filepath.Dir(path), "schema.json")
	}
	if _, err := os.Stat(path); err != nil {
		t.Skip("no introspection JSON beside the schema")
	}
	validateOperations(t, loadSchema(t, path))
}

// TestObserveDocumentsMatchSchema checks the Observe document for several
// alias counts, not only the one Operations returns.
func TestObserveDocumentsMatchSchema(t *testing.T) {
	schema := loadSchema(t, schemaPath(t))
	for _, n := range []int{0, 1, 5} {
		if _, errs := loadQuery(schema, railway.ObserveDocument(n)); errs != nil {
			t.Errorf("Observe with %d services: %v", n, errs)
		}
	}
}

// TestNoForbiddenOperations guards CONTRACT 5: the client has no delete, no
// deploymentRollback and never replaces variables.
func TestNoForbiddenOperations(t *testing.T) {
	for name, doc := range railway.Operations() {
		for _, bad := range []string{"Delete", "delete", "deploymentRollback", "replace", "Rollback"} {
			if strings.Contains(doc, bad) {
				t.Errorf("%s mentions %q", name, bad)
			}
		}
	}
	if !strings.Contains(railway.Operations()[railway.OpUpsertVariables], "skipDeploys: true") {
		t.Error("UpsertVariables must send skipDeploys: true")
	}
}

// TestSchemaRejectsBadDocuments proves the validation has teeth: documents
// with an unknown field, a wrong argument type or an unknown input field fail.
func TestSchemaRejectsBadDocuments(t *testing.T) {
	schema := loadSchema(t, schemaPath(t))
	for _, doc := range []string{
		`query A { project(id: "p") { nope } }`,
		`query B($id: Int!) { deployment(id: $id) { id } }`,
		`mutation C { variableCollectionUpsert(input: {projectId: "p", environmentId: "e", variables: {}, bogus: true}) }`,
		`query D { environment(id: "e") { serviceInstances { edges { node { latestDeployment { id status createdAt notAField } } } } } }`,
	} {
		if _, errs := loadQuery(schema, doc); errs == nil {
			t.Errorf("accepted: %s", doc)
		}
	}
}
