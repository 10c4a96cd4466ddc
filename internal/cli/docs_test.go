package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestDocsNameRealCommandsAndFlags keeps the documentation honest: every
// `reconciler COMMAND [--flag ...]` invocation written in README.md and
// docs/**/*.md (in code spans, fenced and indented code blocks, and the first
// column of a "command" table) must name an existing command and only flags
// that command accepts (its own, inherited global flags, --help), with a valid
// value for enumerated flags. Placeholders (COMMAND, <command>, [flags], ...)
// are skipped.
func TestDocsNameRealCommandsAndFlags(t *testing.T) {
	root := newRoot(&App{})
	repo := repoRoot(t)
	found := 0
	for _, path := range docFiles(t, repo) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(repo, path)
		for _, s := range codeSnippets(string(data)) {
			for _, args := range invocations(s.text, s.table) {
				found++
				if err := checkInvocation(root, args); err != nil {
					t.Errorf("%s:%d: `%s`: %v", rel, s.line, strings.TrimSpace(s.text), err)
				}
			}
		}
	}
	if found < 40 {
		t.Errorf("found only %d reconciler invocations in the docs: is the extractor broken?", found)
	}
}

// TestDocsExtractor pins the extractor on the shapes the docs use.
func TestDocsExtractor(t *testing.T) {
	md := "Run `reconciler plan --output json` or ``reconciler status``.\n\n" +
		"```sh\ncd /data && RAILWAY_TOKEN=x reconciler rollback --reason \"a b\" # c\n" +
		"go run ./cmd/reconciler demo \\\n  --keep\n```\n\n    bin/reconciler -f desired.yaml validate\n\n" +
		"| command | does |\n|---|---|\n| `report [--format markdown\\|json]` | x |\n\n" +
		"  ```` ```json ```` is not a fence: `reconciler version`\n"
	var got []string
	for _, s := range codeSnippets(md) {
		for _, args := range invocations(s.text, s.table) {
			got = append(got, fmt.Sprintf("%d:%s", s.line, strings.Join(args, " ")))
		}
	}
	want := []string{"1:plan --output json", "1:status", "4:rollback --reason a b",
		"5:demo --keep", "9:-f desired.yaml validate", "13:report [--format markdown|json]", "15:version"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	root := newRoot(&App{})
	for _, bad := range [][]string{{"frobnicate"}, {"plan", "--bogus"}, {"plan", "--output", "yaml"}, {"status", "extra"}} {
		if checkInvocation(root, bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, ok := range [][]string{{"--log-level", "debug", "plan"}, {"COMMAND", "--help"}, {"<command>", "[flags]"}, {"run", "--listen", "ADDR]"}} {
		if err := checkInvocation(root, ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// repoRoot is the repository, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "go.mod"))
	}
	if err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return dir
}

// docFiles lists README.md and the markdown files of docs/ and its
// subdirectories.
func docFiles(t *testing.T, repo string) []string {
	t.Helper()
	files := []string{filepath.Join(repo, "README.md")}
	for _, pattern := range []string{"docs/*.md", "docs/*/*.md", "docs/*/*/*.md"} {
		m, err := filepath.Glob(filepath.Join(repo, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	return files
}

// snippet is a code span or one logical line of a code block; table marks
// the first cell of a "command" table, whose entries omit the program name.
type snippet struct {
	line  int
	text  string
	table bool
}

var fenceRE = regexp.MustCompile("^\\s*(`{3,}|~{3,})(.*)$")

// fence reports whether l opens or closes a fenced block, given the open
// fence's marker ("" outside one), and returns the marker after l. A
// backtick fence's info string holds no backtick ("```` ```json ````" in
// text is no fence); a closing fence is as long or longer, and bare.
func fence(open, l string) (bool, string) {
	m := fenceRE.FindStringSubmatch(l)
	switch {
	case m == nil:
		return false, open
	case open == "" && (m[1][0] == '~' || !strings.Contains(m[2], "`")):
		return true, m[1]
	case open != "" && m[1][0] == open[0] && len(m[1]) >= len(open) && strings.TrimSpace(m[2]) == "":
		return true, ""
	}
	return false, open
}

// codeSnippets returns the code of a markdown document.
func codeSnippets(md string) []snippet {
	lines := strings.Split(md, "\n")
	var out []snippet
	prose := make([]string, len(lines)) // the lines outside fences; fences blanked
	open, inTable, prevBlank, prevIndented := "", false, true, false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		isFence, next := fence(open, l)
		inFence := open != ""
		switch {
		case isFence:
			open = next
		case inFence || (strings.HasPrefix(l, "    ") || strings.HasPrefix(l, "\t")) && (prevBlank || prevIndented):
			text, last := joinContinued(lines, i)
			out = append(out, snippet{line: i + 1, text: text})
			if !inFence {
				prose[i] = l // an indented line may be a list's paragraph: its spans count
			}
			prevIndented, i = !inFence, last
		default:
			prevIndented = false
			if inTable = tableState(l, inTable); inTable {
				var cell []snippet
				cell, l = tableRow(l, i)
				out = append(out, cell...)
			}
			prose[i] = l
		}
		prevBlank = strings.TrimSpace(l) == ""
	}
	out = append(out, spans(strings.Join(prose, "\n"), 0)...)
	slices.SortStableFunc(out, func(a, b snippet) int { return a.line - b.line })
	return out
}

// joinContinued joins lines[i] with the lines its trailing backslashes
// continue, and returns the text and the index of the last line used.
func joinContinued(lines []string, i int) (string, int) {
	text := lines[i]
	for strings.HasSuffix(strings.TrimRight(text, " "), "\\") && i+1 < len(lines) && !fenceRE.MatchString(lines[i+1]) {
		i++
		text = strings.TrimSuffix(strings.TrimRight(text, " "), "\\") + " " + lines[i]
	}
	return text, i
}

// tableRow returns the code spans of a "command" table row's first cell, as
// table entries, and the rest of the row, which is prose.
func tableRow(l string, i int) ([]snippet, string) {
	cells := strings.Split(strings.ReplaceAll(l, "\\|", "\x00"), "|")
	if len(cells) < 3 {
		return nil, l
	}
	out := spans(strings.ReplaceAll(cells[1], "\x00", "\\|"), i)
	for k := range out {
		out[k].table = true
	}
	return out, strings.ReplaceAll("|"+strings.Join(cells[2:], "|"), "\x00", "\\|")
}

// tableState tracks whether l is inside a table whose first header cell is
// "command".
func tableState(l string, in bool) bool {
	t := strings.TrimSpace(l)
	switch {
	case !strings.HasPrefix(t, "|"):
		return false
	case in:
		return true
	}
	cells := strings.Split(t, "|")
	return len(cells) > 1 && strings.EqualFold(strings.TrimSpace(cells[1]), "command")
}

// spans returns the inline code spans of text (runs of N backticks closed
// by a run of exactly N), with \| unescaped and newlines as spaces. first is
// the line index of text's first line.
func spans(text string, first int) []snippet {
	var out []snippet
	for i := 0; i < len(text); {
		if text[i] != '`' {
			i++
			continue
		}
		n := runLen(text, i)
		end := closing(text, i+n, n)
		if end < 0 {
			i += n
			continue
		}
		code := strings.ReplaceAll(strings.ReplaceAll(text[i+n:end], "\n", " "), "\\|", "|")
		out = append(out, snippet{line: first + strings.Count(text[:i], "\n") + 1, text: code})
		i = end + n
	}
	return out
}

// runLen is the length of the run of backticks at s[i].
func runLen(s string, i int) int {
	n := 0
	for i+n < len(s) && s[i+n] == '`' {
		n++
	}
	return n
}

// closing finds the next run of exactly n backticks at or after i, -1 if none.
func closing(s string, i, n int) int {
	for i < len(s) {
		if s[i] != '`' {
			i++
			continue
		}
		m := runLen(s, i)
		if m == n {
			return i
		}
		i += m
	}
	return -1
}

// invocations returns the arguments of every reconciler invocation in one
// line of code (prefixed by the program name when it is a table entry).
func invocations(code string, table bool) [][]string {
	toks := shellFields(code)
	if table {
		return [][]string{argsUntilSeparator(toks)}
	}
	var out [][]string
	atCommand := true
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		switch {
		case isSeparator(tok):
			atCommand = true
		case !atCommand:
		case tok == "$" || tok == "sudo" || tok == "time" || tok == "exec" || tok == "env" || envAssign.MatchString(tok):
		case tok == "go" && i+2 < len(toks) && toks[i+1] == "run" && strings.HasSuffix(toks[i+2], "/cmd/reconciler"):
			out = append(out, argsUntilSeparator(toks[i+3:]))
			i += 2
			atCommand = false
		case isProgram(tok):
			out = append(out, argsUntilSeparator(toks[i+1:]))
			atCommand = false
		default:
			atCommand = false
		}
	}
	return out
}

var envAssign = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

func isProgram(tok string) bool {
	return tok == "reconciler" || strings.HasSuffix(tok, "/reconciler") && !strings.HasSuffix(tok, "/cmd/reconciler")
}

func isSeparator(tok string) bool {
	return slices.Contains([]string{"|", "||", "&&", ";", "&", "(", ")", ">", ">>", "2>&1", "2>", "<", "then", "do"}, tok)
}

func argsUntilSeparator(toks []string) []string {
	args := []string{}
	for _, tok := range toks {
		if isSeparator(tok) || strings.HasPrefix(tok, "#") {
			break
		}
		args = append(args, strings.TrimRight(tok, ";"))
	}
	return args
}

// shellFields splits a line like a shell: on blanks, keeping quoted text
// together (its quotes removed).
func shellFields(s string) []string {
	var out []string
	var cur strings.Builder
	inTok, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inTok = r, true
		case r == ' ' || r == '\t':
			if inTok {
				out = append(out, cur.String())
				cur.Reset()
				inTok = false
			}
		default:
			cur.WriteRune(r)
			inTok = true
		}
	}
	if inTok {
		out = append(out, cur.String())
	}
	return out
}

// placeholder reports a documentation placeholder: COMMAND, <command>,
// [flags], ..., or a list of choices such as text|json.
func placeholder(s string) bool {
	return s == "..." || strings.ContainsAny(s, "<>[]{}|") || s == strings.ToUpper(s) && strings.ToLower(s) != s
}

var commandRE = regexp.MustCompile(`^[a-z][a-z-]*$`)

// checkInvocation checks args (what follows the program name) against the
// command tree: global flags, then a command, then its flags. Positional
// arguments are errors (no command takes one), placeholders are not.
func checkInvocation(root *cobra.Command, args []string) error {
	cmd := root
	for i := 0; i < len(args); i++ {
		a := strings.TrimSuffix(strings.TrimPrefix(args[i], "["), "]")
		switch {
		case a == "" || a == "..." || a == "-" || a == "--":
		case strings.HasPrefix(a, "-"):
			skip, err := checkFlag(root, cmd, a, args[i+1:])
			if err != nil {
				return err
			}
			i += skip
		case placeholder(args[i]) && cmd == root:
			return nil // `reconciler COMMAND --help`: nothing to check
		case placeholder(args[i]):
		case cmd != root:
			return fmt.Errorf("%s takes no argument, got %q", cmd.Name(), a)
		case !commandRE.MatchString(a):
			return nil // not one of our invocations (a path, a URL)
		default:
			sub, _, err := root.Find([]string{a})
			if err != nil || sub == root {
				return fmt.Errorf("no command %q", a)
			}
			cmd = sub
		}
	}
	return nil
}

// checkFlag checks one flag token and returns how many following tokens
// are its value.
func checkFlag(root, cmd *cobra.Command, tok string, rest []string) (int, error) {
	name, value, hasValue := strings.Cut(strings.TrimLeft(tok, "-"), "=")
	if name == "help" || name == "h" {
		return 0, nil
	}
	f := lookupFlag(root, cmd, name, !strings.HasPrefix(tok, "--"))
	if f == nil {
		return 0, fmt.Errorf("%s has no flag %s", cmd.CommandPath(), tok)
	}
	skip := 0
	if !hasValue && f.NoOptDefVal == "" {
		if len(rest) == 0 {
			return 0, fmt.Errorf("flag %s needs a value", tok)
		}
		value, skip = strings.TrimSuffix(rest[0], "]"), 1
	}
	if e, ok := f.Value.(*enumValue); ok && (hasValue || skip > 0) && !placeholder(value) {
		if err := newEnum("", e.allowed...).Set(value); err != nil {
			return 0, fmt.Errorf("flag %s: %q %v", tok, value, err)
		}
	}
	return skip, nil
}

// lookupFlag finds a flag of cmd or a global one, by name or shorthand.
func lookupFlag(root, cmd *cobra.Command, name string, short bool) *pflag.Flag {
	for _, fs := range []*pflag.FlagSet{cmd.Flags(), root.PersistentFlags()} {
		if short && len(name) == 1 {
			if f := fs.ShorthandLookup(name); f != nil {
				return f
			}
		} else if f := fs.Lookup(name); f != nil {
			return f
		}
	}
	return nil
}
