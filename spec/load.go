package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxFileSize is the largest spec Load and Parse accept: 1 MiB. A bigger file
// is rejected without being read whole.
const MaxFileSize = 1 << 20

// maxStructure bounds the YAML structure characters (",-:[{?*") of a file
// before it is parsed, which bounds the nodes yaml.v3 builds (and so the
// time and memory a hostile file costs) far below what 1 MiB would allow.
const maxStructure = 20_000

var bom = []byte("\xef\xbb\xbf")

// errInternal marks an *Errors made from a recovered panic.
var errInternal = errors.New("internal error")

// Load reads the spec at path and parses it with Parse. The file must be at
// most MaxFileSize; an empty path, or a missing, unreadable or oversized
// file, is an *Errors naming the file (without a position), whose Unwrap
// returns the cause.
//
// A relative state.path is resolved against the directory of the spec file
// (not the working directory), so that every command run against the same
// spec finds the same state wherever it is run from; Spec.State.Path is
// then absolute.
func Load(path string, lookupEnv func(string) (string, bool)) (*Spec, error) {
	if path == "" {
		return nil, fileError("", "the spec file path is empty: pass -f FILE or set RECONCILER_FILE")
	}
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	s, err := Parse(path, data, lookupEnv)
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(s.State.Path) {
		abs, err := filepath.Abs(filepath.Join(filepath.Dir(path), s.State.Path))
		if err != nil {
			return nil, fileError(path, "resolving state.path against the spec's directory: %v", err)
		}
		s.State.Path = abs
		s.Hash = hash(s)
	}
	return s, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, readError(path, err)
	}
	defer func() { _ = f.Close() }() // read-only: nothing to lose on close
	info, err := f.Stat()
	if err != nil {
		return nil, readError(path, err)
	}
	if info.IsDir() {
		return nil, fileError(path, "cannot read the spec: it is a directory")
	}
	if info.Mode().IsRegular() && info.Size() > MaxFileSize {
		return nil, tooLarge(path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, readError(path, err)
	}
	if len(data) > MaxFileSize {
		return nil, tooLarge(path)
	}
	return data, nil
}

func readError(path string, err error) *Errors {
	cause := err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		cause = pe.Err // the path is already on the line
	}
	e := fileError(path, "cannot read the spec: %v", cause)
	e.cause = err
	return e
}

func tooLarge(path string) *Errors {
	return fileError(path, "the file is larger than %d bytes (1 MiB): a spec is a small file", MaxFileSize)
}

// Parse parses, interpolates, defaults and validates a spec held in memory;
// file names it in errors and becomes Spec.File. lookupEnv resolves ${NAME}
// (nil means an empty environment). Every problem is returned at once as an
// *Errors; Parse never panics, whatever the input.
func Parse(file string, data []byte, lookupEnv func(string) (string, bool)) (s *Spec, err error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	defer func() {
		if recover() != nil { // a bug, not bad input; FuzzLoad hunts for it
			e := fileError(file, "internal error while parsing the spec (please report it)")
			e.cause = errInternal
			s, err = nil, e
		}
	}()
	root, perr := parseYAML(file, data)
	if perr != nil {
		return nil, perr
	}
	d := newDecoder(file, lookupEnv)
	s = defaults()
	d.decodeSpec(root, s)
	if !d.exhausted {
		d.validate(s)
	}
	if errs := newErrors(d.errs); errs != nil {
		return nil, errs
	}
	s.File = file
	s.Hash = hash(s)
	return s, nil
}

// parseYAML checks the raw bytes and returns the root node of the single
// document, which is a mapping.
func parseYAML(file string, data []byte) (*yaml.Node, *Errors) {
	if len(data) > MaxFileSize {
		return nil, tooLarge(file)
	}
	data = bytes.TrimPrefix(data, bom)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fileError(file, "the file is empty: a spec starts with \"version: 1\"")
	}
	if e := checkText(file, data); e != nil {
		return nil, e
	}
	if n := countStructure(data); n > maxStructure {
		return nil, fileError(file, "the file is too complex (%d YAML structure characters, at most %d): a spec is a small file", n, maxStructure)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fileError(file, "the file holds no YAML document: a spec starts with \"version: 1\"")
		}
		return nil, syntaxError(file, data, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(file, data, err)
	default:
		return nil, &Errors{List: []Error{{File: file, Line: extra.Line, Col: extra.Column, Msg: "only one YAML document is allowed"}}}
	}
	if len(doc.Content) != 1 {
		return nil, fileError(file, "the file holds no YAML document")
	}
	root := doc.Content[0]
	if derefQuiet(root).Kind != yaml.MappingNode {
		return nil, &Errors{List: []Error{{File: file, Line: root.Line, Col: root.Column,
			Msg: fmt.Sprintf("a spec is a mapping of fields (version, name, railway, ...), got %s", kindName(derefQuiet(root)))}}}
	}
	return root, nil
}

// checkText rejects invalid UTF-8 and control characters (a binary file) at
// their position, with a clearer message than the YAML parser's.
func checkText(file string, data []byte) *Errors {
	line, col := 1, 0
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		col++
		switch {
		case r == utf8.RuneError && size <= 1:
			return &Errors{List: []Error{{File: file, Line: line, Col: col, Msg: "the file is not UTF-8 text (is it a binary file?)"}}}
		case r == '\n':
			line, col = line+1, 0
		case r < 0x20 && r != '\t' && r != '\r', r == 0x7f, r >= 0x80 && r <= 0x9f && r != 0x85:
			return &Errors{List: []Error{{File: file, Line: line, Col: col, Msg: fmt.Sprintf("control character %U is not allowed (is it a binary file?)", r)}}}
		}
		i += size
	}
	return nil
}

func countStructure(data []byte) int {
	n := 0
	for _, c := range data {
		switch c {
		case ',', '-', ':', '[', '{', '?', '*':
			n++
		}
	}
	return n
}

// yamlLine extracts the line from a yaml.v3 error message. yaml.v3 exposes
// no typed error with a position for syntax errors, so its fixed message
// format ("yaml: line N: problem") is the only source.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 parse error into an Error with a position,
// pointing at a tab when the offending line is indented with one.
func syntaxError(file string, data []byte, err error) *Errors {
	msg, line, col := err.Error(), 1, 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		msg = m[2]
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			line = n
		}
	} else if rest, ok := bytes.CutPrefix([]byte(msg), []byte("yaml: ")); ok {
		msg = string(rest)
	}
	// yaml.v3 may place a tab problem on the line before the tab.
	for _, l := range []int{line, line + 1} {
		if tab := leadingTab(data, l); tab > 0 {
			line, col = l, tab
			if !strings.Contains(msg, "tab") {
				msg += ": tabs are not allowed in indentation"
			}
			msg += " (indent with spaces)"
			break
		}
	}
	return &Errors{List: []Error{{File: file, Line: line, Col: col, Msg: "invalid YAML: " + msg}}}
}

// leadingTab returns the 1-based column of a tab in the indentation of the
// given line, or 0.
func leadingTab(data []byte, line int) int {
	lines := bytes.SplitN(data, []byte("\n"), line+1)
	if line < 1 || line > len(lines) {
		return 0
	}
	for i, c := range lines[line-1] {
		switch c {
		case '\t':
			return i + 1
		case ' ':
			continue
		}
		return 0
	}
	return 0
}

// defaults returns a Spec holding every default of CONTRACT section 4.
// Per-item defaults (consumer deploy, endpoint status, log window) are set
// as items are decoded, rollback.variables after validation.
func defaults() *Spec {
	return &Spec{
		Railway: Railway{Endpoint: DefaultEndpoint, MaxRequestsPerHour: DefaultMaxRequestsPerHour},
		Addon:   Addon{Template: DefaultTemplate, Create: true, CreateGrace: DefaultCreateGrace},
		Health: Health{
			ProbeTimeout: DefaultProbeTimeout,
			Redis:        RedisHealth{MaxLatency: DefaultMaxLatency, PubSub: true},
		},
		Rollback: Rollback{
			Enabled:           true,
			FailureThreshold:  DefaultFailureThreshold,
			RecoveryThreshold: DefaultRecoveryThreshold,
			MinRolledBack:     DefaultMinRolledBack,
			MaxRollbacks:      DefaultMaxRollbacks,
			RollbackWindow:    DefaultRollbackWindow,
		},
		Schedule: Schedule{
			Reconcile: defaultCron(DefaultReconcileSchedule),
			Probe:     defaultCron(DefaultProbeSchedule),
			Report:    defaultCron(DefaultReportSchedule),
		},
		Report: Report{Format: DefaultReportFormat, Sinks: []Sink{{Kind: SinkStdout}}},
		State: State{Backend: DefaultStateBackend, Path: DefaultStatePath, Postgres: Postgres{
			LeaseDuration: DefaultLeaseDuration, RenewDeadline: DefaultRenewDeadline, RetryPeriod: DefaultRetryPeriod,
		}},
	}
}

// Per-item defaults, applied as each list item is decoded (and shown by the
// JSON Schema).
func defaultConsumer() Consumer  { return Consumer{Deploy: true} }
func defaultEndpoint() Endpoint  { return Endpoint{Status: DefaultEndpointStatus} }
func defaultLog() LogExpectation { return LogExpectation{Within: DefaultLogWithin} }

// defaultCron parses a default schedule; the constants are valid (TestDefaults).
func defaultCron(expr string) Cron {
	c, _ := ParseCron(expr)
	return c
}

// gapReference is the fixed instant from which cron gaps are measured, so
// that validation does not depend on the clock.
var gapReference = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)
