package railway_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/smartlic/reconciler/railway"
)

func TestCredentialsFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		kind    railway.TokenKind
		envVar  string
		wantErr error
	}{
		{"api token", map[string]string{"RAILWAY_API_TOKEN": "a"}, railway.BearerToken, "RAILWAY_API_TOKEN", nil},
		{"project token", map[string]string{"RAILWAY_TOKEN": "p"}, railway.ProjectToken, "RAILWAY_TOKEN", nil},
		{"api token wins", map[string]string{"RAILWAY_API_TOKEN": "a", "RAILWAY_TOKEN": "p"}, railway.BearerToken, "RAILWAY_API_TOKEN", nil},
		{"empty api token ignored", map[string]string{"RAILWAY_API_TOKEN": "", "RAILWAY_TOKEN": "p"}, railway.ProjectToken, "RAILWAY_TOKEN", nil},
		{"none", map[string]string{}, 0, "", railway.ErrNoToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds, err := railway.CredentialsFromEnv(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if creds.Kind != tt.kind || creds.EnvVar != tt.envVar {
				t.Errorf("got %v/%q, want %v/%q", creds.Kind, creds.EnvVar, tt.kind, tt.envVar)
			}
		})
	}
	if want := "no Railway token: set RAILWAY_API_TOKEN (account/workspace token) or RAILWAY_TOKEN (project token)"; railway.ErrNoToken.Error() != want {
		t.Errorf("ErrNoToken = %q", railway.ErrNoToken)
	}
}

func TestCredentialsNeverPrintToken(t *testing.T) {
	t.Parallel()
	creds := railway.NewCredentials(railway.ProjectToken, "", "tok-PRINTME-77")
	opts := railway.Options{Credentials: creds, Endpoint: "http://example.invalid"}
	c, err := railway.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		nested := struct{ creds railway.Credentials }{creds}
		for _, v := range []any{creds, &creds, opts, &opts, c, nested, &nested} {
			if s := fmt.Sprintf(f, v); strings.Contains(s, "PRINTME") {
				t.Errorf("%s of %T leaks the token: %s", f, v, s)
			}
		}
	}
	if got := creds.String(); got != "RAILWAY_TOKEN (project token)" {
		t.Errorf("String() = %q", got)
	}
}

func TestNewRejectsMissingToken(t *testing.T) {
	t.Parallel()
	if _, err := railway.New(railway.Options{}); !errors.Is(err, railway.ErrNoToken) {
		t.Errorf("err = %v, want ErrNoToken", err)
	}
	creds := railway.NewCredentials(railway.BearerToken, "", "t")
	if _, err := railway.New(railway.Options{Credentials: creds, MaxRequestsPerHour: -1}); err == nil {
		t.Error("negative budget accepted")
	}
}
