package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Format is a report's rendering: spec report.format or `report --format`.
type Format string

// Formats.
const (
	FormatMarkdown Format = "markdown"
	FormatJSON     Format = "json"
)

// ErrUnknownFormat is returned by ParseFormat and Render for a format other
// than markdown or json.
var ErrUnknownFormat = errors.New("unknown report format")

// ParseFormat parses "markdown" or "json"; "" is markdown (the default).
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case FormatMarkdown, "":
		return FormatMarkdown, nil
	case FormatJSON:
		return FormatJSON, nil
	}
	return "", fmt.Errorf("%w %q: want markdown or json", ErrUnknownFormat, s)
}

// Render renders the report in format f.
func (r *Report) Render(f Format) ([]byte, error) {
	switch f {
	case FormatMarkdown:
		return []byte(r.Markdown()), nil
	case FormatJSON:
		return r.JSON()
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownFormat, f)
}

// JSON renders the report as indented JSON in the shape of docs/report.md,
// ending with a newline. HTML characters are not escaped.
func (r *Report) JSON() ([]byte, error) { return encodeJSON(r) }

// encodeJSON is the JSON rendering of reports: indented, HTML characters
// not escaped, ending with a newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding report: %w", err)
	}
	return buf.Bytes(), nil
}

// isJSON tells a rendered JSON report from a markdown one: a markdown report
// always opens with its status word, a JSON one with "{".
func isJSON(rendered []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(rendered), []byte("{"))
}
