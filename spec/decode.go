package spec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds the nodes one decode visits, aliases expanded, so that an
// alias bomb ("billion laughs") costs at most this much work.
const maxNodes = 10_000

// position is a 1-based line and column in the file.
type position struct{ line, col int }

func posOf(n *yaml.Node) position { return position{n.Line, n.Column} }

// decoder walks yaml.v3 nodes strictly into a Spec, collecting every problem
// with its position instead of stopping at the first.
type decoder struct {
	file   string
	lookup func(string) (string, bool)
	errs   []Error
	// pos is the position of every value decoded, by path; keyPos the
	// position of its key (for mapping fields). Validation uses them to
	// place errors found after decoding.
	pos       map[string]position
	keyPos    map[string]position
	budget    int
	exhausted bool
	// failed holds the paths that already have a problem, so that
	// validation does not pile a second one onto a value that did not decode;
	// broken the paths whose value had the wrong kind (a list for a
	// mapping), whose fields are then not checked either.
	failed map[string]bool
	broken map[string]bool
}

func newDecoder(file string, lookup func(string) (string, bool)) *decoder {
	return &decoder{
		file: file, lookup: lookup, budget: maxNodes,
		pos: map[string]position{}, keyPos: map[string]position{}, failed: map[string]bool{}, broken: map[string]bool{},
	}
}

// errorf records a problem at node n.
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	if d.exhausted {
		return // the budget error says it all; the rest is noise
	}
	d.failed[path] = true
	d.errs = append(d.errs, Error{File: d.file, Line: n.Line, Col: n.Column, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// errorAt records a problem at path, placed at the path's value when it was
// written, else at the closest written ancestor's key. A path that already
// has a problem gets no second one.
func (d *decoder) errorAt(path, format string, args ...any) {
	d.errorAtPos(d.locate(path), path, format, args...)
}

func (d *decoder) errorAtPos(p position, path, format string, args ...any) {
	if d.failed[path] || d.exhausted {
		return
	}
	for anc := parentPath(path); anc != ""; anc = parentPath(anc) {
		if d.broken[anc] {
			return
		}
	}
	d.failed[path] = true
	d.errs = append(d.errs, Error{File: d.file, Line: p.line, Col: p.col, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) locate(path string) position {
	if p, ok := d.pos[path]; ok {
		return p
	}
	for path != "" {
		path = parentPath(path)
		if p, ok := d.keyPos[path]; ok {
			return p
		}
		if p, ok := d.pos[path]; ok {
			return p
		}
	}
	return position{1, 1}
}

// parentPath strips the last ".field", "[i]" or ["key"] of a path. It scans
// from the start so that a quoted key holding "." or "[" is one segment.
func parentPath(path string) string {
	last := 0
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '.':
			last = i
		case '[':
			last = i
			if i+1 < len(path) && path[i+1] == '"' {
				for i += 2; i < len(path) && path[i] != '"'; i++ {
					if path[i] == '\\' {
						i++
					}
				}
			}
		}
	}
	return path[:last]
}

// join appends a mapping key to path the way jq and kubectl print keys: a
// plain name (letters, digits, "_" and "-") as ".name", anything else
// (empty, dots, spaces, quotes, brackets, control characters) quoted and
// escaped as ["key"], so that a path is always one unambiguous line:
// consumers[0].variables["a.b"], ["0\n0"].
func join(path, field string) string {
	switch {
	case !plainKey(field):
		return path + "[" + strconv.Quote(field) + "]"
	case path == "":
		return field
	}
	return path + "." + field
}

func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r != '_' && r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// deref follows aliases and charges the node budget. It returns nil for a
// nil node and once the budget is spent.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	if n = derefQuiet(n); n == nil || d.exhausted {
		return nil
	}
	if d.budget--; d.budget < 0 {
		d.errorf(n, "", "the document is too large: more than %d YAML nodes (aliases expanded)", maxNodes)
		d.exhausted = true
		return nil
	}
	return n
}

// isNull reports whether n is an explicit or implicit YAML null ("", ~, null).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	}
	return "a scalar"
}

// mapping checks that n is a mapping of the given fields and returns their
// values by name. Unknown, duplicate and credential-named keys are reported.
// A null node is an empty mapping; nil means absent or wrong.
func (d *decoder) mapping(n *yaml.Node, path string, fields ...string) map[string]*yaml.Node {
	if n = d.deref(n); n == nil {
		return nil
	}
	if isNull(n) {
		return map[string]*yaml.Node{}
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", kindName(n))
		d.broken[path] = true
		return nil
	}
	out := make(map[string]*yaml.Node, len(fields))
	d.pairs(n, path, func(k, v *yaml.Node) {
		child := join(path, k.Value)
		if !slices.Contains(fields, k.Value) {
			d.unknownField(k, path, fields)
			return
		}
		out[k.Value] = v
		d.keyPos[child] = posOf(k)
		d.pos[child] = posOf(v)
	})
	return out
}

// pairs calls fn for every key/value of mapping n whose key is a plain
// string, reporting non-string, merge and duplicate keys.
func (d *decoder) pairs(n *yaml.Node, path string, fn func(k, v *yaml.Node)) {
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.deref(n.Content[i])
		if k == nil {
			return
		}
		switch {
		case k.Kind != yaml.ScalarNode:
			d.errorf(k, path, "keys must be strings, got %s", kindName(k))
			continue
		case k.ShortTag() == "!!merge":
			d.errorf(k, path, "merge keys (<<) are not supported: write the fields out")
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.errorf(k, join(path, k.Value), "duplicate key %q (first at line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		fn(k, n.Content[i+1])
	}
}

// unknownField reports a key that is not a field, with a suggestion when one
// is close, and a pointer to the environment when it names a credential.
func (d *decoder) unknownField(k *yaml.Node, path string, fields []string) {
	child := join(path, k.Value)
	if credentialName.MatchString(k.Value) {
		d.errorf(k, child, "credentials do not belong in the spec: they come only from the environment variables %s", credentialVars)
		return
	}
	if s := suggest(k.Value, fields); s != "" {
		d.errorf(k, child, "unknown field %q (did you mean %q?)", k.Value, s)
		return
	}
	d.errorf(k, child, "unknown field %q", k.Value)
}

// sequence checks that n is a list and returns its items; null is empty.
func (d *decoder) sequence(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	if n = d.deref(n); n == nil {
		return nil, false
	}
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a list, got %s", kindName(n))
		d.broken[path] = true
		return nil, false
	}
	return n.Content, true
}

// scalar returns the interpolated text of scalar n. ok is false when n is
// absent, null, or wrong (then the problem is recorded); want names the
// expected type for the message.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n = d.deref(n); n == nil || isNull(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "expected %s, got %s", want, kindName(n))
		return "", false
	}
	if n.Style&yaml.TaggedStyle != 0 && !coreTag(n.ShortTag()) {
		d.errorf(n, path, "unsupported YAML tag %s", n.Tag)
		return "", false
	}
	v, err := interpolate(n.Value, d.lookup)
	if err != nil {
		d.errorf(n, path, "%s", err)
		return "", false
	}
	return v, true
}

func coreTag(tag string) bool {
	switch tag {
	case "!!str", "!!int", "!!float", "!!bool", "!!null":
		return true
	}
	return false
}

// suggest returns the field closest to name (same letters in another case,
// or at most two edits away), or "".
func suggest(name string, fields []string) string {
	best, bestDist := "", 3
	for _, f := range fields {
		if strings.EqualFold(f, name) {
			return f
		}
		if dist := editDistance(strings.ToLower(name), strings.ToLower(f)); dist < bestDist {
			best, bestDist = f, dist
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return len(a) + len(b) // not worth comparing, and keeps the cost bounded
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
