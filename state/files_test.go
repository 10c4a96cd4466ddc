package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

func files(t *testing.T, path string) *Files {
	t.Helper()
	return SingleFile(path, FileOptions{Logger: zaptest.NewLogger(t), Now: func() time.Time { return t0 }, Command: "reconciler test"})
}

func lease(t *testing.T, f *Files, name string) Lease {
	t.Helper()
	l, err := f.TryAcquire(t.Context(), name)
	if err != nil {
		t.Fatalf("TryAcquire: %v", err)
	}
	t.Cleanup(func() { l.Release(context.Background()) })
	return l
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "state.json")
	f := files(t, path)
	if _, err := f.Load(t.Context(), "prod"); !errors.Is(err, ErrNoState) {
		t.Fatalf("Load before any save = %v, want ErrNoState", err)
	}
	l := lease(t, f, "prod")
	st := New("prod", t0)
	st.Health.Mode = ModeRolledBack
	st.Addon.ServiceID = "svc_1"
	st.TrackDeploy("backend", &Deploy{ServiceID: "svc_2", Reason: "variables changed", Intent: t0})
	st.SetCondition(Condition{Type: CondReady, Status: False, Reason: "RolledBack"}, t0)
	st.AddEvent(Event{At: t0, Type: "RolledBack", Message: "3 unhealthy rounds"})
	if err := f.Save(t.Context(), l, st); err != nil {
		t.Fatal(err)
	}
	got, err := f.Load(t.Context(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	if got.Health.Mode != ModeRolledBack || got.Addon.ServiceID != "svc_1" || got.DeployFor("backend").ServiceID != "svc_2" ||
		len(got.Events) != 1 || len(got.Conds) != 1 {
		t.Fatalf("round trip lost data: %+v", got)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("state mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temp file left behind: %s", e.Name())
		}
	}
}

func TestSecondAcquireIsLockedAndNamesTheHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	f := files(t, path)
	lease(t, f, "prod")
	_, err := SingleFile(path, FileOptions{Command: "second"}).TryAcquire(t.Context(), "prod")
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second TryAcquire = %v, want *LockedError", err)
	}
	if le.Holder.PID != os.Getpid() || le.Holder.Command != "reconciler test" {
		t.Fatalf("holder = %+v", le.Holder)
	}
	if !strings.Contains(err.Error(), "reconciler test") || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("error does not say who holds the lock: %v", err)
	}
	if h, held, err := f.Holder(t.Context(), "prod"); err != nil || !held || h.Command != "reconciler test" {
		t.Fatalf("Holder = %+v, %v, %v", h, held, err)
	}
}

func TestReleasedLeaseCannotSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	f := files(t, path)
	l := lease(t, f, "prod")
	if err := l.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Done():
	default:
		t.Fatal("Done not closed by Release")
	}
	if _, held, _ := f.Holder(t.Context(), "prod"); held {
		t.Fatal("lock still held after Release")
	}
	if err := f.Save(t.Context(), l, New("prod", t0)); !errors.Is(err, ErrFenced) {
		t.Fatalf("Save under a released lease = %v, want ErrFenced", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a fenced save wrote the file: %v", err)
	}
	lease(t, f, "prod") // free again
}

func TestAcquireWaitsAsStandby(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	holder := lease(t, files(t, path), "prod")
	var waits atomic.Int32
	release := make(chan struct{})
	standby := SingleFile(path, FileOptions{Command: "standby", Logger: zaptest.NewLogger(t),
		Sleep: func(ctx context.Context, _ time.Duration) error {
			if waits.Add(1) == 3 {
				close(release)
			}
			return ctx.Err()
		}})
	go func() {
		<-release
		holder.Release(context.Background())
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	l, err := standby.Acquire(ctx, "prod")
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	defer l.Release(context.Background())
	if waits.Load() < 3 {
		t.Fatalf("acquired after %d waits, while the lock was held", waits.Load())
	}
	if l.Holder().Command != "standby" {
		t.Fatalf("holder = %+v", l.Holder())
	}
}

func TestAcquireEndsWithItsContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	lease(t, files(t, path), "prod")
	ctx, cancel := context.WithCancel(t.Context())
	standby := SingleFile(path, FileOptions{Sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }})
	if _, err := standby.Acquire(ctx, "prod"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire = %v, want context.Canceled", err)
	}
}

func TestCorruptStateIsRefusedThenQuarantinedUniquely(t *testing.T) {
	for name, content := range map[string]string{
		"garbage":      "{not json",
		"truncated":    `{"version":1,"phase":"Healthy"`,
		"version":      `{"version":0,"phase":"Healthy","health":{"mode":"Bound"}}`,
		"empty":        "",
		"unknownPhase": `{"version":1,"phase":"Exploded","health":{"mode":"Bound"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			f := files(t, path)
			l := lease(t, f, "prod")
			var want []string
			for i, suffix := range []string{"", "-2", "-3"} {
				if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
				if _, err := f.Load(t.Context(), "prod"); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Load = %v, want ErrCorrupt", err)
				}
				aside, err := f.Quarantine(t.Context(), l, "prod")
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, path+".corrupt-20261125T100000Z"+suffix)
				if aside != want[i] {
					t.Fatalf("moved to %q, want %q", aside, want[i])
				}
			}
			for _, p := range want {
				if b, err := os.ReadFile(p); err != nil || string(b) != content {
					t.Fatalf("corrupt file %s not preserved: %v", p, err)
				}
			}
		})
	}
}

func TestNewerStateIsRefusedNotMovedAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	doc := `{"version":99,"phase":"Held","health":{"mode":"Held"}}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := files(t, path).Load(t.Context(), "prod"); !errors.Is(err, ErrNewerState) || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("Load = %v, want ErrNewerState", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != doc {
		t.Fatalf("the newer state was touched: %v", err)
	}
}

func TestSymlinkedStatePathWritesAndLocksTheTarget(t *testing.T) {
	dir := t.TempDir()
	volume := filepath.Join(dir, "volume")
	if err := os.Mkdir(volume, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(volume, "state.json")
	link := filepath.Join(dir, "state.json")
	if err := os.Symlink(target, link); err != nil { // dangling until the first save
		t.Fatal(err)
	}
	f := files(t, link)
	l := lease(t, f, "prod")
	if err := f.Save(t.Context(), l, New("prod", t0)); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v, %v", fi.Mode(), err)
	}
	if _, err := Read(target); err != nil {
		t.Fatalf("the target was not written: %v", err)
	}
	if _, err := os.Stat(target + ".lock"); err != nil {
		t.Fatalf("the lock is not beside the target: %v", err)
	}
	if _, err := os.Lstat(link + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a lock was created beside the link: %v", err)
	}
}

func TestDirectoryStatePathIsAClearError(t *testing.T) {
	dir := t.TempDir()
	f := files(t, dir)
	for what, err := range map[string]error{
		"load": func() error { _, err := f.Load(t.Context(), "prod"); return err }(),
		"lock": func() error { _, err := f.TryAcquire(t.Context(), "prod"); return err }(),
		"read": func() error { _, err := Read(dir); return err }(),
	} {
		if err == nil || errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("%s: %v, want a clear directory error", what, err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
		t.Fatalf("something was moved or created beside the directory: %v", entries)
	}
}

func TestReadMissing(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "none.json"))
	if !errors.Is(err, ErrNoState) {
		t.Fatalf("Read = %v, want ErrNoState", err)
	}
}
