package redisserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/proclog"
)

// errExited means the process ended before it answered PING.
var errExited = errors.New("process exited")

// pollInterval is the pause between two readiness probes.
const pollInterval = 10 * time.Millisecond

// tailLines is how many lines of server output an ErrNotReady error quotes.
const tailLines = 5

// process is one redis-server child and its output.
type process struct {
	*proclog.Process
}

func startProcess(binary, config string, log *zap.Logger) (*process, error) {
	out := proclog.New(tailLines, func(line string) bool {
		log.Debug("redis-server output", zap.String("line", line))
		return true
	})
	cmd := exec.Command(binary, "-") // "-": read the configuration from stdin
	cmd.Stdin = strings.NewReader(config)
	cmd.SysProcAttr = sysProcAttr()
	p, err := proclog.Start(cmd, out)
	if err != nil {
		return nil, err
	}
	return &process{p}, nil
}

// kill sends SIGKILL (which also ends a stopped process) and waits for the
// process to be reaped.
func (p *process) kill() {
	_ = p.Cmd.Process.Kill() // fails only when the process is already gone
	<-p.Done()
}

// waitReady polls addr until the server answers AUTH and PING, the process
// exits (errExited) or ctx ends.
func waitReady(ctx context.Context, p *process, addr, password string) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	var last error
	for {
		if last = ping(ctx, addr, password); last == nil {
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

// ping sends AUTH and PING on a fresh connection and checks both replies.
func ping(ctx context.Context, addr, password string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl) // a fresh TCP conn accepts deadlines
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n*1\r\n$4\r\nPING\r\n", len(password), password)
	if _, err := c.Write(req.Bytes()); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	for _, want := range []string{"+OK", "+PONG"} {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if got := strings.TrimRight(line, "\r\n"); got != want {
			return fmt.Errorf("unexpected reply %q", got)
		}
	}
	return nil
}
