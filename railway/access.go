package railway

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap"
)

// accessError is an access failure: a one-line message naming the variable
// and Railway's answer, unwrapping to the classified causes.
type accessError struct {
	msg  string
	errs []error
}

func (e *accessError) Error() string   { return e.msg }
func (e *accessError) Unwrap() []error { return e.errs }

// CheckAccess confirms that the token works and reaches projectID (see
// CheckAccessTo; no environment is checked).
func (c *Client) CheckAccess(ctx context.Context, projectID string) error {
	return c.CheckAccessTo(ctx, projectID, "")
}

// CheckAccessTo confirms that the token works and reaches projectID and,
// when environment (a name or an id) is not "", that environment of it.
//
// A Bearer token is checked with apiToken { workspaces }, then project(id)
// with its environments (two requests). A project token is checked with
// projectToken (one request): its projectId and environmentId must both
// match. A mismatch names both sides, e.g. `RAILWAY_TOKEN is a project
// token for environment "staging" (e-2), not for environment "production"
// (e-1) ...`, and wraps ErrTokenScope and ErrUnauthorized. A rejection says
// which variable was used and what Railway answered ("RAILWAY_API_TOKEN was
// rejected by Railway: Not Authorized") and unwraps to ErrUnauthorized or
// ErrNotFound; an unknown environment wraps ErrNotFound; transient failures
// keep their type. The token never appears.
//
// apiToken is documented for workspace tokens; whether it answers for an
// account token is unverified. So when apiToken refuses but project(id)
// answers, the token is accepted: the project read is what the reconciler
// needs.
func (c *Client) CheckAccessTo(ctx context.Context, projectID, environment string) error {
	if c.creds.Kind == ProjectToken {
		return c.checkProjectToken(ctx, projectID, environment)
	}
	var gql *GraphQLError
	_, tokErr := c.apiTokenWorkspaces(ctx)
	if tokErr != nil && !errors.As(tokErr, &gql) {
		return c.accessFailure(tokErr, "was rejected by Railway")
	}
	proj, projErr := c.projectAccess(ctx, projectID)
	switch {
	case projErr == nil:
		if tokErr != nil {
			c.log.Debug("apiToken refused but the project is readable", zap.Error(tokErr))
		}
		return c.checkEnvironment(proj, environment)
	case tokErr != nil:
		return c.accessFailure(tokErr, "was rejected by Railway")
	}
	return c.accessFailure(projErr, fmt.Sprintf("has no access to project %s", projectID))
}

// checkEnvironment fails when environment is neither the id nor the name of
// one of the project's environments.
func (c *Client) checkEnvironment(p *Project, environment string) error {
	if environment == "" {
		return nil
	}
	if _, ok := p.Environment(environment); ok {
		return nil
	}
	names := make([]string, 0, len(p.Environments))
	for _, e := range p.Environments {
		names = append(names, fmt.Sprintf("%q", e.Name))
	}
	return &accessError{
		msg: fmt.Sprintf("environment %q not found in project %q (%s); it has %s",
			environment, p.Name, p.ID, orNone(strings.Join(names, ", "))),
		errs: []error{ErrNotFound},
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (c *Client) checkProjectToken(ctx context.Context, projectID, environment string) error {
	info, err := c.projectToken(ctx)
	if err != nil {
		return c.accessFailure(err, "was rejected by Railway")
	}
	if info.Project.ID != projectID {
		return &accessError{
			msg:  fmt.Sprintf("%s is a token for project %s, not project %s", c.creds.source(), info.Project.ID, projectID),
			errs: []error{ErrTokenScope, ErrUnauthorized},
		}
	}
	if environment == "" || environment == info.Environment.ID || environment == info.Environment.Name {
		return nil
	}
	want := Environment{ID: environment, Name: environment}
	if p, perr := c.Project(ctx, projectID); perr == nil { // best effort: name the other side fully
		if e, ok := p.Environment(environment); ok {
			want = e
		}
	}
	return &accessError{
		msg: fmt.Sprintf("%s is a project token for environment %q (%s), not for environment %q (%s): a project token reaches one environment only; use a project token of %q, or a workspace token in %s",
			c.creds.source(), info.Environment.Name, info.Environment.ID, want.Name, want.ID, want.Name, EnvAPIToken),
		errs: []error{ErrTokenScope, ErrUnauthorized},
	}
}

// accessFailure phrases a failed access check. Permanent answers become
// "<VAR> <what>: <Railway's messages>"; anything else is "checking <VAR>: err".
func (c *Client) accessFailure(err error, what string) error {
	var gql *GraphQLError
	if errors.As(err, &gql) {
		return &accessError{
			msg:  fmt.Sprintf("%s %s: %s", c.creds.source(), what, strings.Join(gql.Messages, "; ")),
			errs: []error{err},
		}
	}
	return fmt.Errorf("checking %s: %w", c.creds.source(), err)
}

// projectTokenRefusal turns a refused templateDeployV2 sent with a project
// token into ErrProjectTokenCannotCreate; other errors pass unchanged.
func (c *Client) projectTokenRefusal(err error) error {
	if c.creds.Kind != ProjectToken || !errors.Is(err, ErrUnauthorized) {
		return err
	}
	return &accessError{
		msg: fmt.Sprintf("railway %s: Railway refused to create the addon with the project token in %s (%v): creating the addon needs a workspace or account token in %s",
			OpDeployTemplate, c.creds.source(), railwayAnswer(err), EnvAPIToken),
		errs: []error{ErrProjectTokenCannotCreate, err},
	}
}

// railwayAnswer is Railway's own messages in err, or err itself.
func railwayAnswer(err error) string {
	var gql *GraphQLError
	if errors.As(err, &gql) {
		return strings.Join(gql.Messages, "; ")
	}
	return err.Error()
}
