package pgserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"go.uber.org/zap"
)

// debianBinGlob is where Debian's postgresql packages put the server
// binaries, one directory per major version.
const debianBinGlob = "/usr/lib/postgresql/*/bin"

// findBinDir returns the directory holding initdb and postgres: dir when
// set, else the newest Debian version, else the directory of postgres in
// PATH.
func findBinDir(dir string) (string, error) {
	if dir != "" {
		return dir, checkBinDir(dir)
	}
	dirs, _ := filepath.Glob(debianBinGlob) // the pattern is valid
	slices.SortFunc(dirs, func(a, b string) int { return cmp.Compare(majorOf(b), majorOf(a)) })
	for _, d := range dirs {
		if checkBinDir(d) == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		d := filepath.Dir(p)
		return d, checkBinDir(d)
	}
	return "", fmt.Errorf("%w: no initdb and postgres in %s or PATH", ErrNotInstalled, debianBinGlob)
}

// majorOf reads the major version from /usr/lib/postgresql/VERSION/bin.
func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func checkBinDir(dir string) error {
	for _, b := range []string{"initdb", "postgres"} {
		if _, err := exec.LookPath(filepath.Join(dir, b)); err != nil {
			return fmt.Errorf("%w: %w", ErrNotInstalled, err)
		}
	}
	return nil
}

// credential returns who the server runs as: nil (this process's user)
// unless this process is root, which PostgreSQL refuses; then name, or the
// Debian package's "postgres" user, or "nobody".
func credential(name string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	names := []string{name}
	if name == "" {
		names = []string{"postgres", "nobody"}
	}
	var errs []error
	for _, n := range names {
		u, err := user.Lookup(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("user %s: %w", n, err)
		}
		// No supplementary groups: root's are not inherited.
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
	}
	return nil, fmt.Errorf("running as root, and no unprivileged user to run PostgreSQL as: %w", errors.Join(errs...))
}

// makeDir creates the server's temporary directory, owned by cred.
func makeDir(cred *syscall.Credential) (string, error) {
	dir, err := os.MkdirTemp("", "pgserver-")
	if err != nil {
		return "", fmt.Errorf("creating data directory: %w", err)
	}
	if err := chown(dir, cred); err != nil {
		_ = os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

func chown(path string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("handing %s to uid %d: %w", path, cred.Uid, err)
	}
	return nil
}

// initdb creates a cluster in dataDir whose superuser "postgres" has
// password: password (SCRAM) over TCP, trust over the private socket.
func (s *Server) initdb(ctx context.Context) error {
	pwfile := filepath.Join(s.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing password file: %w", err)
	}
	defer os.Remove(pwfile)
	if err := chown(pwfile, s.cred); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(s.binDir, "initdb"),
		"-D", s.DataDir(), "-U", SuperUser, "--pwfile", pwfile,
		"--auth-host=scram-sha-256", "--auth-local=trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	cmd.Env = serverEnv()
	cmd.SysProcAttr = sysProcAttr(s.cred)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %w: %s", err, lastLines(string(out)))
	}
	s.log.Debug("initdb done", zap.String("dataDir", s.DataDir()))
	return nil
}

// serverEnv is this process's environment without the PG* variables
// (PGDATA, PGPORT, ...) that would steer the server elsewhere.
func serverEnv() []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "PG") })
	return append(env, "LC_ALL=C")
}

// lastLines keeps the end of a command's output for an error message.
func lastLines(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	return strings.Join(lines, " | ")
}

// removeAll deletes the server's directory; a missing one is no error.
func removeAll(dir string) error {
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", dir, err)
	}
	return nil
}
