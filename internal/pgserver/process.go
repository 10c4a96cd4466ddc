package pgserver

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smartlic/reconciler/internal/proclog"
)

// errExited means the process ended before it accepted connections.
var errExited = errors.New("process exited")

// pollInterval is the pause between two readiness probes.
const pollInterval = 50 * time.Millisecond

// tailLines is how many lines of server output an error message quotes.
const tailLines = 5

// stopTimeout bounds a fast shutdown before Stop falls back to SIGKILL.
const stopTimeout = 30 * time.Second

// process is one postmaster child (the leader of its process group) and
// its output.
type process struct {
	*proclog.Process
}

func startProcess(path string, args []string, cred *syscall.Credential, out *proclog.Lines) (*process, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = serverEnv()
	cmd.SysProcAttr = sysProcAttr(cred)
	// The children inherit the output pipe; a child that outlives the
	// postmaster must not keep Wait (and so Kill) from returning.
	cmd.WaitDelay = time.Second
	p, err := proclog.Start(cmd, out)
	if err != nil {
		return nil, err
	}
	return &process{p}, nil
}

// signalAll sends sig to the postmaster and each of its children (backends
// and background workers run in sessions of their own, so a process group
// signal would miss them). The postmaster is frozen first, so that it forks
// no child and none is orphaned (and lost to us) while the signal goes out.
func (p *process) signalAll(sig syscall.Signal) error {
	pid := p.Cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return err
	}
	for _, c := range children(pid) {
		_ = syscall.Kill(c, sig) // a child may have exited meanwhile
	}
	return syscall.Kill(pid, sig) // SIGCONT and SIGKILL also end the freeze
}

// kill sends SIGKILL to the postmaster and its children (which also ends
// stopped processes) and waits for the postmaster to be reaped.
func (p *process) kill() {
	_ = p.signalAll(syscall.SIGKILL) // fails only when the postmaster is gone
	<-p.Done()
}

// stop asks for a fast shutdown (SIGINT: clients are disconnected, a
// checkpoint is written) and waits for it, killing the group after
// stopTimeout. SIGTERM would be a "smart" shutdown, which waits for every
// client to disconnect by itself: forever, with a pool connected.
func (p *process) stop() error {
	_ = p.signalAll(syscall.SIGCONT) // a paused server cannot shut down
	if err := p.Cmd.Process.Signal(syscall.SIGINT); err != nil {
		p.kill()
		return nil
	}
	select {
	case <-p.Done():
		return nil
	case <-time.After(stopTimeout):
		p.kill()
		return fmt.Errorf("postgres did not shut down within %s; killed", stopTimeout)
	}
}

// waitReady polls dsn until the server answers a ping, the process exits
// (errExited) or ctx ends.
func waitReady(ctx context.Context, p *process, dsn string) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	var last error
	for {
		if last = ping(ctx, dsn); last == nil {
			return nil
		}
		select {
		case <-p.Done():
			return errExited
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %w)", ctx.Err(), last)
		case <-t.C:
		}
	}
}

// ping connects to dsn and pings, within a second.
func ping(ctx context.Context, dsn string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	return c.Ping(ctx)
}

// isStatement recognises the lines of log_statement=all: "LOG:  statement:"
// for the simple protocol, "LOG:  execute NAME:" for the extended one.
func isStatement(line string) bool {
	return strings.Contains(line, "LOG:  statement: ") || strings.Contains(line, "LOG:  execute ")
}
