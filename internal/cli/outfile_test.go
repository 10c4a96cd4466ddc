package cli

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// reportHead is how the report of a fresh project opens.
const reportHead = "DRIFT smartlic-production: "

// TestReportOutWritesThroughWhatIsThere runs `report --out` at each kind of
// path of issue 18: none of them may be replaced by a regular file.
func TestReportOutWritesThroughWhatIsThere(t *testing.T) {
	p := newProject(t, "")
	dir := t.TempDir()
	report := func(out string) result {
		t.Helper()
		return run(t, p.env, "report", "-f", p.spec, "--format", "markdown", "--out", out)
	}

	t.Run("stdout", func(t *testing.T) {
		got := report("-")
		if got.code != ExitDrift || !strings.HasPrefix(got.stdout, reportHead) {
			t.Errorf("--out -: %+v", got)
		}
	})
	t.Run("new file", func(t *testing.T) {
		path := filepath.Join(dir, "new.md")
		if got := report(path); got.code != ExitDrift || got.stdout != "" {
			t.Fatalf("%+v", got)
		}
		assertReport(t, path, 0o644)
	})
	t.Run("regular file keeps its mode", func(t *testing.T) {
		path := writeFile(t, filepath.Join(dir, "old.md"), "old", 0o600)
		if got := report(path); got.code != ExitDrift {
			t.Fatalf("%+v", got)
		}
		assertReport(t, path, 0o600)
	})
	t.Run("a null device stays a device", func(t *testing.T) {
		// A private /dev/null (same major and minor), so that a regression
		// cannot replace the machine's own.
		path := filepath.Join(dir, "null")
		if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			t.Skipf("mknod (needs root): %v", err)
		}
		if got := report(path); got.code != ExitDrift {
			t.Fatalf("%+v", got)
		}
		if info, err := os.Lstat(path); err != nil || info.Mode()&fs.ModeCharDevice == 0 {
			t.Errorf("the device became %v (%v)", info.Mode(), err)
		}
	})
	t.Run("a symlink stays a link and its target gets the report", func(t *testing.T) {
		target := writeFile(t, filepath.Join(dir, "target.md"), "old", 0o640)
		link := filepath.Join(dir, "link.md")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if got := report(link); got.code != ExitDrift {
			t.Fatalf("%+v", got)
		}
		if dest, err := os.Readlink(link); err != nil || dest != target {
			t.Errorf("the link now points at %q (%v)", dest, err)
		}
		assertReport(t, target, 0o640)
	})
	t.Run("a dangling symlink gets its target created", func(t *testing.T) {
		target := filepath.Join(dir, "later.md")
		link := filepath.Join(dir, "dangling.md")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if got := report(link); got.code != ExitDrift {
			t.Fatalf("%+v", got)
		}
		if info, err := os.Lstat(link); err != nil || info.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("the link was replaced: %v", err)
		}
		assertReport(t, target, 0o644)
	})
	t.Run("a FIFO receives it", func(t *testing.T) {
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		read := make(chan string, 1)
		go func() {
			f, err := os.Open(fifo) // waits for the writer
			if err != nil {
				read <- err.Error()
				return
			}
			defer f.Close()
			b, _ := io.ReadAll(f)
			read <- string(b)
		}()
		if got := report(fifo); got.code != ExitDrift {
			t.Fatalf("%+v", got)
		}
		select {
		case body := <-read:
			if !strings.HasPrefix(body, reportHead) {
				t.Errorf("the FIFO's reader got %q", body)
			}
		case <-time.After(time.Minute): // a failure bound only
			t.Fatal("nothing came out of the FIFO")
		}
		if info, err := os.Lstat(fifo); err != nil || info.Mode()&fs.ModeNamedPipe == 0 {
			t.Errorf("the FIFO became %v (%v)", info.Mode(), err)
		}
	})
	t.Run("a read-only file is refused, even for root", func(t *testing.T) {
		path := writeFile(t, filepath.Join(dir, "ro.md"), "keep me", 0o444)
		before := p.sim.RequestCount()
		got := report(path)
		if got.code != ExitInvalid || got.stderr != "error: --out "+path+" is read-only (mode 0444): not overwritten; make it writable or choose another path\n" {
			t.Errorf("%+v", got)
		}
		if b, _ := os.ReadFile(path); string(b) != "keep me" {
			t.Errorf("the read-only file now holds %q", b)
		}
		if n := p.sim.RequestCount() - before; n != 0 {
			t.Errorf("Railway was read (%d requests) before --out was refused", n)
		}
	})
	t.Run("a directory is refused", func(t *testing.T) {
		if got := report(dir); got.code != ExitInvalid || !strings.Contains(got.stderr, "is a directory") {
			t.Errorf("%+v", got)
		}
	})
}

func writeFile(t *testing.T, path, body string, perm fs.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

// assertReport checks that path is a regular file with mode perm holding a
// report.
func assertReport(t *testing.T, path string, perm fs.FileMode) {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil || !info.Mode().IsRegular() || info.Mode().Perm() != perm {
		t.Fatalf("%s: %v, %v; want a regular file with mode %v", path, info.Mode(), err, perm)
	}
	if b, _ := os.ReadFile(path); !strings.HasPrefix(string(b), reportHead) {
		t.Errorf("%s holds %q", path, b)
	}
}
