package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The docs tests keep every `reconciler ...` invocation written in the
// documentation runnable. The markdown side (finding code) is in
// docs_markdown_test.go, the command side (checking one invocation against
// the command tree) in docs_invocation_test.go.

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
	for _, bad := range [][]string{{"frobnicate"}, {"plan", "--bogus"}, {"plan", "--output", "yaml"}, {"status", "extra"},
		{"-f", "x.yaml", "demo"}, {"version", "-f", "x.yaml"}, {"completion", "tcsh"}, {"plan", "--version"}} {
		if checkInvocation(root, bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, ok := range [][]string{{"--log-level", "debug", "plan"}, {"COMMAND", "--help"}, {"<command>", "[flags]"}, {"run", "--listen", "ADDR]"},
		{"-f", "desired.yaml", "validate"}, {"--file", "x.yaml", "--log-level", "warn", "plan", "--output", "json"},
		{"completion", "bash"}, {"--version"}, {"completion", "zsh", "--help"}} {
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
