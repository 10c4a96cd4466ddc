package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrNoState means there is no saved state yet.
var ErrNoState = errors.New("no state file")

// ErrNewerState means the state was written by a newer reconciler.
var ErrNewerState = errors.New("state file is newer than this reconciler")

// maxStateSize bounds what Read reads; a real state is a few tens of KiB.
const maxStateSize = 16 << 20

// Read reads the state file at path without taking its lock (for `status`
// and `plan`, which write nothing). It returns ErrNoState when the file
// does not exist, ErrNewerState for a document from a newer build, and an
// error wrapping ErrCorrupt for an unreadable document.
func Read(path string) (*State, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, dirError(path)
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoState)
	}
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	defer f.Close()
	return Decode(&limitedReader{r: f, n: maxStateSize}, path)
}

// Decode reads one state document from r; where names it in errors. It
// refuses a document from a newer build (ErrNewerState) and one that is
// not a state (ErrCorrupt).
func Decode(r interface{ Read([]byte) (int, error) }, where string) (*State, error) {
	var st State
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, where, err)
	}
	if st.Version > SchemaVersion {
		// Written by a newer reconciler: moving it aside would forget a hold
		// or a rollback in force. Refuse instead.
		return nil, fmt.Errorf("%w: %s has version %d, this build reads up to %d: upgrade the reconciler",
			ErrNewerState, where, st.Version, SchemaVersion)
	}
	if st.Version < 1 || st.Phase == "" || st.Health.Mode == "" || !knownPhase(st.Phase) {
		return nil, fmt.Errorf("%w: %s: version %d, phase %q: not a reconciler state", ErrCorrupt, where, st.Version, st.Phase)
	}
	return &st, nil
}

func knownPhase(p Phase) bool {
	for _, q := range Phases {
		if p == q {
			return true
		}
	}
	return false
}

func dirError(path string) error {
	return fmt.Errorf("state path %s is a directory, not a file: set state.path to a file inside it, e.g. %s",
		path, filepath.Join(path, "state.json"))
}

// WriteFileAtomic writes data to path so that readers see either the old
// or the new content, never a mix, even across a crash.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating temp file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory: %w", err)
	}
	return nil
}

// ResolvePath returns the file a state path designates: absolute, with
// symlinks followed (a state.path linking into a volume must write and
// lock the volume's file, not replace the link), and refused when it is a
// directory.
func ResolvePath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("state path %s: %w", p, err)
	}
	for range 40 { // a longer chain is a loop
		fi, err := os.Lstat(abs)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			break
		}
		target, err := os.Readlink(abs)
		if err != nil {
			return "", fmt.Errorf("state path %s: %w", abs, err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(abs), target)
		}
		abs = filepath.Clean(target)
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(dir, filepath.Base(abs))
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return "", dirError(abs)
	}
	return abs, nil
}

// corruptName returns a name beside path, not taken yet, to move a corrupt
// state to: "<path>.corrupt-<UTC time>", then "-2", "-3"… within a second.
func corruptName(path string, now time.Time) string {
	base := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	name := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}
