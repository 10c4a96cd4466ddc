package cli

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The command side of the docs tests: the reconciler invocations in a line
// of code, and each checked against the command tree.

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
// command tree: a command (found first, since flags may come before it, as
// the CLI accepts) and its subcommands, then every flag against that
// command. Positional arguments are errors (no command takes one),
// placeholders are not.
func checkInvocation(root *cobra.Command, args []string) error {
	cmd, path := commandOf(root, args)
	for i := 0; i < len(args); i++ {
		a := strings.TrimSuffix(strings.TrimPrefix(args[i], "["), "]")
		switch {
		case path[i]:
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
			return fmt.Errorf("no command %q", a)
		}
	}
	return nil
}

// commandOf finds the command args name: the first word that is a command
// of the root, then its subcommands. path marks the words used.
func commandOf(root *cobra.Command, args []string) (*cobra.Command, map[int]bool) {
	cmd, path := root, map[int]bool{}
	for i, a := range args {
		if strings.HasPrefix(a, "-") || !commandRE.MatchString(a) {
			continue
		}
		if i > 0 && strings.HasPrefix(args[i-1], "-") && !strings.Contains(args[i-1], "=") && takesValue(root, cmd, args[i-1]) {
			continue // the value of a flag (--log-level debug)
		}
		if !hasSub(cmd, a) {
			break
		}
		cmd, _, _ = cmd.Find([]string{a})
		path[i] = true
	}
	return cmd, path
}

// takesValue reports whether the flag token tok takes a value; an unknown
// flag is taken to.
func takesValue(root, cmd *cobra.Command, tok string) bool {
	name := strings.TrimLeft(tok, "-")
	f := lookupFlag(root, cmd, name, !strings.HasPrefix(tok, "--"))
	return f == nil || f.NoOptDefVal == ""
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

// lookupFlag finds a flag of cmd, a global one, or one every command has
// (--help, --version on the root), by name or shorthand.
func lookupFlag(root, cmd *cobra.Command, name string, short bool) *pflag.Flag {
	sets := []*pflag.FlagSet{cmd.Flags(), cmd.InheritedFlags(), root.PersistentFlags()}
	if cmd == root {
		sets = append(sets, root.Flags())
	}
	for _, fs := range sets {
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

// hasSub reports whether cmd has a subcommand named name (completion bash).
func hasSub(cmd *cobra.Command, name string) bool {
	return slices.ContainsFunc(cmd.Commands(), func(c *cobra.Command) bool { return c.Name() == name })
}
