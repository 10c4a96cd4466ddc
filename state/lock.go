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

// Holder describes the process holding a state lock.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
	// Control is where the holder accepts commands, when it does.
	Control string `json:"control,omitempty"`
	// Instance tells replicas on one host apart (RAILWAY_REPLICA_ID on
	// Railway); empty for the file store.
	Instance string `json:"instance,omitempty"`
	// Expires is when the holder's lease runs out unless renewed; zero for
	// the file store's lock, which lasts as long as the process.
	Expires time.Time `json:"expires,omitzero"`
}

// String describes the holder for an operator.
func (h Holder) String() string {
	s := fmt.Sprintf("pid %d on %s", h.PID, h.Host)
	if h.Instance != "" {
		s += " (replica " + h.Instance + ")"
	}
	if h.Command != "" {
		s += fmt.Sprintf(" (%s)", h.Command)
	}
	if !h.Since.IsZero() {
		s += " since " + h.Since.UTC().Format(time.RFC3339)
	}
	return s
}

// LockedError means another process holds the state lock.
type LockedError struct {
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

func holderInfo(o Options) Holder {
	host, _ := os.Hostname()
	return Holder{PID: os.Getpid(), Host: host, Command: o.Holder, Since: o.Now().UTC(), Control: o.Control}
}

// acquire takes an exclusive flock on path and writes h into it. The lock
// dies with the process, so a crash never leaves a stale lock behind.
func acquire(path string, h Holder) (*os.File, error) {
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

// ReadHolder returns who holds the lock of the state at path, if anyone.
func ReadHolder(path string) (Holder, bool) {
	f, err := os.Open(path + ".lock")
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

func release(f *os.File) error {
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
