package railway

import (
	"errors"
	"fmt"

	"github.com/smartlic/reconciler/spec"
)

// TokenKind says how a Railway token is sent.
type TokenKind int

// Token kinds (CONTRACT section 3).
const (
	// BearerToken is an account or workspace token (RAILWAY_API_TOKEN), sent
	// as "Authorization: Bearer <token>".
	BearerToken TokenKind = iota + 1
	// ProjectToken is a project token (RAILWAY_TOKEN), sent as
	// "Project-Access-Token: <token>".
	ProjectToken
)

// Environment variables the credentials are read from.
const (
	EnvAPIToken     = "RAILWAY_API_TOKEN"
	EnvProjectToken = "RAILWAY_TOKEN"
)

// ErrNoToken means neither RAILWAY_API_TOKEN nor RAILWAY_TOKEN is set.
var ErrNoToken = errors.New("no Railway token: set RAILWAY_API_TOKEN (account/workspace token) or RAILWAY_TOKEN (project token)")

// String names the kind ("bearer", "project").
func (k TokenKind) String() string {
	switch k {
	case BearerToken:
		return "bearer"
	case ProjectToken:
		return "project"
	}
	return fmt.Sprintf("TokenKind(%d)", int(k))
}

// Credentials is a Railway token and where it came from. The token itself is
// unexported and held in a spec.Secret: printing Credentials in any form shows
// only the kind and the variable name.
type Credentials struct {
	// Kind decides the header the token is sent in.
	Kind TokenKind
	// EnvVar is the environment variable the token came from; errors name it.
	EnvVar string

	// token is held in a closure so that even reflection-based printing (of
	// a struct holding Credentials in an unexported field, or a bad verb)
	// shows only a function address.
	token func() spec.Secret
}

// CredentialsFromEnv reads the token with lookup (os.LookupEnv in production):
// RAILWAY_API_TOKEN wins when set and non-empty, else RAILWAY_TOKEN. With
// neither it returns ErrNoToken.
func CredentialsFromEnv(lookup func(string) (string, bool)) (Credentials, error) {
	if v, ok := lookup(EnvAPIToken); ok && v != "" {
		return NewCredentials(BearerToken, EnvAPIToken, v), nil
	}
	if v, ok := lookup(EnvProjectToken); ok && v != "" {
		return NewCredentials(ProjectToken, EnvProjectToken, v), nil
	}
	return Credentials{}, ErrNoToken
}

// NewCredentials builds credentials from a token. An empty envVar defaults to
// the variable conventionally holding that kind of token.
func NewCredentials(kind TokenKind, envVar, token string) Credentials {
	if envVar == "" {
		envVar = defaultEnvVar(kind)
	}
	secret := spec.NewSecret(token)
	return Credentials{Kind: kind, EnvVar: envVar, token: func() spec.Secret { return secret }}
}

func defaultEnvVar(kind TokenKind) string {
	if kind == ProjectToken {
		return EnvProjectToken
	}
	return EnvAPIToken
}

// String shows the variable and the kind, never the token.
func (c Credentials) String() string {
	if !c.hasToken() {
		return "no Railway token"
	}
	return fmt.Sprintf("%s (%s token)", c.source(), c.Kind)
}

// GoString keeps %#v from printing the token.
func (c Credentials) GoString() string { return fmt.Sprintf("railway.Credentials(%q)", c.String()) }

// Format keeps every fmt verb from printing the token.
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	if verb == 'q' {
		fmt.Fprintf(f, "%q", c.String())
		return
	}
	fmt.Fprint(f, c.String())
}

// source is the variable name used in messages.
func (c Credentials) source() string {
	if c.EnvVar != "" {
		return c.EnvVar
	}
	return defaultEnvVar(c.Kind)
}

// hasToken reports whether a non-empty token is held.
func (c Credentials) hasToken() bool { return c.token != nil && !c.token().IsZero() }

// value is the token, "" when none.
func (c Credentials) value() string {
	if c.token == nil {
		return ""
	}
	return c.token().Value()
}

// valid reports whether the credentials can authenticate a request.
func (c Credentials) valid() bool {
	return (c.Kind == BearerToken || c.Kind == ProjectToken) && c.hasToken()
}
