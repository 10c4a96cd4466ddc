package railwaytest

import (
	"errors"
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// lazy is a field value computed from the field's arguments, such as a
// connection taking first/after. Resolvers put it in the maps they return.
type lazy func(args map[string]any) (any, error)

// rootFunc resolves one root field by name; it returns errUnsupported for a
// field the simulator does not implement.
type rootFunc func(name string, args map[string]any) (any, error)

// errUnsupported marks a root field or object field the simulator lacks.
var errUnsupported = errors.New("simulator: unsupported field")

// typenameKey is the map key resolvers use to name an object's GraphQL type.
const typenameKey = "__typename"

// executor runs one operation of a parsed document against plain Go values.
// It knows nothing of Railway: the model is reached through rootFunc.
type executor struct {
	schema      *ast.Schema // nil when running without a schema
	doc         *ast.QueryDocument
	vars        map[string]any
	unsupported []string // "Type.field" of every unsupported field hit
}

// fieldGroup is the fields of one response key, merged per the spec.
type fieldGroup struct {
	key    string
	fields []*ast.Field
}

// execute runs op. Root fields run in order; for a mutation the first error
// that nulls the result stops the rest, as graphql-js executes mutations
// serially. A failed non-null root field makes data null.
func (e *executor) execute(op *ast.OperationDefinition, root rootFunc) (*object, gqlerror.List) {
	rootType := "Query"
	if op.Operation == ast.Mutation {
		rootType = "Mutation"
	}
	data := newObject()
	var errs gqlerror.List
	dataNull := false
	for _, g := range e.collect(op.SelectionSet, rootType) {
		f := g.fields[0]
		if f.Name == typenameKey {
			data.set(g.key, rootType)
			continue
		}
		val, err := e.rootField(g, rootType, root)
		if err != nil {
			errs = append(errs, err)
			if e.nonNull(f) {
				dataNull = true
				if op.Operation == ast.Mutation {
					break
				}
			}
		}
		data.set(g.key, val)
	}
	if dataNull {
		return nil, errs
	}
	return data, errs
}

// rootField resolves and projects one root field.
func (e *executor) rootField(g *fieldGroup, rootType string, root rootFunc) (any, *gqlerror.Error) {
	f := g.fields[0]
	path := ast.Path{ast.PathName(g.key)}
	args, err := e.args(f)
	if err != nil {
		return nil, fieldError(f, path, err.Error())
	}
	raw, err := root(f.Name, args)
	if errors.Is(err, errUnsupported) {
		e.unsupported = append(e.unsupported, rootType+"."+f.Name)
		return nil, fieldError(f, path, fmt.Sprintf("simulator: unsupported field %s", f.Name))
	}
	if err != nil {
		return nil, fieldError(f, path, err.Error())
	}
	return e.complete(raw, g.fields, path)
}

// complete projects a resolved value onto the merged sub-selection of fields.
func (e *executor) complete(v any, fields []*ast.Field, path ast.Path) (any, *gqlerror.Error) {
	sel := mergedSelection(fields)
	switch x := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		if len(sel) == 0 {
			if _, isObject := x[typenameKey]; isObject {
				return nil, fieldError(fields[0], path, "field of object type needs a selection")
			}
			return x, nil // a JSON scalar (EnvironmentVariables, SerializedTemplateConfig, ...)
		}
		return e.object(x, e.typeName(x, fields[0]), sel, path)
	case []map[string]any:
		items := make([]any, len(x))
		for i, item := range x {
			items[i] = item
		}
		return e.list(items, fields, path)
	case []any:
		return e.list(x, fields, path)
	default:
		return x, nil
	}
}

// list completes every item of a list value.
func (e *executor) list(items []any, fields []*ast.Field, path ast.Path) (any, *gqlerror.Error) {
	out := make([]any, len(items))
	for i, item := range items {
		val, err := e.complete(item, fields, extend(path, ast.PathIndex(i)))
		if err != nil {
			return nil, err
		}
		out[i] = val
	}
	return out, nil
}

// object projects one object value. A selected field missing from the value
// is reported as unsupported rather than answered with null.
func (e *executor) object(obj map[string]any, typename string, sel ast.SelectionSet, path ast.Path) (any, *gqlerror.Error) {
	out := newObject()
	for _, g := range e.collect(sel, typename) {
		f := g.fields[0]
		fpath := extend(path, ast.PathName(g.key))
		if f.Name == typenameKey {
			out.set(g.key, typename)
			continue
		}
		raw, ok := obj[f.Name]
		if !ok {
			e.unsupported = append(e.unsupported, typename+"."+f.Name)
			return nil, fieldError(f, fpath, fmt.Sprintf("simulator: unsupported field %s.%s", typename, f.Name))
		}
		if fn, isLazy := raw.(lazy); isLazy {
			args, err := e.args(f)
			if err != nil {
				return nil, fieldError(f, fpath, err.Error())
			}
			if raw, err = fn(args); err != nil {
				return nil, fieldError(f, fpath, err.Error())
			}
		}
		val, err := e.complete(raw, g.fields, fpath)
		if err != nil {
			return nil, err
		}
		out.set(g.key, val)
	}
	return out, nil
}

// collect groups the selected fields by response key, expanding fragments
// whose type condition applies to typename and honouring @skip/@include.
func (e *executor) collect(sel ast.SelectionSet, typename string) []*fieldGroup {
	var groups []*fieldGroup
	index := map[string]*fieldGroup{}
	visited := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(ss ast.SelectionSet) {
		for _, s := range ss {
			switch s := s.(type) {
			case *ast.Field:
				if !e.included(s.Directives) {
					continue
				}
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if g, ok := index[key]; ok {
					g.fields = append(g.fields, s)
					continue
				}
				g := &fieldGroup{key: key, fields: []*ast.Field{s}}
				index[key] = g
				groups = append(groups, g)
			case *ast.InlineFragment:
				if e.included(s.Directives) && e.applies(s.TypeCondition, typename) {
					walk(s.SelectionSet)
				}
			case *ast.FragmentSpread:
				def := e.doc.Fragments.ForName(s.Name)
				if visited[s.Name] || def == nil || !e.included(s.Directives) {
					continue
				}
				visited[s.Name] = true
				if e.applies(def.TypeCondition, typename) {
					walk(def.SelectionSet)
				}
			}
		}
	}
	walk(sel)
	return groups
}

// applies reports whether a fragment on cond applies to an object of type
// typename (equal, or an interface/union that typename belongs to).
func (e *executor) applies(cond, typename string) bool {
	if cond == "" || typename == "" || cond == typename {
		return true
	}
	if e.schema == nil {
		return false
	}
	for _, def := range e.schema.PossibleTypes[cond] {
		if def.Name == typename {
			return true
		}
	}
	return false
}

// included evaluates @skip(if:) and @include(if:).
func (e *executor) included(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		arg := d.Arguments.ForName("if")
		if arg == nil {
			continue
		}
		v, _ := arg.Value.Value(e.vars)
		b, _ := v.(bool)
		if (d.Name == "skip" && b) || (d.Name == "include" && !b) {
			return false
		}
	}
	return true
}

// args resolves a field's arguments: schema defaults first, then the literal
// or variable values given (a variable that was not supplied is absent).
func (e *executor) args(f *ast.Field) (map[string]any, error) {
	out := map[string]any{}
	if f.Definition != nil {
		for _, ad := range f.Definition.Arguments {
			if ad.DefaultValue != nil {
				if v, err := ad.DefaultValue.Value(nil); err == nil {
					out[ad.Name] = v
				}
			}
		}
	}
	for _, a := range f.Arguments {
		if a.Value.Kind == ast.Variable {
			if _, ok := e.vars[a.Value.Raw]; !ok {
				continue
			}
		}
		v, err := a.Value.Value(e.vars)
		if err != nil {
			return nil, fmt.Errorf("argument %s: %w", a.Name, err)
		}
		out[a.Name] = v
	}
	return out, nil
}

// typeName names the GraphQL type of an object value: its __typename entry,
// else the named type of the field that returned it (from the schema).
func (e *executor) typeName(obj map[string]any, f *ast.Field) string {
	if tn, ok := obj[typenameKey].(string); ok {
		return tn
	}
	if f.Definition != nil {
		return f.Definition.Type.Name()
	}
	return ""
}

// nonNull reports whether a root field's type is non-null. Without a schema
// it assumes so, as for nearly every Railway root field.
func (e *executor) nonNull(f *ast.Field) bool {
	if f.Definition == nil {
		return true
	}
	return f.Definition.Type.NonNull
}

// mergedSelection concatenates the sub-selections of fields sharing a key.
func mergedSelection(fields []*ast.Field) ast.SelectionSet {
	if len(fields) == 1 {
		return fields[0].SelectionSet
	}
	var sel ast.SelectionSet
	for _, f := range fields {
		sel = append(sel, f.SelectionSet...)
	}
	return sel
}

// extend returns a copy of path with elem appended.
func extend(path ast.Path, elem ast.PathElement) ast.Path {
	return append(append(make(ast.Path, 0, len(path)+1), path...), elem)
}

// fieldError builds a GraphQL error located at field f.
func fieldError(f *ast.Field, path ast.Path, msg string) *gqlerror.Error {
	err := &gqlerror.Error{Message: msg, Path: path}
	if f.Position != nil {
		err.Locations = []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}}
	}
	return err
}

// rootFields lists the root field names an operation selects (fragments
// expanded, aliases ignored, repeats kept), for the request log.
func rootFields(doc *ast.QueryDocument, op *ast.OperationDefinition) []string {
	e := &executor{doc: doc}
	var names []string
	for _, g := range e.collect(op.SelectionSet, "") {
		names = append(names, g.fields[0].Name)
	}
	return names
}
