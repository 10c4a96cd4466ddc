package railway

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap"
)

// accessError is a CheckAccess failure: a one-line message naming the
// variable and Railway's answer, unwrapping to the classified cause.
type accessError struct {
	msg string
	err error
}

func (e *accessError) Error() string { return e.msg }
func (e *accessError) Unwrap() error { return e.err }

// CheckAccess confirms that the token works and reaches projectID, before
// anything is changed. A Bearer token is checked with apiToken { workspaces },
// then project(id); a project token with projectToken, whose projectId must
// equal projectID. A rejection says which variable was used and what Railway
// answered ("RAILWAY_API_TOKEN was rejected by Railway: Not Authorized") and
// unwraps to ErrUnauthorized or ErrNotFound; transient failures keep their
// type. The token never appears.
//
// apiToken is documented for workspace tokens; whether it answers for an
// account token is unverified. So when apiToken refuses but project(id)
// answers, the token is accepted: the project read is what the reconciler
// needs.
func (c *Client) CheckAccess(ctx context.Context, projectID string) error {
	if c.creds.Kind == ProjectToken {
		return c.checkProjectToken(ctx, projectID)
	}
	var tok struct {
		APIToken struct {
			Workspaces []struct{ ID, Name string } `json:"workspaces"`
		} `json:"apiToken"`
	}
	var gql *GraphQLError
	tokErr := c.do(ctx, call{op: OpAPIToken, doc: docAPIToken}, &tok)
	if tokErr != nil && !errors.As(tokErr, &gql) {
		return c.accessFailure(tokErr, "was rejected by Railway")
	}
	var proj struct {
		Project struct{ ID string } `json:"project"`
	}
	projErr := c.do(ctx, call{op: OpProjectAccess, doc: docProjectAccess, vars: map[string]any{"id": projectID}}, &proj)
	switch {
	case projErr == nil:
		if tokErr != nil {
			c.log.Debug("apiToken refused but the project is readable", zap.Error(tokErr))
		}
		return nil
	case tokErr != nil:
		return c.accessFailure(tokErr, "was rejected by Railway")
	}
	return c.accessFailure(projErr, fmt.Sprintf("has no access to project %s", projectID))
}

func (c *Client) checkProjectToken(ctx context.Context, projectID string) error {
	var out struct {
		ProjectToken struct {
			ProjectID     string `json:"projectId"`
			EnvironmentID string `json:"environmentId"`
		} `json:"projectToken"`
	}
	if err := c.do(ctx, call{op: OpProjectToken, doc: docProjectToken}, &out); err != nil {
		return c.accessFailure(err, "was rejected by Railway")
	}
	if got := out.ProjectToken.ProjectID; got != projectID {
		return &accessError{
			msg: fmt.Sprintf("%s is a token for project %s, not project %s", c.creds.source(), got, projectID),
			err: ErrUnauthorized,
		}
	}
	return nil
}

// accessFailure phrases a failed access check. Permanent answers become
// "<VAR> <what>: <Railway's messages>"; anything else is "checking <VAR>: err".
func (c *Client) accessFailure(err error, what string) error {
	var gql *GraphQLError
	if errors.As(err, &gql) {
		return &accessError{
			msg: fmt.Sprintf("%s %s: %s", c.creds.source(), what, strings.Join(gql.Messages, "; ")),
			err: err,
		}
	}
	return fmt.Errorf("checking %s: %w", c.creds.source(), err)
}
