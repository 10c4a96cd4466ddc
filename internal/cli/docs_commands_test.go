package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDocsCommandsRun runs every command of the sh code blocks of README.md
// and docs/, offline, in order, and wants each to exit 0:
//
//   - README.md as a fresh clone would: at the repository root, with no
//     reconciler on PATH and no Railway variable, so that its own install
//     line is what puts the binary there. `reconciler demo --keep` runs in
//     the background, and every command it prints runs as printed from
//     "another terminal", then Ctrl-C stops it.
//   - docs/ against a simulated Railway project with a real Redis, already
//     applied, from a directory holding its desired.yaml, with the token and
//     project id exported (go and make commands run at the repository root).
//
// The commands that need the network, a Railway account, a deployed
// controller or minutes are listed in notRun and logged, never run.
func TestDocsCommandsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the documentation: minutes")
	}
	repo := repoRoot(t)
	base := docsEnv(t)
	var all []shLine
	for _, path := range docFiles(t, repo) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(repo, path)
		all = append(all, shCommands(rel, string(data))...)
	}
	checkNotRunRules(t, all)

	clone := newDocShell(t, repo, base)
	bin := buildReconciler(t, repo)
	p := newProject(t, "")
	env := append(append([]string{}, base...), "PATH="+bin+":"+os.Getenv("PATH"),
		"RAILWAY_API_TOKEN="+p.env["RAILWAY_API_TOKEN"], "RAILWAY_PROJECT_ID="+p.env["RAILWAY_PROJECT_ID"])
	sandbox := newDocShell(t, filepath.Dir(p.spec), env)
	atRepo := newDocShell(t, repo, env)
	if r := sandbox.run("reconciler apply --timeout 2m"); r.code != 0 {
		t.Fatalf("setting up the sandbox: %+v", r)
	}
	ran, printed := 0, 0
	for _, c := range all {
		where := "sandbox"
		sh := sandbox
		switch {
		case whyNotRun(c.text) != "":
			t.Logf("%s:%d: not run (%s): %s", c.file, c.line, whyNotRun(c.text), c.text)
			continue
		case c.file == "README.md":
			sh, where = clone, "fresh clone"
		case regexp.MustCompile(`^(go|make) `).MatchString(c.text):
			sh, where = atRepo, "repository"
		}
		ran++
		if strings.HasPrefix(c.text, "reconciler demo --keep") {
			printed += sh.keep(c.text)
			continue
		}
		if r := sh.run(c.text); r.code != 0 {
			t.Errorf("%s:%d (%s): `%s`: exit %d\nstdout:\n%s\nstderr:\n%s", c.file, c.line, where, c.text, r.code, tail(r.stdout), tail(r.stderr))
		}
	}
	t.Logf("ran %d documented commands and %d printed by demo --keep", ran, printed)
	// The binary's own stdout through its /dev/stdout link (issue 18): the
	// report comes out, the link is not replaced.
	if r := sandbox.run("reconciler report --out /dev/stdout"); r.code != 0 && r.code != ExitDrift || !strings.Contains(r.stdout, "Report of ") {
		t.Errorf("report --out /dev/stdout: %+v", r)
	}
	if r := sandbox.run("test -L /dev/stdout"); r.code != 0 {
		t.Error("/dev/stdout is no longer a symlink")
	}
	if printed < 7 {
		t.Errorf("demo --keep printed %d commands to try", printed)
	}
	checkLoggersDocumented(t, repo, sandbox.loggers)
}

// docsEnv is the environment documented commands start from: the go
// toolchain's caches (so nothing is downloaded: GOPROXY=off), a GOPATH of
// the test's own (go install writes there), and a PATH without reconciler.
func docsEnv(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE").Output()
	f := strings.Fields(string(out))
	if err != nil || len(f) != 2 {
		t.Fatalf("go env: %v %q", err, out)
	}
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LANG=C.UTF-8",
		"GOCACHE=" + f[0], "GOMODCACHE=" + f[1], "GOPATH=" + t.TempDir(), "GOPROXY=off",
		"GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly", "TMPDIR=" + t.TempDir()}
}

// buildReconciler builds the binary into a directory of its own.
func buildReconciler(t *testing.T, repo string) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", filepath.Join(dir, "reconciler"), "./cmd/reconciler")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// checkNotRunRules fails on a rule that matches no documented command: the
// list must say exactly what is left out.
func checkNotRunRules(t *testing.T, all []shLine) {
	t.Helper()
	for _, r := range notRun {
		used := false
		for _, c := range all {
			used = used || r.re.MatchString(c.text)
		}
		if !used {
			t.Errorf("notRun rule %q (%s) matches no documented command: remove it", r.re, r.why)
		}
	}
}

// checkLoggersDocumented wants every logger the binary logged under in the
// docs' commands named in troubleshooting.md's list of loggers.
func checkLoggersDocumented(t *testing.T, repo string, seen map[string]bool) {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(repo, "docs", "troubleshooting.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, list, _ := strings.Cut(string(doc), "The `logger` field names the part")
	list, _, _ = strings.Cut(list, "\n\n")
	if len(seen) == 0 {
		t.Error("no JSON log line seen: are the logs still JSON when stderr is not a terminal?")
	}
	for name := range seen {
		if !strings.Contains(list, "`"+name+"`") {
			t.Errorf("the binary logs as %q, which troubleshooting.md's list of loggers does not name:%s", name, list)
		}
	}
	if strings.Contains(list, "railway.railway") {
		t.Error("troubleshooting.md names a logger railway.railway")
	}
}

// TestDocsCommandBlocksAreTagged: a fenced block of commands says whether
// it is run (sh) or only shown (text, console), so that none escapes
// TestDocsCommandsRun by accident.
func TestDocsCommandBlocksAreTagged(t *testing.T) {
	repo := repoRoot(t)
	for _, path := range docFiles(t, repo) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		open := ""
		for i, l := range lines {
			ok, next := fence(open, l)
			if !ok {
				continue
			}
			if open == "" && strings.TrimSpace(fenceRE.FindStringSubmatch(l)[2]) == "" && i+1 < len(lines) &&
				commandWords.MatchString(strings.TrimSpace(lines[i+1])) {
				rel, _ := filepath.Rel(repo, path)
				t.Errorf("%s:%d: an untagged block of commands: tag it sh (run by the tests) or text", rel, i+1)
			}
			open = next
		}
	}
}

func TestShCommands(t *testing.T) {
	md := "```sh\ngo install ./x   # c\n\n# a comment\nexport A=\"b\"\ndocker run \\\n  -e X img\nrailway run -- sh -c '\n  echo a\n'\n```\n" +
		"```text\nreconciler plan\n```\n```yaml\nx: 1\n```\n"
	var got []string
	for _, c := range shCommands("f.md", md) {
		got = append(got, strings.ReplaceAll(c.text, "\n", "⏎"))
	}
	want := []string{"go install ./x   # c", `export A="b"`, "docker run -e X img", "railway run -- sh -c '⏎  echo a⏎'"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestKeepCommands(t *testing.T) {
	text := "x\nTry, from another terminal. Each line\nruns.\n\n  env A=1 reconciler plan -f /t/d.yaml\n  curl -s http://x/status\n\nEdit the spec\n  not this\n"
	if got := keepCommands(text); strings.Join(got, "|") != "env A=1 reconciler plan -f /t/d.yaml|curl -s http://x/status" {
		t.Errorf("got %q", got)
	}
}

// tail is the end of a long output.
func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

// TestDockerfileRunExample: the `docker run` of the Dockerfile's header
// passes every variable the baked-in spec interpolates, so that the
// container does not exit 3 ("... is not set") with the values filled in.
func TestDockerfileRunExample(t *testing.T) {
	repo := repoRoot(t)
	df, err := os.ReadFile(filepath.Join(repo, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	example := regexp.MustCompile(`(?m)^#\s+docker run (.*)$`).FindStringSubmatch(string(df))
	spec := regexp.MustCompile(`ARG RECONCILER_SPEC=(\S+)`).FindStringSubmatch(string(df))
	if example == nil || spec == nil {
		t.Fatalf("no docker run example or RECONCILER_SPEC default in the Dockerfile")
	}
	env := map[string]string{}
	for _, m := range regexp.MustCompile(`-e ([A-Z_]+)`).FindAllStringSubmatch(example[1], -1) {
		env[m[1]] = "https://hooks.slack.com/services/T000/B000/x" // a valid value for any of them
	}
	env["RAILWAY_PROJECT_ID"] = "proj-123"
	got := run(t, env, "validate", "-f", filepath.Join(repo, spec[1]))
	if got.code != ExitOK {
		t.Errorf("the Dockerfile's docker run passes %v, and its spec %s says:\n%s", keys(env), spec[1], got.stderr)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
