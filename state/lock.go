package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Holder describes the process holding a unit's lock.
type Holder struct {
	PID     int    `json:"pid"`
	Host    string `json:"host"`
	Command string `json:"command"`
	// Instance identifies the replica: RAILWAY_REPLICA_ID on Railway, else
	// host/pid.
	Instance string    `json:"instance,omitempty"`
	Since    time.Time `json:"since"`
	// Expires is when the holder's lease runs out unless renewed; zero for
	// the file store's lock, which lasts as long as the process.
	Expires time.Time `json:"expires,omitzero"`
}

// String describes the holder for an operator, naming the replica first
// when it has an id of its own (RAILWAY_REPLICA_ID): that is what Railway's
// dashboard and /status show.
func (h Holder) String() string {
	s := fmt.Sprintf("pid %d on %s", h.PID, h.Host)
	if h.Instance != "" && h.Instance != fmt.Sprintf("%s/%d", h.Host, h.PID) {
		s = fmt.Sprintf("replica %s, %s", h.Instance, s)
	}
	if h.Command != "" {
		s += fmt.Sprintf(" (%s)", h.Command)
	}
	if !h.Since.IsZero() {
		s += " since " + h.Since.UTC().Format(time.RFC3339)
	}
	if !h.Expires.IsZero() {
		s += ", lease until " + h.Expires.UTC().Format(time.RFC3339)
	}
	return s
}

// LockedError means another process holds the unit's lock.
type LockedError struct {
	// Path is the lock's location: a file, or the unit in a shared store.
	Path   string
	Holder Holder
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("state %s is locked by %s", e.Path, e.Holder)
}

// ErrLocked is matched by every *LockedError (errors.Is).
var ErrLocked = errors.New("state is locked")

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// NewHolder describes this process, running command, from now on.
func NewHolder(command string, now time.Time) Holder {
	host, _ := os.Hostname()
	return Holder{PID: os.Getpid(), Host: host, Command: command, Instance: InstanceID(), Since: now.UTC()}
}

// InstanceID identifies this process among the replicas: RAILWAY_REPLICA_ID
// when Railway sets it, else host/pid.
func InstanceID() string {
	if id := os.Getenv("RAILWAY_REPLICA_ID"); id != "" {
		return id
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

// flock takes an exclusive flock on path and writes h into it. The lock
// dies with the process, so a crash never leaves a stale lock behind.
func flock(path string, h Holder) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, &LockedError{Path: path, Holder: readHolder(f)}
		}
		return nil, fmt.Errorf("locking state: %w", err)
	}
	b, _ := json.Marshal(h)
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(append(b, '\n'), 0)
	}
	return f, nil
}

func readHolder(f *os.File) Holder {
	var h Holder
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err == nil {
		_ = json.Unmarshal(b, &h) // a half-written holder still locks; show what we have
	}
	return h
}

// holderOf returns who holds the flock at lockPath, if anyone.
func holderOf(lockPath string) (Holder, bool) {
	f, err := os.Open(lockPath)
	if err != nil {
		return Holder{}, false
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err == nil {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		return Holder{}, false
	}
	return readHolder(f), true
}

func unflock(f *os.File) error {
	if f == nil {
		return nil
	}
	_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return f.Close()
}

type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("state file larger than 16 MiB")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
