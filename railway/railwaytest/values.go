package railwaytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// object is a JSON object that keeps its keys in selection order, as GraphQL
// responses do.
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

// set adds or replaces key.
func (o *object) set(key string, v any) {
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
}

// MarshalJSON writes the keys in insertion order.
func (o *object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		vb, err := json.Marshal(o.vals[k])
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", k, err)
		}
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// argString returns a string argument ("" when absent or null).
func argString(args map[string]any, name string) string {
	s, _ := args[name].(string)
	return s
}

// argBool returns a boolean argument (false when absent or null).
func argBool(args map[string]any, name string) bool {
	b, _ := args[name].(bool)
	return b
}

// argInt returns an integer argument from a literal (int64) or a JSON
// variable (float64).
func argInt(args map[string]any, name string) (int, bool) {
	switch v := args[name].(type) {
	case int64:
		return int(v), true
	case int:
		return v, true
	case float64:
		if v == math.Trunc(v) {
			return int(v), true
		}
	case json.Number:
		n, err := v.Int64()
		return int(n), err == nil
	}
	return 0, false
}

// argObject returns an input-object argument (nil when absent).
func argObject(args map[string]any, name string) map[string]any {
	m, _ := args[name].(map[string]any)
	return m
}

// stringMap converts an EnvironmentVariables value (a JSON object) to a map,
// dropping null values as the CLI does.
func stringMap(v any) (map[string]string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			return map[string]string{}, nil
		}
		return nil, fmt.Errorf("variables must be an object of strings")
	}
	out := make(map[string]string, len(m))
	for k, raw := range m {
		switch x := raw.(type) {
		case nil:
		case string:
			out[k] = x
		default:
			return nil, fmt.Errorf("variable %s must be a string", k)
		}
	}
	return out, nil
}

// connection returns a lazy Relay connection over nodes, paged by first and
// after (cursors are node ids). maxPage > 0 caps the page size.
func connection(typename string, nodes []map[string]any, maxPage int) lazy {
	return func(args map[string]any) (any, error) {
		start := 0
		if after := argString(args, "after"); after != "" {
			start = len(nodes)
			for i, n := range nodes {
				if n["id"] == after {
					start = i + 1
					break
				}
			}
		}
		end := len(nodes)
		if first, ok := argInt(args, "first"); ok && start+first < end {
			end = max(start+first, start)
		}
		if maxPage > 0 && end-start > maxPage {
			end = start + maxPage
		}
		edges := make([]map[string]any, 0, end-start)
		for _, n := range nodes[start:end] {
			edges = append(edges, map[string]any{typenameKey: typename + "Edge", "cursor": n["id"], "node": n})
		}
		info := map[string]any{typenameKey: "PageInfo", "hasNextPage": end < len(nodes), "hasPreviousPage": start > 0,
			"startCursor": nil, "endCursor": nil}
		if len(edges) > 0 {
			info["startCursor"], info["endCursor"] = edges[0]["cursor"], edges[len(edges)-1]["cursor"]
		}
		return map[string]any{typenameKey: typename, "edges": edges, "pageInfo": info}, nil
	}
}

// dateTime formats a DateTime scalar like Railway (ISO-8601, milliseconds, UTC).
func dateTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
