package railwaytest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// SchemaEnv is the environment variable naming Railway's GraphQL schema (SDL).
const SchemaEnv = "RAILWAY_SCHEMA"

// errNoSchema reports that no schema file was found in the default places.
var errNoSchema = errors.New("railway schema not found")

// FindSchema returns the path of Railway's schema: $RAILWAY_SCHEMA when set,
// else <repo>/../shared/railway/schema.graphql where <repo> is the first
// directory holding go.mod at or above the working directory. It returns an
// error when $RAILWAY_SCHEMA names a missing file or nothing is found.
func FindSchema() (string, error) {
	if p := os.Getenv(SchemaEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", SchemaEnv, err)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding railway schema: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "..", "shared", "railway", "schema.graphql")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("%w (looked for %s)", errNoSchema, p)
			}
			return filepath.Clean(p), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w (no go.mod above the working directory)", errNoSchema)
		}
		dir = parent
	}
}

// schemas caches parsed schemas by path: Railway's SDL is ~5k lines and takes
// milliseconds and megabytes to parse, and every simulator of a test run
// would otherwise parse it again. An *ast.Schema is only read once loaded
// (validation and execution write to the query document, never to the
// schema), so simulators share it. A file changed after its first load is
// not reread.
var schemas struct {
	mu     sync.Mutex
	byPath map[string]*ast.Schema
}

// loadSchema returns the schema at path, parsed on first use.
func loadSchema(path string) (*ast.Schema, error) {
	key, err := filepath.Abs(path)
	if err != nil {
		key = path
	}
	schemas.mu.Lock()
	defer schemas.mu.Unlock()
	if s, ok := schemas.byPath[key]; ok {
		return s, nil
	}
	s, err := parseSchema(path)
	if err != nil {
		return nil, err
	}
	if schemas.byPath == nil {
		schemas.byPath = map[string]*ast.Schema{}
	}
	schemas.byPath[key] = s
	return s, nil
}

// parseSchema reads and parses an SDL schema file.
func parseSchema(path string) (*ast.Schema, error) {
	if strings.HasSuffix(path, ".json") {
		return nil, fmt.Errorf("loading schema %s: introspection JSON is not supported, use the SDL schema.graphql", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading schema: %w", err)
	}
	s, err := gqlparser.LoadSchema(&ast.Source{Name: filepath.Base(path), Input: string(b)})
	if err != nil {
		return nil, fmt.Errorf("parsing schema %s: %w", path, err)
	}
	return s, nil
}

// resolveSchema loads the schema named by opts, or found by FindSchema. A
// schema that cannot be found in the default places is not an error: the
// server then runs without validation. An explicit path that fails is.
func resolveSchema(explicit string) (*ast.Schema, error) {
	path := explicit
	if path == "" {
		p, err := FindSchema()
		if errors.Is(err, errNoSchema) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		path = p
	}
	return loadSchema(path)
}
