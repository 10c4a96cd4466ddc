package spec

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/invopop/jsonschema"
)

// SchemaID is where the published schema lives (its $id).
const SchemaID = "https://raw.githubusercontent.com/smartlic/reconciler/main/docs/spec.schema.json"

// The schema describes the file as written, before interpolation: a value
// of any type may be a ${NAME} interpolation, numbers and booleans may be
// written as strings, durations are strings (or 0), sizes numbers or
// strings. These are its shared definitions, referenced by the fields.
const (
	refInterpolated = "#/$defs/interpolated"
	refInteger      = "#/$defs/integer"
	refNumber       = "#/$defs/number"
	refBoolean      = "#/$defs/boolean"
	refDuration     = "#/$defs/duration"
	refSize         = "#/$defs/size"
	refCron         = "#/$defs/cron"
	refScalar       = "#/$defs/scalar"
	refSink         = "#/$defs/sink"
)

// interpolationPattern matches a value holding a ${NAME} or ${NAME:-default}
// interpolation (and not only ${{...}} references).
const interpolationPattern = `\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}`

// Schema returns the JSON Schema (draft 2020-12) of spec version 1, as
// `reconciler schema` prints it and docs/spec.schema.json holds it. It is
// generated from the Go types (github.com/invopop/jsonschema): the fields,
// their nesting and types come from the structs, the defaults from the
// values the decoder starts from, and the descriptions and constraints
// from one table (schemaFields). It validates the raw file, as an editor
// sees it, so a rule that needs interpolation or several fields at once is
// left to `reconciler validate`.
func Schema() ([]byte, error) {
	r := &jsonschema.Reflector{
		Anonymous:                  true,
		ExpandedStruct:             true,
		DoNotReference:             true,
		RequiredFromJSONSchemaTags: true, // required fields come from the table
		Mapper:                     mapType,
	}
	root := r.Reflect(&Spec{})
	root.ID = SchemaID
	root.Title = "reconciler spec, version 1"
	root.Description = "The desired state of a Redis addon on Railway, read by `reconciler` (docs/spec.md). " +
		"Values are interpolated from the environment (${NAME}, ${NAME:-default}) before they are typed; ${{...}} is Railway's reference syntax, kept as written."
	root.Definitions = sharedDefinitions()
	w := &schemaWalker{}
	w.object(root, reflect.TypeOf(Spec{}), reflect.ValueOf(*defaults()), "")
	for path := range schemaFields {
		if !w.seen[path] {
			w.errs = append(w.errs, fmt.Sprintf("%s: in the table but not a field", path))
		}
	}
	if len(w.errs) > 0 {
		return nil, fmt.Errorf("spec schema: %s", strings.Join(w.errs, "; "))
	}
	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("spec schema: %w", err)
	}
	return append(out, '\n'), nil
}

// mapType gives the schema of the Go types whose YAML form differs from
// their Go form; nil lets the reflector decide.
func mapType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeOf(time.Duration(0)):
		return ref(refDuration)
	case reflect.TypeOf(Size(0)):
		return ref(refSize)
	case reflect.TypeOf(Cron{}):
		return ref(refCron)
	case reflect.TypeOf(Sink{}):
		return ref(refSink)
	case reflect.TypeOf(Secret{}):
		return &jsonschema.Schema{Type: "string"}
	}
	switch t.Kind() {
	case reflect.Int:
		return ref(refInteger)
	case reflect.Float64:
		return ref(refNumber)
	case reflect.Bool:
		return ref(refBoolean)
	case reflect.Interface:
		return ref(refScalar)
	}
	return nil
}

func ref(to string) *jsonschema.Schema { return &jsonschema.Schema{Ref: to} }

func typed(t string) *jsonschema.Schema { return &jsonschema.Schema{Type: t} }

func pattern(p string) *jsonschema.Schema { return &jsonschema.Schema{Type: "string", Pattern: p} }

func sharedDefinitions() jsonschema.Definitions {
	object := func(field string) *jsonschema.Schema {
		props := jsonschema.NewProperties()
		props.Set(field, &jsonschema.Schema{Type: "string", MinLength: uint64Ptr(1)})
		return &jsonschema.Schema{Type: "object", Properties: props, Required: []string{field}, AdditionalProperties: jsonschema.FalseSchema}
	}
	return jsonschema.Definitions{
		"interpolated": {Type: "string", Pattern: interpolationPattern,
			Description: "A value taken from the environment: ${NAME}, or ${NAME:-default} when NAME is unset or empty."},
		"integer": {Description: "A whole number, also written as a string or an interpolation.",
			AnyOf: []*jsonschema.Schema{typed("integer"), pattern(`^\s*[-+]?[0-9]+\s*$`), ref(refInterpolated)}},
		"number": {Description: "A number, also written as a string or an interpolation.",
			AnyOf: []*jsonschema.Schema{typed("number"), pattern(`^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$`), ref(refInterpolated)}},
		"boolean": {Description: "true or false (any case); yes, no, on and off are errors.",
			AnyOf: []*jsonschema.Schema{typed("boolean"), pattern(`^\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\s*$`), ref(refInterpolated)}},
		"duration": {Description: "A Go duration: a number with a unit ns, us, ms, s, m or h, combinable (500ms, 5s, 1h30m); 0 alone.",
			AnyOf: []*jsonschema.Schema{pattern(`^\s*[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)\s*$`), {Const: 0}, ref(refInterpolated)}},
		"size": {Description: "A number of bytes, or a whole number with a unit: B, kB, MB, GB, TB (powers of 1000), KiB, MiB, GiB, TiB (powers of 1024).",
			AnyOf: []*jsonschema.Schema{{Type: "integer", Minimum: "0"}, pattern(`^\s*[0-9]+\s*(([kKmMgGtT][iI]?)?[bB])?\s*$`), ref(refInterpolated)}},
		"cron": {Type: "string", Description: `A five-field cron expression ("0 9 * * *") or a descriptor (@hourly, @daily, "@every 30s"), optionally after CRON_TZ=Zone.`,
			AnyOf: []*jsonschema.Schema{
				{Pattern: `^\s*((CRON_)?TZ=\S+\s+)?(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every\s+\S+|\S+(\s+\S+){4})\s*$`},
				ref(refInterpolated)}},
		"scalar": {Description: "A string, a number or true/false.",
			AnyOf: []*jsonschema.Schema{typed("string"), typed("number"), typed("boolean")}},
		"sink": {Description: "stdout, file: DIR (one file per report) or webhook: URL (a Slack-compatible JSON POST; secret).",
			AnyOf: []*jsonschema.Schema{{Const: string(SinkStdout)}, object("file"), object("webhook"), ref(refInterpolated)}},
	}
}

func uint64Ptr(n uint64) *uint64 { return &n }

// schemaWalker applies the table to the reflected schema, following the Go
// type and its default value alongside.
type schemaWalker struct {
	seen map[string]bool
	errs []string
}

// object applies the table to the properties of a struct schema.
func (w *schemaWalker) object(s *jsonschema.Schema, t reflect.Type, def reflect.Value, path string) {
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		prop, ok := s.Properties.Get(name)
		if !ok {
			w.errs = append(w.errs, fmt.Sprintf("%s: not reflected", fieldPath(path, name)))
			continue
		}
		p := fieldPath(path, name)
		s.Properties.Set(name, w.field(s, prop, f.Type, def.Field(i), p))
	}
	if extend := schemaObjects[path]; extend != nil {
		extend(s)
	}
}

// field applies the table entry of path to its property schema, recursing
// into structs and lists of structs; it returns the schema to use.
func (w *schemaWalker) field(parent, s *jsonschema.Schema, t reflect.Type, def reflect.Value, path string) *jsonschema.Schema {
	w.seen[path] = true
	doc, ok := schemaFields[path]
	if !ok {
		w.errs = append(w.errs, fmt.Sprintf("%s: no description in the table", path))
	}
	switch {
	case t.Kind() == reflect.Struct && s.Properties != nil:
		w.object(s, t, def, path)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct && s.Items != nil && s.Items.Properties != nil:
		w.object(s.Items, t.Elem(), itemDefault(t.Elem()), path+"[]")
		w.seen[path+"[]"] = true
		s.Items.Description = schemaFields[path+"[]"].desc
	}
	if doc.required {
		parent.Required = append(parent.Required, path[strings.LastIndex(path, ".")+1:])
	}
	if d, ok := defaultOf(def); ok && !doc.noDefault {
		s.Default = d
	}
	s = doc.apply(s)
	s.Description = doc.desc
	return s
}

// fieldPath joins a table path: "a.b", items as "a[]".
func fieldPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// itemDefault is the value a list item starts from when decoded.
func itemDefault(t reflect.Type) reflect.Value {
	switch t {
	case reflect.TypeOf(Consumer{}):
		return reflect.ValueOf(defaultConsumer())
	case reflect.TypeOf(Endpoint{}):
		return reflect.ValueOf(defaultEndpoint())
	case reflect.TypeOf(LogExpectation{}):
		return reflect.ValueOf(defaultLog())
	}
	return reflect.Zero(t)
}

// defaultOf renders a default value as the file writes it: durations and
// sizes as text, booleans and sizes even when zero, other zero values not.
func defaultOf(v reflect.Value) (any, bool) {
	switch x := v.Interface().(type) {
	case time.Duration:
		return FormatDuration(x), x != 0
	case Size:
		if x == 0 {
			return 0, true
		}
		return x.String(), true
	case Cron:
		return x.Expr, x.Expr != ""
	case bool:
		return x, true
	case int:
		return x, x != 0
	case string:
		return x, x != ""
	case []Sink:
		out := make([]any, 0, len(x))
		for _, k := range x {
			switch k.Kind {
			case SinkFile:
				out = append(out, map[string]any{"file": k.Dir})
			default:
				out = append(out, string(k.Kind)) // webhooks are never defaults
			}
		}
		return out, len(x) > 0
	}
	return nil, false
}

// schemaNumber is a json.Number for a bound.
func schemaNumber(n int) json.Number { return json.Number(strconv.Itoa(n)) }
