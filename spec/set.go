package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrDuplicateName is matched (errors.Is) by the error of a spec file whose
// name another file of the same set uses too.
var ErrDuplicateName = errors.New("duplicate spec name")

// Set is a fleet's specs as LoadSet read them: the valid ones and,
// separately, the files that failed, so that one bad file never stops the
// others.
type Set struct {
	// Specs are the valid specs, with unique names, in load order: the
	// paths in the order given, a directory's files sorted by name. Each
	// keeps its File.
	Specs []*Spec
	// Invalid are the files that did not load, in load order: a file with
	// problems, and every file of a name used by two or more files.
	Invalid []InvalidFile
}

// InvalidFile is a spec file of a set that did not load. A fleet shows it
// as a unit with Ready=False, reason SpecInvalid.
type InvalidFile struct {
	// File is the path as LoadSet read it.
	File string
	// Err holds every problem of the file, one line each ("FILE:LINE:COL:
	// PATH: MESSAGE"). errors.Is(Err, ErrDuplicateName) tells a duplicate
	// name from a file that is invalid in itself.
	Err *Errors
}

// Problems returns the file's problems, one line each.
func (f InvalidFile) Problems() []string {
	if f.Err == nil {
		return nil
	}
	return strings.Split(f.Err.Error(), "\n")
}

// Err returns nil when every file loaded, else every problem of every
// invalid file, one per line. errors.Is(err, ErrDuplicateName) reports a
// duplicate name among them (an exit-3 error for the CLI even where an
// invalid file alone is not).
func (s *Set) Err() error {
	errs := make([]error, 0, len(s.Invalid))
	for _, f := range s.Invalid {
		errs = append(errs, f.Err)
	}
	return errors.Join(errs...)
}

// LoadSet loads the specs at paths, each a spec file or a directory. A file
// is loaded whatever its extension. A directory contributes every regular
// file (or symlink to one) directly in it whose name ends in ".yaml" or
// ".yml" (lower case), not recursively, sorted by name; it ignores hidden
// files (".name": vim swap files, Emacs lock files, a Kubernetes
// ConfigMap's "..data"), names starting with "#" or "~" (Emacs auto-save,
// office lock files) and subdirectories. A file reached twice (the same
// path, or a directory and a file in it, or a symlink) is loaded once.
//
// A file that fails to load goes to Set.Invalid and the others load on. A
// name used by two or more files makes every one of those files invalid,
// each error naming the others: no file silently wins, and a running fleet
// keeps running the one it had (see docs/spec.md, "A fleet of specs").
//
// The error, an *Errors, is for what makes the set itself unusable: no
// path, a path that cannot be read (missing, permission denied), or a
// directory without any spec file.
func LoadSet(paths []string, lookupEnv func(string) (string, bool)) (*Set, error) {
	if len(paths) == 0 {
		return nil, fileError("", "no spec given: pass -f FILE or -f DIR (several -f may be given) or set RECONCILER_FILE")
	}
	var files []string
	var bad Errors
	var causes []error
	for _, p := range paths {
		found, err := specFiles(p)
		if err != nil {
			bad.List = append(bad.List, err.List...)
			causes = append(causes, err.cause)
			continue
		}
		files = append(files, found...)
	}
	if len(bad.List) > 0 {
		bad.cause = errors.Join(causes...) // errors.Is(err, fs.ErrNotExist) still works
		return nil, &bad
	}
	return loadFiles(dedupeFiles(files), lookupEnv), nil
}

// specFiles returns the spec files path stands for: itself, or the spec
// files of the directory.
func specFiles(path string) ([]string, *Errors) {
	if path == "" {
		return nil, fileError("", "a spec path is empty: pass -f FILE or -f DIR")
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, readError(path, err)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, readError(path, err)
	}
	var out []string
	for _, e := range entries {
		full := filepath.Join(path, e.Name())
		if IsSpecFileName(e.Name()) && !isDirOrSpecial(full) {
			out = append(out, full)
		}
	}
	if len(out) == 0 {
		return nil, fileError(path, "no spec file in this directory: a spec file's name ends in .yaml or .yml (hidden files, editor backups and subdirectories are ignored)")
	}
	return out, nil
}

// IsSpecFileName reports whether a directory entry called name is taken as
// a spec file: it ends in ".yaml" or ".yml" and does not start with ".",
// "#" or "~".
func IsSpecFileName(name string) bool {
	if name == "" || strings.ContainsAny(name[:1], ".#~") {
		return false
	}
	ext := filepath.Ext(name)
	return (ext == ".yaml" || ext == ".yml") && len(name) > len(ext)
}

// isDirOrSpecial reports whether path is (or leads by symlink to) a
// directory, a FIFO, a socket or a device: never a spec. A broken symlink
// is not: loading it says what is wrong.
func isDirOrSpecial(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.Mode().IsRegular()
}

// dedupeFiles drops a file already listed under the same absolute path or
// as the same file (a symlink, a hard link), keeping the first.
func dedupeFiles(files []string) []string {
	var out []string
	var infos []fs.FileInfo
	seen := map[string]bool{}
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err == nil && seen[abs] {
			continue
		}
		seen[abs] = true
		info, err := os.Stat(f)
		if err == nil && slices.ContainsFunc(infos, func(o fs.FileInfo) bool { return os.SameFile(o, info) }) {
			continue
		}
		if err == nil {
			infos = append(infos, info)
		}
		out = append(out, f)
	}
	return out
}

// loadFiles loads each file, then makes every file of a duplicate name
// invalid.
func loadFiles(files []string, lookupEnv func(string) (string, bool)) *Set {
	type loaded struct {
		file string
		spec *Spec
		err  *Errors
	}
	all := make([]loaded, 0, len(files))
	byName := map[string][]string{}
	for _, f := range files {
		s, err := Load(f, lookupEnv)
		if err != nil {
			e := asErrors(f, err)
			if errors.Is(e, fs.ErrNotExist) && vanished(f) {
				continue // removed since the directory was read: not a spec any more
			}
			all = append(all, loaded{file: f, err: e})
			continue
		}
		all = append(all, loaded{file: f, spec: s})
		byName[s.Name] = append(byName[s.Name], f)
	}
	set := &Set{}
	for _, l := range all {
		if l.spec != nil && len(byName[l.spec.Name]) > 1 {
			l.err, l.spec = duplicateError(l.file, l.spec.Name, byName[l.spec.Name]), nil
		}
		if l.spec != nil {
			set.Specs = append(set.Specs, l.spec)
		} else {
			set.Invalid = append(set.Invalid, InvalidFile{File: l.file, Err: l.err})
		}
	}
	return set
}

// vanished reports whether nothing is left at path (not even a broken
// symlink).
func vanished(path string) bool {
	_, err := os.Lstat(path)
	return errors.Is(err, fs.ErrNotExist)
}

// asErrors returns err as an *Errors of file (Load returns nothing else).
func asErrors(file string, err error) *Errors {
	var e *Errors
	if errors.As(err, &e) {
		return e
	}
	out := fileError(file, "%v", err)
	out.cause = err
	return out
}

// duplicateError is the problem of file, whose spec is called name like
// the spec of every other file in files.
func duplicateError(file, name string, files []string) *Errors {
	others := slices.DeleteFunc(slices.Clone(files), func(f string) bool { return f == file })
	e := &Errors{List: []Error{{File: file, Path: "name", Msg: fmt.Sprintf(
		"%q is also the name of the spec in %s: every spec needs its own name, rename one of them",
		name, strings.Join(others, ", "))}}}
	e.cause = ErrDuplicateName
	return e
}
