package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// The destination of `report --out PATH`. A report never clobbers what
// the path is: "-" is stdout; a device, a FIFO or a terminal (/dev/null,
// /dev/stdout) is written through; a symlink is followed and its target
// gets the report (the link stays); a regular file is replaced atomically
// with its permission bits kept; a missing file is created (0644). A
// directory, or a file without any write permission bit (a deliberately
// read-only 0444 file; checked on the bits, since root may write anything),
// is refused before anything is read: exit 3.

// outKind is what checkOut found at the path.
type outKind int

const (
	outStdout  outKind = iota // "-"
	outCreate                 // nothing there: create it
	outReplace                // a regular file: replace it atomically
	outThrough                // a symlink, a device, a FIFO: open and write through
)

// outTarget is a checked --out destination.
type outTarget struct {
	path string
	kind outKind
	perm fs.FileMode // outReplace: the file's permission bits
}

// checkOut decides how to write path, or refuses it (exit 3).
func checkOut(path string) (outTarget, error) {
	if path == "-" {
		return outTarget{path: path, kind: outStdout}, nil
	}
	lst, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return outTarget{path: path, kind: outCreate}, nil
	case err != nil:
		return outTarget{}, WithExitCode(ExitInvalid, fmt.Errorf("--out %s: %w", path, err))
	}
	info := lst
	if lst.Mode()&fs.ModeSymlink != 0 {
		if info, err = os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return outTarget{path: path, kind: outThrough}, nil // a dangling link: its target is created
		} else if err != nil {
			return outTarget{}, WithExitCode(ExitInvalid, fmt.Errorf("--out %s: %w", path, err))
		}
	}
	switch {
	case info.IsDir():
		return outTarget{}, WithExitCode(ExitInvalid, fmt.Errorf("--out %s is a directory: give a file name (the spec's file: sink writes one file per report into a directory)", path))
	case info.Mode().IsRegular() && info.Mode().Perm()&0o222 == 0:
		return outTarget{}, WithExitCode(ExitInvalid, fmt.Errorf("--out %s is read-only (mode %04o): not overwritten; make it writable or choose another path", path, info.Mode().Perm()))
	case lst.Mode()&fs.ModeSymlink != 0 || !info.Mode().IsRegular():
		return outTarget{path: path, kind: outThrough}, nil
	}
	return outTarget{path: path, kind: outReplace, perm: info.Mode().Perm()}, nil
}

// write writes b to the target; stdout serves "-".
func (o outTarget) write(b []byte, stdout io.Writer) error {
	var err error
	switch o.kind {
	case outStdout:
		_, err = stdout.Write(b)
	case outCreate:
		err = replaceFile(o.path, b, 0o644)
	case outReplace:
		err = replaceFile(o.path, b, o.perm)
	case outThrough:
		err = writeThrough(o.path, b)
	}
	if err != nil {
		return fmt.Errorf("writing the report to %s: %w", o.path, err)
	}
	return nil
}

// writeThrough opens path (following links) and writes b into what is
// there: a device, a FIFO (which waits for a reader), a link's target.
func writeThrough(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644) // O_TRUNC: no effect on a device or FIFO
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// replaceFile writes b to a temporary file beside path and renames it over
// path, so that a reader never sees half a report.
func replaceFile(path string, b []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
