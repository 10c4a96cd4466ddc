package pgstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smartlic/reconciler/state"
	"github.com/smartlic/reconciler/state/pgstore"
)

// helperEnv makes the test binary a leader process for TestFrozenLeader.
const helperEnv = "PGSTORE_TEST_HELPER_DSN"

// helper leads unit "app": it prints "acquired EPOCH", then saves every
// 50 ms ("saved"), until a save is refused ("fenced: ERROR"), and exits.
func helper(dsn string) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := pgstore.Open(ctx, dsn, testOptions())
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	defer s.Close()
	l, err := s.Acquire(ctx, "app")
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("acquired", l.Epoch())
	st := state.New("app", time.Now())
	st.Phase = state.RolledBack // the frozen leader's mark
	for ctx.Err() == nil {
		err := s.Save(ctx, l, st)
		if errors.Is(err, state.ErrFenced) {
			fmt.Println("fenced:", err)
			return 0
		}
		fmt.Println("saved")
		time.Sleep(50 * time.Millisecond)
	}
	return 1
}

// TestFrozenLeader: a leader process is frozen with SIGSTOP; a follower
// takes over within LeaseDuration + RetryPeriod; once resumed, the old
// leader's next save is refused and the row stays the new leader's.
func TestFrozenLeader(t *testing.T) {
	dsn := pg.Database(t)
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dsn)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	expect := func(prefix string) string {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("helper exited before %q", prefix)
				}
				if strings.HasPrefix(l, prefix) {
					return l
				}
			case <-timeout:
				t.Fatalf("helper: no %q", prefix)
			}
		}
	}
	expect("acquired 1")
	expect("saved")
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	frozen := time.Now()

	b := open(t, dsn)
	lb := acquire(t, b, "app")
	took := time.Since(frozen)
	t.Logf("takeover %v after the leader froze (epoch %d)", took.Round(time.Millisecond), lb.Epoch())
	if took > leaseDuration+retryPeriod+slack {
		t.Fatalf("takeover took %v, want about LeaseDuration + RetryPeriod (%v)", took, leaseDuration+retryPeriod)
	}
	st := state.New("app", time.Now())
	st.Phase = state.Healthy
	if err := b.Save(t.Context(), lb, st); err != nil {
		t.Fatalf("new leader's save: %v", err)
	}

	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	t.Logf("old leader after SIGCONT: %s", expect("fenced:"))
	got, err := b.Load(t.Context(), "app")
	if err != nil || got.Phase != state.Healthy {
		t.Fatalf("row after the old leader resumed: %v, %v; want the new leader's", got, err)
	}
	if lb.Err() != nil {
		t.Fatalf("new leader lost its lease: %v", lb.Err())
	}
}
