package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/clock"
)

// DefaultRetryPeriod is how often a standby tries a held lock again.
const DefaultRetryPeriod = 2 * time.Second

// FileOptions configure Files.
type FileOptions struct {
	// Logger receives the standby and quarantine lines; default nop.
	Logger *zap.Logger
	// Now stamps holders and quarantined files; default time.Now.
	Now func() time.Time
	// Command describes this process in the lock files ("reconciler run").
	Command string
	// RetryPeriod is how often Acquire tries a held lock again; default
	// DefaultRetryPeriod.
	RetryPeriod time.Duration
	// Sleep waits between attempts; default clock.Sleep. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Files is the embedded store: each unit's state is one JSON file, written
// atomically (temp file, fsync, rename, fsync of the directory), with an
// flock'ed "<file>.lock" beside it that names its holder. The lock lasts
// as long as the process: a crash never leaves a stale lock, and a lease
// is never lost while the process lives. It implements Backend, Locker and
// Quarantiner.
type Files struct {
	pathFor func(name string) string
	opts    FileOptions
}

var (
	_ Backend     = (*Files)(nil)
	_ Locker      = (*Files)(nil)
	_ Quarantiner = (*Files)(nil)
)

// NewFiles returns a file store where the state of unit name lives at
// pathFor(name) (symlinks followed, see ResolvePath).
func NewFiles(pathFor func(name string) string, opts FileOptions) *Files {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RetryPeriod <= 0 {
		opts.RetryPeriod = DefaultRetryPeriod
	}
	if opts.Sleep == nil {
		opts.Sleep = clock.Sleep
	}
	return &Files{pathFor: pathFor, opts: opts}
}

// SingleFile returns a file store holding one unit's state at path.
func SingleFile(path string, opts FileOptions) *Files {
	return NewFiles(func(string) string { return path }, opts)
}

// Path returns the resolved file of unit name.
func (f *Files) Path(name string) (string, error) { return ResolvePath(f.pathFor(name)) }

// Load reads unit name's state (see Read).
func (f *Files) Load(_ context.Context, name string) (*State, error) {
	p, err := f.Path(name)
	if err != nil {
		return nil, err
	}
	return Read(p)
}

// Save writes st atomically when lease is this store's live lease on the
// unit's file; ErrFenced otherwise.
func (f *Files) Save(ctx context.Context, lease Lease, st *State) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l, ok := lease.(*fileLease)
	if !ok || l.released() {
		return ErrFenced
	}
	p, err := f.Path(st.Name)
	if err != nil {
		return err
	}
	if p != l.path {
		return fmt.Errorf("%w: the lease is on %s, not %s", ErrFenced, l.path, p)
	}
	st.Version = SchemaVersion
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	return WriteFileAtomic(p, append(b, '\n'), 0o600)
}

// Close does nothing: a file store holds nothing open but its leases.
func (f *Files) Close() error { return nil }

// TryAcquire takes the unit's lock, creating its directory, or fails with
// a *LockedError naming the holder.
func (f *Files) TryAcquire(_ context.Context, name string) (Lease, error) {
	p, err := f.Path(name)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	h := NewHolder(f.opts.Command, f.opts.Now())
	lf, err := flock(p+".lock", h)
	if err != nil {
		return nil, err
	}
	return &fileLease{name: name, path: p, file: lf, holder: h, done: make(chan struct{})}, nil
}

// Acquire waits as a standby until the unit's lock is free, trying again
// every RetryPeriod, and logs the holder once.
func (f *Files) Acquire(ctx context.Context, name string) (Lease, error) {
	var last Holder
	for {
		l, err := f.TryAcquire(ctx, name)
		var le *LockedError
		if !errors.As(err, &le) {
			return l, err
		}
		if le.Holder != last {
			f.opts.Logger.Info("standby: the state is locked by another process, waiting for it",
				zap.String("unit", name), zap.String("holder", le.Holder.String()))
			last = le.Holder
		}
		if err := f.opts.Sleep(ctx, f.opts.RetryPeriod); err != nil {
			return nil, err
		}
	}
}

// Holder reports who holds unit name's lock.
func (f *Files) Holder(_ context.Context, name string) (Holder, bool, error) {
	p, err := f.Path(name)
	if err != nil {
		return Holder{}, false, err
	}
	h, held := holderOf(p + ".lock")
	return h, held, nil
}

// Quarantine moves the unit's corrupt file aside, under a name no other
// quarantine took, and says where.
func (f *Files) Quarantine(_ context.Context, lease Lease, name string) (string, error) {
	l, ok := lease.(*fileLease)
	if !ok || l.released() {
		return "", ErrFenced
	}
	aside := corruptName(l.path, f.opts.Now())
	if err := os.Rename(l.path, aside); err != nil {
		return "", fmt.Errorf("moving corrupt state aside: %w", err)
	}
	f.opts.Logger.Warn("state file corrupt, moved aside", zap.String("unit", name), zap.String("movedTo", aside))
	return aside, nil
}

// fileLease is an flock held by this process.
type fileLease struct {
	name, path string
	holder     Holder

	mu   sync.Mutex
	file *os.File
	done chan struct{}
}

func (l *fileLease) Name() string          { return l.name }
func (l *fileLease) Epoch() int64          { return 1 }
func (l *fileLease) Holder() Holder        { return l.holder }
func (l *fileLease) Expires() time.Time    { return time.Time{} }
func (l *fileLease) Done() <-chan struct{} { return l.done }
func (l *fileLease) Err() error            { return nil }

func (l *fileLease) released() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.file == nil
}

// Release unlocks the file; later calls do nothing.
func (l *fileLease) Release(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return nil
	}
	err := unflock(l.file)
	l.file = nil
	close(l.done)
	return err
}
