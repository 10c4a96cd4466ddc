package pgstore_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/state/pgstore"
)

const secret = "s3cr3t-Pa55w0rd"

// closedPort returns a loopback port that nothing listens on.
func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port
}

func openErr(t *testing.T, dsn string, o pgstore.Options) (time.Duration, error) {
	t.Helper()
	begin := time.Now()
	s, err := pgstore.Open(t.Context(), dsn, o)
	if err == nil {
		_ = s.Close()
		t.Fatalf("Open succeeded")
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), url.QueryEscape(secret)) {
		t.Fatalf("the error carries the password: %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("the error spans lines: %q", err)
	}
	t.Logf("%v (%v)", err, time.Since(begin).Round(time.Millisecond))
	return time.Since(begin), err
}

func TestOpenRefusedConnection(t *testing.T) {
	port := closedPort(t)
	_, err := openErr(t, fmt.Sprintf("postgres://app:%s@127.0.0.1:%d/db", secret, port), pgstore.Options{})
	want := fmt.Sprintf("connecting to postgres at 127.0.0.1:%d as app: connection refused", port)
	if err.Error() != want {
		t.Fatalf("got %q, want %q", err, want)
	}
}

func TestOpenWrongPassword(t *testing.T) {
	srv := pg.Server(t)
	dsn := fmt.Sprintf("postgres://postgres:%s@%s/postgres?sslmode=disable", url.QueryEscape(secret), srv.Addr())
	_, err := openErr(t, dsn, pgstore.Options{})
	if !strings.HasPrefix(err.Error(), "connecting to postgres at "+srv.Addr()+" as postgres: password authentication failed") {
		t.Fatalf("got %q", err)
	}
	// The same in keyword/value form.
	kv := fmt.Sprintf("host=127.0.0.1 port=%d user=postgres password='%s' dbname=postgres sslmode=disable", srv.Port(), secret)
	openErr(t, kv, pgstore.Options{})
}

func TestOpenUnknownDatabase(t *testing.T) {
	srv := pg.Server(t)
	_, err := openErr(t, srv.DSN("nosuchdb"), pgstore.Options{})
	if !strings.Contains(err.Error(), `database "nosuchdb" does not exist`) || strings.Contains(err.Error(), srv.Password()) {
		t.Fatalf("got %q", err)
	}
}

func TestOpenBadURL(t *testing.T) {
	for _, dsn := range []string{
		"postgres://app:" + secret + "@127.0.0.1:notaport/db",
		"postgres://app:" + secret + "@[::1/db",
		"host=127.0.0.1 password=" + secret + " port=x",
	} {
		_, err := openErr(t, dsn, pgstore.Options{})
		if !strings.HasPrefix(err.Error(), "invalid postgres URL") {
			t.Errorf("got %q", err)
		}
	}
}

// TestOpenUnresponsiveIsFast: a server that accepts the connection and
// never answers is given up after ConnectTimeout.
func TestOpenUnresponsiveIsFast(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // silent until the listener closes
		}
	}()
	dsn := fmt.Sprintf("postgres://app:%s@%s/db?sslmode=disable", secret, l.Addr())
	took, err := openErr(t, dsn, pgstore.Options{ConnectTimeout: 500 * time.Millisecond})
	if !strings.HasSuffix(err.Error(), "no answer within 500ms") || took > 5*time.Second {
		t.Fatalf("got %q after %v", err, took)
	}
}

func TestOpenRejectsBadTimings(t *testing.T) {
	_, err := pgstore.Open(context.Background(), "postgres://x@127.0.0.1/db",
		pgstore.Options{LeaseDuration: time.Second, RenewDeadline: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "renewDeadline") {
		t.Fatalf("got %v", err)
	}
}
