package spec

import (
	"fmt"
	"regexp"
	"strings"
)

// envName is a valid environment variable name (also the rule for variable
// names in consumers and rollback).
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// segKind classifies a piece of a scalar value.
type segKind int

const (
	segLiteral   segKind = iota // text written in the file ($${ already turned into ${)
	segReference                // ${{...}}: Railway's reference syntax, kept verbatim
	segVariable                 // ${NAME} or ${NAME:-default}
)

// segment is one piece of a scalar value.
type segment struct {
	kind   segKind
	text   string // literal text, or the whole ${{...}} reference
	name   string // variable name
	def    string // default text
	hasDef bool
}

// segments splits a scalar into literal text, Railway references and
// environment variables. It fails on an unterminated "${" or "${{" and on a
// "${...}" that is neither ${NAME} nor ${NAME:-default}.
func segments(s string) ([]segment, error) {
	var out []segment
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, segment{kind: segLiteral, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			lit.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${{"):
			end := strings.Index(s[i+3:], "}}")
			if end < 0 {
				return nil, fmt.Errorf("unterminated Railway reference %q: it must end with }}", "${{")
			}
			flush()
			out = append(out, segment{kind: segReference, text: s[i : i+3+end+2]})
			i += 3 + end + 2
		case strings.HasPrefix(s[i:], "${"):
			seg, n, err := variable(s[i:])
			if err != nil {
				return nil, err
			}
			flush()
			out = append(out, seg)
			i += n
		default:
			lit.WriteByte(s[i])
			i++
		}
	}
	flush()
	return out, nil
}

// variable parses "${NAME}" or "${NAME:-default}" at the start of s and
// returns it with the number of bytes it spans.
func variable(s string) (segment, int, error) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return segment{}, 0, fmt.Errorf("unterminated %q: write $${ for a literal ${", "${")
	}
	body := s[2:end]
	name, def, hasDef := strings.Cut(body, ":-")
	if !envName.MatchString(name) {
		return segment{}, 0, fmt.Errorf("invalid interpolation %q: use ${NAME} or ${NAME:-default}", s[:end+1])
	}
	return segment{kind: segVariable, name: name, def: def, hasDef: hasDef}, end + 1, nil
}

// interpolate replaces every ${NAME} and ${NAME:-default} in s from lookup.
// ${NAME:-default} uses default when NAME is unset or empty (as the shell
// does); ${NAME} fails when NAME is unset. ${{...}} is kept as written and
// $${ becomes ${.
func interpolate(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	segs, err := segments(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, seg := range segs {
		switch seg.kind {
		case segLiteral, segReference:
			b.WriteString(seg.text)
		case segVariable:
			v, ok := lookup(seg.name)
			switch {
			case ok && (v != "" || !seg.hasDef):
				b.WriteString(v)
			case seg.hasDef:
				b.WriteString(seg.def)
			default:
				return "", fmt.Errorf("environment variable %s is not set", seg.name)
			}
		}
	}
	return b.String(), nil
}

// literalText returns the parts of a raw scalar that are written in the file
// itself: literal text and the defaults of ${NAME:-default}, each separately.
// References and variable names are left out. An unparsable value is returned
// whole.
func literalText(raw string) []string {
	segs, err := segments(raw)
	if err != nil {
		return []string{raw}
	}
	var out []string
	for _, seg := range segs {
		switch {
		case seg.kind == segLiteral:
			out = append(out, seg.text)
		case seg.kind == segVariable && seg.def != "":
			out = append(out, seg.def)
		}
	}
	return out
}

// isReferenceOnly reports whether s is made only of Railway references
// (${{...}}), with nothing else around them, and is not empty.
func isReferenceOnly(s string) bool {
	if !strings.HasPrefix(s, "${{") {
		return false
	}
	segs, err := segments(s)
	if err != nil {
		return false
	}
	for _, seg := range segs {
		if seg.kind != segReference {
			return false
		}
	}
	return true
}
