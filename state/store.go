package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"
)

// ErrNoState means there is no state file yet.
var ErrNoState = errors.New("no state file")

// maxStateSize bounds what Load reads; a real state is a few tens of KiB.
const maxStateSize = 16 << 20

// Options configure a Store.
type Options struct {
	// Logger receives warnings (a corrupt file moved aside). Default: nop.
	Logger *zap.Logger
	// Now stamps the lock holder and corrupt-file names. Default: time.Now.
	Now func() time.Time
	// Holder describes this process in the lock file, e.g. "reconciler run".
	Holder string
	// Control is an address where the holder accepts commands (rollback,
	// rollforward), recorded in the lock file for other processes.
	Control string
}

// Store is the state file of one reconciler, held under an exclusive lock
// for as long as it is open.
type Store struct {
	path string
	opts Options
	lock *os.File
}

// LoadInfo says what Load found.
type LoadInfo struct {
	// Fresh is true when no usable state existed (first run or corrupt).
	Fresh bool
	// CorruptMovedTo is where an unreadable state file was moved aside.
	CorruptMovedTo string
}

// Open creates the state directory if needed and takes the exclusive lock.
// It fails with a *LockedError when another process holds it.
func Open(path string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	lock, err := acquire(path+".lock", holderInfo(opts))
	if err != nil {
		return nil, err
	}
	return &Store{path: path, opts: opts, lock: lock}, nil
}

// Path returns the state file's path.
func (s *Store) Path() string { return s.path }

// Load reads the state. A missing file yields a fresh state (Pending). A
// corrupt one is moved aside to "<path>.corrupt-<UTC time>", reported in
// LoadInfo and the log, and a fresh state in phase Unknown is returned so
// that the reconciler re-observes before acting.
func (s *Store) Load(name string) (*State, LoadInfo, error) {
	now := s.opts.Now()
	st, err := Read(s.path)
	switch {
	case err == nil:
		return st, LoadInfo{}, nil
	case errors.Is(err, ErrNoState):
		return New(name, now), LoadInfo{Fresh: true}, nil
	case errors.Is(err, errCorrupt):
		aside := s.path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
		if rerr := os.Rename(s.path, aside); rerr != nil {
			return nil, LoadInfo{}, fmt.Errorf("moving corrupt state aside: %w", rerr)
		}
		s.opts.Logger.Warn("state file corrupt, moved aside; starting in Unknown",
			zap.String("movedTo", aside), zap.Error(err))
		st := New(name, now)
		st.Phase = Unknown
		return st, LoadInfo{Fresh: true, CorruptMovedTo: aside}, nil
	default:
		return nil, LoadInfo{}, err
	}
}

// Save writes st atomically: a temp file in the same directory, fsync,
// rename over the old file, fsync of the directory.
func (s *Store) Save(st *State) error {
	st.Version = SchemaVersion
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	return WriteFileAtomic(s.path, append(b, '\n'), 0o600)
}

// Close releases the lock.
func (s *Store) Close() error { return release(s.lock) }

var errCorrupt = errors.New("state file is corrupt")

// ErrNewerState means the state file was written by a newer reconciler.
var ErrNewerState = errors.New("state file is newer than this reconciler")

// Read reads the state file without taking the lock (for `status` and
// `plan`, which write nothing). It returns ErrNoState when the file does not
// exist, and an error wrapping the corruption for an unreadable document.
func Read(path string) (*State, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoState)
	}
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	defer f.Close()
	var st State
	dec := json.NewDecoder(&limitedReader{r: f, n: maxStateSize})
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errCorrupt, path, err)
	}
	if st.Version > SchemaVersion {
		// Written by a newer reconciler: moving it aside would forget a hold
		// or a rollback in force. Refuse instead.
		return nil, fmt.Errorf("%w: %s has version %d, this build reads up to %d: upgrade the reconciler",
			ErrNewerState, path, st.Version, SchemaVersion)
	}
	if st.Version < 1 || st.Phase == "" || st.Health.Mode == "" {
		return nil, fmt.Errorf("%w: %s: version %d or required fields missing", errCorrupt, path, st.Version)
	}
	return &st, nil
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
