package railwaytest

import (
	"net/http"
	"strings"

	"github.com/smartlic/reconciler/railway"
)

// TokenKind is how a token is presented to Railway: the client's own kinds.
type TokenKind = railway.TokenKind

const (
	// BearerToken is an account or workspace token, sent as
	// "Authorization: Bearer <token>".
	BearerToken = railway.BearerToken
	// ProjectToken is a project token, sent as "Project-Access-Token: <token>";
	// it is scoped to one environment of one project.
	ProjectToken = railway.ProjectToken
)

// apiError is an error whose text is Railway's own message, answered as a
// GraphQL error (Railway capitalises its messages).
type apiError string

func (e apiError) Error() string { return string(e) }

// Railway's error messages.
const (
	errNotAuthorized        apiError = "Not Authorized"
	errProjectTokenNotFound apiError = "Project Token not found"
	errProjectNotFound      apiError = "Project not found"
	errEnvironmentNotFound  apiError = "Environment not found"
	errServiceNotFound      apiError = "Service not found"
	errInstanceNotFound     apiError = "ServiceInstance not found"
	errDeploymentNotFound   apiError = "Deployment not found"
	errTemplateNotFound     apiError = "Template not found"
	errProblemProcessing    apiError = "Problem processing request"
	errBadLogFilter         apiError = "Invalid log filter"
)

// token is a registered token's scope. A BearerToken with an empty projectID
// reaches every project. workspace marks a workspace token (`me` refused).
type token struct {
	kind      TokenKind
	projectID string
	envID     string
	workspace bool
}

// caller is who sent a request; err is set when no valid token came with it.
type caller struct {
	token
	err error
}

// identify reads the request's credentials. Called with Server.mu held.
func (m *model) identify(r *http.Request) caller {
	if h := r.Header.Get("Authorization"); h != "" {
		raw, ok := strings.CutPrefix(h, "Bearer ")
		t, known := m.tokens[strings.TrimSpace(raw)]
		if !ok || !known || t.kind != BearerToken {
			return caller{err: errNotAuthorized}
		}
		return caller{token: t}
	}
	if h := r.Header.Get("Project-Access-Token"); h != "" {
		t, known := m.tokens[strings.TrimSpace(h)]
		if !known || t.kind != ProjectToken {
			return caller{err: errProjectTokenNotFound}
		}
		return caller{token: t}
	}
	return caller{err: errNotAuthorized}
}

// authenticated fails unless a valid token came with the request.
func (c caller) authenticated() error { return c.err }

// canProject fails unless the caller may act on projectID.
func (c caller) canProject(projectID string) error {
	if c.err != nil {
		return c.err
	}
	if c.projectID != "" && c.projectID != projectID {
		return errNotAuthorized
	}
	return nil
}

// canEnv fails unless the caller may act on envID of projectID (a project
// token reaches only its own environment).
func (c caller) canEnv(projectID, envID string) error {
	if err := c.canProject(projectID); err != nil {
		return err
	}
	if c.kind == ProjectToken && c.envID != envID {
		return errNotAuthorized
	}
	return nil
}
