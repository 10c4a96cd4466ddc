package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// redactor removes the database URL's password from error messages. pgx
// redacts the DSNs it quotes, but only on a best-effort basis; this is the
// second belt.
type redactor struct {
	secrets []string
}

// userinfo matches the password of any URL's userinfo.
var userinfo = regexp.MustCompile(`(://[^:/@\s]*):[^@\s]*@`)

// keyword matches a password in a keyword/value DSN.
var keyword = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)

func newRedactor(dsn string) redactor {
	var pw []string
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			pw = append(pw, p)
		}
	}
	if m := keyword.FindStringSubmatch(dsn); m != nil {
		pw = append(pw, strings.Trim(m[2], "'"))
	}
	var r redactor
	for _, p := range pw {
		if p == "" {
			continue
		}
		r.secrets = append(r.secrets, p, url.QueryEscape(p), url.PathEscape(p),
			(&url.URL{User: url.UserPassword("u", p)}).String()[len("//u:"):])
	}
	return r
}

// clean returns s without any password.
func (r redactor) clean(s string) string {
	for _, p := range r.secrets {
		if p != "" {
			s = strings.ReplaceAll(s, p, "xxxxx")
		}
	}
	s = userinfo.ReplaceAllString(s, "$1:xxxxx@")
	return keyword.ReplaceAllString(s, "${1}xxxxx")
}

// wrap returns err with its message prefixed by op and cleaned; errors.Is
// and errors.As still see err.
func (r redactor) wrap(op string, err error) error {
	return &redactedError{msg: r.clean(op + ": " + err.Error()), err: err}
}

// cause says in a few words why a connection failed.
func (r redactor) cause(err error, timeout time.Duration) string {
	var pgErr *pgconn.PgError
	var errno syscall.Errno
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &pgErr):
		return r.clean(pgErr.Message)
	case errors.As(err, &dnsErr):
		return r.clean(fmt.Sprintf("cannot resolve %s: %s", dnsErr.Name, dnsErr.Err))
	case errors.As(err, &errno):
		return errno.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("no answer within %s", timeout)
	default:
		return r.clean(err.Error())
	}
}

// redactedError is an error whose message was cleaned of secrets.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
