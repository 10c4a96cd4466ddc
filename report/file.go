package report

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// maxSameName bounds the "-N" suffixes tried for reports of the same second.
const maxSameName = 1000

// fileNameLayout names a report file by its UTC time, to the second.
const fileNameLayout = "20060102T150405Z"

// ErrNameTaken is returned when every name for a report's second is taken.
var ErrNameTaken = errors.New("no free report file name")

// fileSink writes one file per report (a unit's or a fleet's) into a
// directory, named by the report's UTC time (report-20261125T090000Z.md or
// .json), never replacing
// an existing file: a second report of the same second is
// report-20261125T090000Z-2.md, and so on.
//
// The content is written to a temp file in the same directory and synced,
// then hard-linked to its final name: link fails when the name exists, so
// even concurrent writers (two processes) never overwrite each other, and a
// reader never sees a partial report. Where the file system has no hard
// links, the file is created with O_EXCL and written in place (never
// overwriting, but briefly partial).
type fileSink struct {
	dir string
	now func() time.Time
}

func (s *fileSink) Name() string { return "file " + s.dir }

func (s *fileSink) Send(ctx context.Context, d Document, rendered []byte) error {
	if d == nil {
		return errNotification
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("creating report directory: %w", err)
	}
	at := d.Headline().GeneratedAt
	if at.IsZero() {
		at = s.now()
	}
	ext := ".md"
	if isJSON(rendered) {
		ext = ".json"
	}
	base := "report-" + at.UTC().Format(fileNameLayout)
	_, err := writeNew(s.dir, base, ext, rendered)
	return err
}

// writeNew writes data to dir/base[-N]ext under the first free name and
// returns it.
func writeNew(dir, base, ext string, data []byte) (string, error) {
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp) // the report lives on under its final name
	for n := 1; n <= maxSameName; n++ {
		name := filepath.Join(dir, base+suffix(n)+ext)
		err := os.Link(tmp, name)
		switch {
		case err == nil:
			return name, syncDir(dir)
		case errors.Is(err, fs.ErrExist):
			continue
		}
		return writeExclusive(dir, base, ext, data)
	}
	return "", fmt.Errorf("%w: %s%s", ErrNameTaken, base, ext)
}

func suffix(n int) string {
	if n == 1 {
		return ""
	}
	return "-" + strconv.Itoa(n)
}

// writeTemp writes data to a synced temp file in dir, mode 0644.
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".report-*.tmp")
	if err != nil {
		return "", fmt.Errorf("creating temp file: %w", err)
	}
	name := f.Name()
	if err := writeSync(f, data); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// writeExclusive is the fallback without hard links: O_EXCL creation.
func writeExclusive(dir, base, ext string, data []byte) (string, error) {
	for n := 1; n <= maxSameName; n++ {
		name := filepath.Join(dir, base+suffix(n)+ext)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("creating report file: %w", err)
		}
		if err := writeSync(f, data); err != nil {
			os.Remove(name) // ours, and incomplete
			return "", err
		}
		return name, syncDir(dir)
	}
	return "", fmt.Errorf("%w: %s%s", ErrNameTaken, base, ext)
}

// writeSync writes, chmods to 0644, syncs and closes f.
func writeSync(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing report file: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing report directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing report directory: %w", err)
	}
	return nil
}
