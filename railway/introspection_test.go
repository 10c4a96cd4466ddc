package railway_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The schema test accepts Railway's introspection JSON (the form the CLI
// ships) by converting it to SDL here, rather than skipping: only what
// validation needs is emitted (types, fields, arguments, input fields, enum
// values, interfaces, unions, defaults); descriptions and custom directives
// are dropped.

type introType struct {
	Kind          string       `json:"kind"`
	Name          string       `json:"name"`
	Fields        []introField `json:"fields"`
	InputFields   []introInput `json:"inputFields"`
	Interfaces    []introRef   `json:"interfaces"`
	EnumValues    []introRef   `json:"enumValues"`
	PossibleTypes []introRef   `json:"possibleTypes"`
}

type introField struct {
	Name string       `json:"name"`
	Args []introInput `json:"args"`
	Type introRef     `json:"type"`
}

type introInput struct {
	Name         string   `json:"name"`
	Type         introRef `json:"type"`
	DefaultValue *string  `json:"defaultValue"`
}

type introRef struct {
	Kind   string    `json:"kind"`
	Name   string    `json:"name"`
	OfType *introRef `json:"ofType"`
}

func (r introRef) String() string {
	switch r.Kind {
	case "NON_NULL":
		return r.OfType.String() + "!"
	case "LIST":
		return "[" + r.OfType.String() + "]"
	}
	return r.Name
}

var builtinScalars = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}

// introspectionToSDL converts {"data":{"__schema":...}} (or {"__schema":...})
// to SDL.
func introspectionToSDL(raw []byte) (string, error) {
	var doc struct {
		Data *struct {
			Schema *introSchema `json:"__schema"`
		} `json:"data"`
		Schema *introSchema `json:"__schema"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return "", fmt.Errorf("not introspection JSON: %w", err)
	}
	s := doc.Schema
	if doc.Data != nil && doc.Data.Schema != nil {
		s = doc.Data.Schema
	}
	if s == nil {
		return "", errors.New("no __schema in introspection JSON")
	}
	var b strings.Builder
	b.WriteString("schema {\n")
	for _, root := range []struct {
		op  string
		ref *introRef
	}{{"query", s.QueryType}, {"mutation", s.MutationType}, {"subscription", s.SubscriptionType}} {
		if root.ref != nil {
			fmt.Fprintf(&b, "  %s: %s\n", root.op, root.ref.Name)
		}
	}
	b.WriteString("}\n")
	for _, t := range s.Types {
		if !strings.HasPrefix(t.Name, "__") && !builtinScalars[t.Name] {
			writeType(&b, t)
		}
	}
	return b.String(), nil
}

type introSchema struct {
	QueryType        *introRef   `json:"queryType"`
	MutationType     *introRef   `json:"mutationType"`
	SubscriptionType *introRef   `json:"subscriptionType"`
	Types            []introType `json:"types"`
}

func writeType(b *strings.Builder, t introType) {
	switch t.Kind {
	case "SCALAR":
		fmt.Fprintf(b, "scalar %s\n", t.Name)
	case "ENUM":
		fmt.Fprintf(b, "enum %s {\n", t.Name)
		for _, v := range t.EnumValues {
			fmt.Fprintf(b, "  %s\n", v.Name)
		}
		b.WriteString("}\n")
	case "UNION":
		names := make([]string, 0, len(t.PossibleTypes))
		for _, p := range t.PossibleTypes {
			names = append(names, p.Name)
		}
		fmt.Fprintf(b, "union %s = %s\n", t.Name, strings.Join(names, " | "))
	case "INPUT_OBJECT":
		fmt.Fprintf(b, "input %s {\n", t.Name)
		for _, f := range t.InputFields {
			fmt.Fprintf(b, "  %s\n", inputValue(f))
		}
		b.WriteString("}\n")
	case "OBJECT", "INTERFACE":
		writeObject(b, t)
	}
}

func writeObject(b *strings.Builder, t introType) {
	kw := "type"
	if t.Kind == "INTERFACE" {
		kw = "interface"
	}
	fmt.Fprintf(b, "%s %s", kw, t.Name)
	if len(t.Interfaces) > 0 {
		names := make([]string, 0, len(t.Interfaces))
		for _, i := range t.Interfaces {
			names = append(names, i.Name)
		}
		fmt.Fprintf(b, " implements %s", strings.Join(names, " & "))
	}
	b.WriteString(" {\n")
	for _, f := range t.Fields {
		args := make([]string, 0, len(f.Args))
		for _, a := range f.Args {
			args = append(args, inputValue(a))
		}
		sig := ""
		if len(args) > 0 {
			sig = "(" + strings.Join(args, ", ") + ")"
		}
		fmt.Fprintf(b, "  %s%s: %s\n", f.Name, sig, f.Type)
	}
	b.WriteString("}\n")
}

func inputValue(v introInput) string {
	s := v.Name + ": " + v.Type.String()
	if v.DefaultValue != nil {
		s += " = " + *v.DefaultValue
	}
	return s
}
