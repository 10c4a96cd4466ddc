package cli

import (
	"regexp"
	"slices"
	"strings"
)

// The markdown side of the docs tests: the code spans and code-block lines
// of a document, each with its line number.

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
