package cli

import (
	"regexp"
	"strings"
)

// The shell side of the docs tests: the commands of the `sh` code blocks of
// a document, and the commands that are not run, with why.

// shLine is one command of a `sh` (or bash, shell) code block: a logical
// line, its continuations and quoted newlines joined.
type shLine struct {
	file string
	line int
	text string
}

// shCommands returns the commands of the sh blocks of md. Blank lines and
// comment lines are not commands.
func shCommands(file, md string) []shLine {
	var out []shLine
	lines := strings.Split(md, "\n")
	open, isSh := "", false
	for i := 0; i < len(lines); i++ {
		if ok, next := fence(open, lines[i]); ok {
			if open == "" {
				isSh = shInfo(fenceRE.FindStringSubmatch(lines[i])[2])
			}
			open = next
			continue
		}
		if open == "" || !isSh {
			continue
		}
		first := i
		text := lines[i]
		for (strings.HasSuffix(text, "\\") || openQuote(text)) && i+1 < len(lines) && !fenceRE.MatchString(lines[i+1]) {
			i++
			if strings.HasSuffix(text, "\\") {
				text = strings.TrimRight(strings.TrimSuffix(text, "\\"), " ") + " " + strings.TrimSpace(lines[i])
			} else {
				text += "\n" + lines[i]
			}
		}
		if t := strings.TrimSpace(text); t != "" && !strings.HasPrefix(t, "#") {
			out = append(out, shLine{file: file, line: first + 1, text: t})
		}
	}
	return out
}

// shInfo reports whether a fence's info string marks shell commands.
func shInfo(info string) bool {
	switch strings.Fields(info + " x")[0] {
	case "sh", "bash", "shell":
		return true
	}
	return false
}

// openQuote reports whether s leaves a single or double quote open (outside
// a comment), as a shell would read it.
func openQuote(s string) bool {
	quote := rune(0)
	for i, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (i == 0 || s[i-1] == ' '):
			return false
		}
	}
	return quote != 0
}

// commandWords are first words that make an untagged code block a block of
// commands, which must be tagged sh (run) or text (shown only).
var commandWords = regexp.MustCompile(`^(\$ )?(reconciler|go|make|curl|railway|docker|cd|export|env|redis-cli|git)\b`)

// notRun are the documented commands the docs test does not run, and why:
// each needs something a test machine cannot have (the network, a Railway
// account, a deployed controller) or takes minutes. Every rule must match
// a command; the test logs each command it leaves out.
var notRun = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`^railway `), "the Railway CLI: needs a Railway account and the network"},
	{regexp.MustCompile(`^cd /data`), "inside the controller's container (after railway ssh): /data is its volume"},
	{regexp.MustCompile(`\.railway\.internal`), "Railway's private network: needs the controller deployed in a project"},
	{regexp.MustCompile(`<backend domain>`), "the backend's own public domain: the network"},
	{regexp.MustCompile(`^docker `), "needs a Docker daemon and the network (base images)"},
	{regexp.MustCompile(`^make test\b`), "the test suite itself (this test is part of it)"},
	{regexp.MustCompile(`^make fuzz\b`), "a 5-minute fuzz run"},
	{regexp.MustCompile(`^make bench\b`), "every benchmark: several minutes"},
	{regexp.MustCompile(`^go run \./bench\b`), "the controller's benchmarks: 4 minutes, 15 with -ha"},
	{regexp.MustCompile(`^make (lint|rules|screenshots)\b`), "make test runs these itself (staticcheck, promtool, Chromium: a minute or more each)"},
	{regexp.MustCompile(`^promtool `), "make rules runs the alert rules' checks (promtool, from the repository root)"},
	{regexp.MustCompile(`https://[a-z0-9-]+\.up\.railway\.app`), "a Railway public domain: the network"},
	{regexp.MustCompile(`\$DATABASE_PUBLIC_URL\b`), "a Railway PostgreSQL's public URL (two replicas' shared state): needs the database and the network"},
}

// whyNotRun returns why c is not run, "" when it is.
func whyNotRun(c string) string {
	for _, r := range notRun {
		if r.re.MatchString(c) {
			return r.why
		}
	}
	return ""
}
