package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/smartlic/reconciler/state"
	"github.com/smartlic/reconciler/state/pgstore"
)

// slowTimeout bounds the checks that may need a TLS handshake across the
// internet (the database, a webhook): probeTimeout, and at least 2 s.
func (d *doctor) slowTimeout() time.Duration { return max(d.timeout, 2*time.Second) }

// stateChecks checks where the state is kept: the file and its lock, or
// the PostgreSQL database and its leases.
func (d *doctor) stateChecks(ctx context.Context) []doctorCheck {
	if d.sp.State.UsesPostgres() {
		return []doctorCheck{d.postgresCheck(ctx)}
	}
	return []doctorCheck{d.fileStateCheck(ctx)}
}

const stateDirFix = "set state.path to a file in a writable directory (on Railway, a volume mounted at /data: state.path /data/state.json)"

// fileStateCheck checks that the state file can be written (its directory,
// or the nearest existing one when apply has yet to create it), that the
// state there is readable, and whether another process holds its lock.
func (d *doctor) fileStateCheck(ctx context.Context) doctorCheck {
	p, err := state.ResolvePath(d.sp.State.Path)
	if err != nil {
		return doctorFail("state", err.Error(), stateDirFix)
	}
	where, err := writableDir(filepath.Dir(p))
	if err != nil {
		return doctorFail("state", fmt.Sprintf("%s cannot be written: %v", p, err), stateDirFix)
	}
	if err := lockOpens(p + ".lock"); err != nil {
		return doctorFail("state", fmt.Sprintf("%s's lock cannot be opened: %v", p, err), "make "+p+".lock writable by the reconciler's user, or remove it while no reconciler runs")
	}
	saved, c := savedState(p)
	if c != nil {
		return *c
	}
	h, held, err := state.SingleFile(p, state.FileOptions{}).Holder(ctx, d.sp.Name)
	lock := "lock free"
	switch {
	case err != nil:
		lock = "lock unknown: " + err.Error()
	case held:
		lock = fmt.Sprintf("locked by %s: apply, rollback and rollforward from here are refused while it runs", h)
	}
	return doctorOK("state", fmt.Sprintf("%s: %s, %s, %s", p, where, saved, lock))
}

// writableDir checks that dir, or, when it does not exist yet, its nearest
// existing parent (where apply creates it), is a directory a file can be
// created in: it creates and removes a temporary file there.
func writableDir(dir string) (string, error) {
	for cur := dir; ; cur = filepath.Dir(cur) {
		fi, err := os.Stat(cur)
		switch {
		case err == nil && !fi.IsDir():
			return "", fmt.Errorf("%s is a file, not a directory", cur)
		case err == nil:
			if err := tryCreate(cur); err != nil {
				return "", err
			}
			if cur == dir {
				return "directory writable", nil
			}
			return fmt.Sprintf("%s does not exist yet (apply creates it in %s, which is writable)", dir, cur), nil
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return "", err
		case filepath.Dir(cur) == cur:
			return "", fmt.Errorf("no directory of %s exists", dir)
		}
	}
}

// tryCreate creates and removes a temporary file in dir.
func tryCreate(dir string) error {
	f, err := os.CreateTemp(dir, ".reconciler-doctor-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("creating a file in %s: %w", dir, pe.Err)
		}
		return err
	}
	name := f.Name()
	_ = f.Close() // empty; nothing to flush
	return os.Remove(name)
}

// lockOpens checks that an existing lock file opens for writing (the lock
// takes it that way); a missing one is created by the first apply.
func lockOpens(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return pe.Err
		}
		return err
	}
	return f.Close()
}

// savedState describes the state in the file, or fails when the commands
// would refuse it.
func savedState(p string) (string, *doctorCheck) {
	st, err := state.Read(p)
	switch {
	case err == nil:
		return fmt.Sprintf("state of %q in phase %s since %s", st.Name, st.Phase, st.Since.UTC().Format(time.RFC3339)), nil
	case errors.Is(err, state.ErrNoState):
		return "no state yet", nil
	case errors.Is(err, state.ErrNewerState):
		c := doctorFail("state", err.Error(), "upgrade the reconciler to the version that wrote it")
		return "", &c
	case errors.Is(err, state.ErrCorrupt):
		c := doctorFail("state", err.Error(), "apply moves a corrupt state aside and starts over (plan and report refuse it): look at the file, then run apply")
		return "", &c
	}
	c := doctorFail("state", err.Error(), "make the state file readable by the reconciler's user")
	return "", &c
}

// postgresCheck connects to the state database, read-only, and names the
// holders of the unit's leases.
func (d *doctor) postgresCheck(ctx context.Context) doctorCheck {
	ctx, cancel := context.WithTimeout(ctx, d.slowTimeout())
	defer cancel()
	in, err := pgstore.Inspect(ctx, d.sp.State.Postgres.URL.Value(), d.sp.Name)
	if err != nil {
		return doctorFail("state", err.Error(), "check state.postgres.url (its host, port, user and password) and that the database accepts connections from here; "+
			"a Railway Postgres answers from outside the project only through its TCP proxy (DATABASE_PUBLIC_URL)")
	}
	detail := fmt.Sprintf("postgres at %s answers", in.Target)
	switch {
	case in.SchemaVersion > pgstore.SchemaVersion:
		return doctorFail("state", fmt.Sprintf("%s, but its reconciler tables are at schema version %d, newer than this build's %d", detail, in.SchemaVersion, pgstore.SchemaVersion),
			"upgrade the reconciler to the version the other replicas run")
	case in.SchemaVersion == 0:
		detail += "; no reconciler tables yet (the first run creates them)"
	}
	return doctorOK("state", detail+"; "+leaseHolders(in.Leases))
}

// leaseHolders names who holds each lease.
func leaseHolders(leases map[string]state.Holder) string {
	if len(leases) == 0 {
		return "no replica holds a lease"
	}
	units := make([]string, 0, len(leases))
	for u := range leases {
		units = append(units, u)
	}
	sort.Strings(units)
	parts := make([]string, len(units))
	for i, u := range units {
		parts[i] = fmt.Sprintf("the lease of %q is held by %s", u, leases[u])
	}
	return strings.Join(parts, "; ")
}
