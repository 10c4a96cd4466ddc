package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// specNamed is the minimal spec called name.
func specNamed(name string) string {
	return strings.Replace(minimal, "name: test", "name: "+name, 1)
}

// writeFiles writes files (relative name → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func specNames(specs []*Spec) []string {
	var out []string
	for _, s := range specs {
		out = append(out, s.Name+"@"+filepath.Base(s.File))
	}
	return out
}

func invalidFiles(set *Set) []string {
	var out []string
	for _, f := range set.Invalid {
		out = append(out, filepath.Base(f.File))
	}
	return out
}

// TestLoadSetDirectory: a directory's valid, invalid and other files; the
// invalid one stops nothing, the others are ignored, and each spec keeps
// its file.
func TestLoadSetDirectory(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "specs")
	writeFiles(t, dir, map[string]string{
		"b-staging.yml":       specNamed("staging"),
		"a-production.yaml":   specNamed("production"),
		"c-broken.yaml":       "version: 1\nname: [\n",
		"d-bad-name.yaml":     specNamed("Not_A_Name"),
		"README.md":           "# specs\n",
		"notes.txt":           "not a spec",
		"x.yaml~":             specNamed("backup"),
		".hidden.yaml":        specNamed("hidden"),
		".x.yaml.swp":         "swap",
		"#autosave.yaml#":     specNamed("autosave"),
		"~lock.yaml":          specNamed("lock"),
		"UPPER.YAML":          specNamed("upper"),
		"nested/deep.yaml":    specNamed("deep"),
		"dir.yaml/inner.yaml": specNamed("inner"),
	})
	writeFiles(t, root, map[string]string{"outside.yaml": specNamed("linked")})
	if err := os.Symlink(filepath.Join(root, "outside.yaml"), filepath.Join(dir, "e-link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "f-fifo.yaml"), 0o600); err != nil {
		t.Fatal(err) // reading it would block: it must be skipped
	}
	if err := os.Symlink(filepath.Join(root, "gone.yaml"), filepath.Join(dir, "g-dangling.yaml")); err != nil {
		t.Fatal(err)
	}

	set, err := LoadSet([]string{dir}, lookup(testEnv))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := specNames(set.Specs), []string{"production@a-production.yaml", "staging@b-staging.yml", "linked@e-link.yaml"}; !slices.Equal(got, want) {
		t.Errorf("specs %v, want %v", got, want)
	}
	if got, want := invalidFiles(set), []string{"c-broken.yaml", "d-bad-name.yaml", "g-dangling.yaml"}; !slices.Equal(got, want) {
		t.Errorf("invalid %v, want %v", got, want)
	}
	if f := set.Specs[0].File; f != filepath.Join(dir, "a-production.yaml") {
		t.Errorf("File %q, want the path as read", f)
	}
	broken := set.Invalid[0]
	if p := broken.Problems(); len(p) != 1 || !strings.HasPrefix(p[0], filepath.Join(dir, "c-broken.yaml")+":2:") {
		t.Errorf("problems of the broken file %q, want one line with its position", p)
	}
	if !errors.Is(set.Invalid[2].Err, fs.ErrNotExist) {
		t.Errorf("dangling symlink: %v, want not-exist", set.Invalid[2].Err)
	}
	err = set.Err()
	if err == nil || errors.Is(err, ErrDuplicateName) || strings.Count(err.Error(), "\n") < 2 {
		t.Errorf("Err() = %v, want every problem of the 3 files, no duplicate", err)
	}
}

func TestLoadSetSeveralPaths(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"one.yaml":       specNamed("one"),
		"conf/two.yaml":  specNamed("two"),
		"conf/three.yml": specNamed("three"),
		"other.conf":     specNamed("other"), // any extension when named
	})
	two := filepath.Join(dir, "conf", "two.yaml")
	t.Chdir(dir)
	paths := []string{"other.conf", filepath.Join(dir, "conf"), "one.yaml", two, "./conf/two.yaml", "conf/"}
	set, err := LoadSet(paths, lookup(testEnv))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"other@other.conf", "three@three.yml", "two@two.yaml", "one@one.yaml"}
	if got := specNames(set.Specs); !slices.Equal(got, want) || len(set.Invalid) != 0 || set.Err() != nil {
		t.Errorf("specs %v invalid %v, want %v (each file once, in order)", got, set.Invalid, want)
	}
	if set.Specs[0].File != "other.conf" {
		t.Errorf("File %q, want the path as given", set.Specs[0].File)
	}
}

func TestLoadSetSameFileTwice(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.yaml": specNamed("a")})
	if err := os.Symlink("a.yaml", filepath.Join(dir, "b.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "a.yaml"), filepath.Join(dir, "c.yaml")); err != nil {
		t.Fatal(err)
	}
	set, err := LoadSet([]string{dir, filepath.Join(dir, "a.yaml")}, lookup(testEnv))
	if err != nil {
		t.Fatal(err)
	}
	if got := specNames(set.Specs); !slices.Equal(got, []string{"a@a.yaml"}) || len(set.Invalid) != 0 {
		t.Errorf("specs %v invalid %v: a file reached by a symlink or a hard link is the same file", got, invalidFiles(set))
	}
}

// TestLoadSetDuplicateNames: every file of a duplicate name is invalid,
// its error naming the other files; the other specs load.
func TestLoadSetDuplicateNames(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.yaml":       specNamed("shop"),
		"b.yaml":       specNamed("other"),
		"c.yaml":       specNamed("shop"),
		"extra/d.yaml": specNamed("shop"),
		"extra/e.yaml": specNamed("pair"),
		"extra/f.yaml": specNamed("pair"),
		"extra/g.yaml": "version: 1\nname: shop\n", // invalid: not a duplicate
	})
	set, err := LoadSet([]string{dir, filepath.Join(dir, "extra")}, lookup(testEnv))
	if err != nil {
		t.Fatal(err)
	}
	if got := specNames(set.Specs); !slices.Equal(got, []string{"other@b.yaml"}) {
		t.Errorf("specs %v, want only other", got)
	}
	a, c, d := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "c.yaml"), filepath.Join(dir, "extra", "d.yaml")
	e, f := filepath.Join(dir, "extra", "e.yaml"), filepath.Join(dir, "extra", "f.yaml")
	want := map[string]string{
		a: a + `: name: "shop" is also the name of the spec in ` + c + ", " + d + ": every spec needs its own name, rename one of them",
		c: c + `: name: "shop" is also the name of the spec in ` + a + ", " + d + ": every spec needs its own name, rename one of them",
		d: d + `: name: "shop" is also the name of the spec in ` + a + ", " + c + ": every spec needs its own name, rename one of them",
		e: e + `: name: "pair" is also the name of the spec in ` + f + ": every spec needs its own name, rename one of them",
		f: f + `: name: "pair" is also the name of the spec in ` + e + ": every spec needs its own name, rename one of them",
	}
	if len(set.Invalid) != len(want)+1 {
		t.Fatalf("invalid %v, want the 5 duplicates and g.yaml", invalidFiles(set))
	}
	for _, inv := range set.Invalid {
		if filepath.Base(inv.File) == "g.yaml" {
			if errors.Is(inv.Err, ErrDuplicateName) {
				t.Errorf("g.yaml is invalid in itself, not a duplicate: %v", inv.Err)
			}
			continue
		}
		if got := inv.Err.Error(); got != want[inv.File] || !errors.Is(inv.Err, ErrDuplicateName) {
			t.Errorf("%s:\n got  %s\n want %s", inv.File, got, want[inv.File])
		}
	}
	if !errors.Is(set.Err(), ErrDuplicateName) {
		t.Error("Set.Err() does not match ErrDuplicateName")
	}
}

func TestLoadSetErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	others := filepath.Join(dir, "others")
	writeFiles(t, others, map[string]string{"README.md": "x", ".a.yaml": specNamed("a"), "sub/b.yaml": specNamed("b")})
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	noSpecs := ": no spec file in this directory: a spec file's name ends in .yaml or .yml (hidden files, editor backups and subdirectories are ignored)"
	for _, tc := range []struct {
		name  string
		paths []string
		want  string
	}{
		{"no path", nil, "no spec given: pass -f FILE or -f DIR (several -f may be given) or set RECONCILER_FILE"},
		{"empty path", []string{""}, "a spec path is empty: pass -f FILE or -f DIR"},
		{"missing", []string{missing}, missing + ": cannot read the spec: no such file or directory"},
		{"empty directory", []string{empty}, empty + noSpecs},
		{"no spec among the files", []string{others}, others + noSpecs},
		{"every problem at once", []string{missing, empty}, missing + ": cannot read the spec: no such file or directory\n" + empty + noSpecs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := LoadSet(tc.paths, lookup(testEnv))
			var errs *Errors
			if set != nil || !errors.As(err, &errs) || err.Error() != tc.want {
				t.Errorf("LoadSet = %v, %v\nwant the *Errors %q", set, err, tc.want)
			}
		})
	}
	_, err := LoadSet([]string{missing}, nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing path: %v does not unwrap to fs.ErrNotExist", err)
	}
}

func TestLoadSetUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.yaml": specNamed("a"), "b.yaml": specNamed("b")})
	if err := os.Chmod(filepath.Join(dir, "a.yaml"), 0); err != nil {
		t.Fatal(err)
	}
	set, err := LoadSet([]string{dir}, lookup(testEnv))
	if err != nil {
		t.Fatal(err)
	}
	if got := specNames(set.Specs); !slices.Equal(got, []string{"b@b.yaml"}) || !slices.Equal(invalidFiles(set), []string{"a.yaml"}) {
		t.Errorf("specs %v invalid %v", got, invalidFiles(set))
	}
	if !errors.Is(set.Invalid[0].Err, fs.ErrPermission) {
		t.Errorf("error %v, want permission denied", set.Invalid[0].Err)
	}
}

func TestIsSpecFileName(t *testing.T) {
	for name, want := range map[string]bool{
		"a.yaml": true, "a.yml": true, "a.b.yaml": true, "prod-1.yaml": true,
		"": false, ".yaml": false, ".a.yaml": false, "#a.yaml#": false, "#a.yaml": false, "~a.yaml": false,
		"a.yaml~": false, "a.yaml.swp": false, "a.YAML": false, "a.json": false, "a": false, "4913": false,
	} {
		if got := IsSpecFileName(name); got != want {
			t.Errorf("IsSpecFileName(%q) = %v, want %v", name, got, want)
		}
	}
}

// BenchmarkLoadSet200 loads and validates a directory of 200 spec files.
func BenchmarkLoadSet200(b *testing.B) {
	dir := b.TempDir()
	full, err := os.ReadFile("testdata/valid-full.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for i := range 200 {
		doc := strings.Replace(string(full), "name: smartlic-staging", fmt.Sprintf("name: unit-%03d", i), 1)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("unit-%03d.yaml", i)), []byte(doc), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	env := lookup(testEnv)
	for b.Loop() {
		set, err := LoadSet([]string{dir}, env)
		if err != nil || len(set.Specs) != 200 {
			b.Fatalf("%d specs, %v, invalid %v", len(set.Specs), err, set.Err())
		}
	}
}
