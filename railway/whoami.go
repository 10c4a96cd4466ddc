package railway

import (
	"context"
	"errors"
	"fmt"
)

// TokenScope is what a token reaches.
type TokenScope string

// Token scopes.
const (
	// ScopeAccount is an account (or OAuth) token: every workspace of its
	// user; `me` answers.
	ScopeAccount TokenScope = "account"
	// ScopeWorkspace is a workspace (formerly team) token: one workspace;
	// `me` is refused, `apiToken` lists the workspace.
	ScopeWorkspace TokenScope = "workspace"
	// ScopeProject is a project token: one environment of one project. It
	// can deploy, but there is no evidence it can create the addon.
	ScopeProject TokenScope = "project"
)

// Workspace is a workspace a token reaches.
type Workspace struct {
	ID   string
	Name string
}

// TokenInfo is what Whoami learned about the token.
type TokenInfo struct {
	Scope TokenScope
	// EnvVar is the variable the token came from.
	EnvVar string
	// Workspaces are the workspaces apiToken listed (account and workspace
	// tokens; empty when apiToken refused an account token).
	Workspaces []Workspace
	// User is the account's display name (account tokens; may be "").
	User string
	// Project and Environment are a project token's (zero otherwise).
	Project     Project
	Environment Environment
}

// Whoami tells the token's kind and what it reaches, for `doctor`: a
// project token with projectToken (one request); a Bearer token with
// apiToken { workspaces } and me (two requests): `me` answers only for
// account tokens, so a token that apiToken accepts and `me` refuses is a
// workspace token. A token both refuse is rejected (ErrUnauthorized, with
// the variable and Railway's answer); transient failures keep their type.
func (c *Client) Whoami(ctx context.Context) (*TokenInfo, error) {
	info := &TokenInfo{EnvVar: c.creds.source()}
	if c.creds.Kind == ProjectToken {
		pt, err := c.projectToken(ctx)
		if err != nil {
			return nil, c.accessFailure(err, "was rejected by Railway")
		}
		info.Scope, info.Project, info.Environment = ScopeProject, pt.Project, pt.Environment
		return info, nil
	}
	var gql *GraphQLError
	ws, tokErr := c.apiTokenWorkspaces(ctx)
	if tokErr != nil && !errors.As(tokErr, &gql) {
		return nil, c.accessFailure(tokErr, "was rejected by Railway")
	}
	user, meErr := c.me(ctx)
	switch {
	case meErr == nil:
		info.Scope, info.User, info.Workspaces = ScopeAccount, user, ws
	case !errors.As(meErr, &gql):
		return nil, c.accessFailure(meErr, "was rejected by Railway")
	case tokErr == nil:
		info.Scope, info.Workspaces = ScopeWorkspace, ws
	default:
		return nil, c.accessFailure(tokErr, "was rejected by Railway")
	}
	return info, nil
}

// apiTokenWorkspaces reads apiToken { workspaces }.
func (c *Client) apiTokenWorkspaces(ctx context.Context) ([]Workspace, error) {
	var out struct {
		APIToken struct {
			Workspaces []struct{ ID, Name string } `json:"workspaces"`
		} `json:"apiToken"`
	}
	if err := c.do(ctx, call{op: OpAPIToken, doc: docAPIToken}, &out); err != nil {
		return nil, err
	}
	ws := make([]Workspace, 0, len(out.APIToken.Workspaces))
	for _, w := range out.APIToken.Workspaces {
		ws = append(ws, Workspace{ID: w.ID, Name: w.Name})
	}
	return ws, nil
}

// me reads the account's name (me answers account tokens only).
func (c *Client) me(ctx context.Context) (string, error) {
	var out struct {
		Me struct {
			ID   string  `json:"id"`
			Name *string `json:"name"`
		} `json:"me"`
	}
	if err := c.do(ctx, call{op: OpMe, doc: docMe}, &out); err != nil {
		return "", err
	}
	if out.Me.Name == nil {
		return "", nil
	}
	return *out.Me.Name, nil
}

// projectTokenInfo is a project token's project and environment.
type projectTokenInfo struct {
	Project     Project
	Environment Environment
}

// projectToken reads projectToken with its project's and environment's names.
func (c *Client) projectToken(ctx context.Context) (*projectTokenInfo, error) {
	var out struct {
		ProjectToken struct {
			ProjectID     string `json:"projectId"`
			EnvironmentID string `json:"environmentId"`
			Project       struct {
				Name string `json:"name"`
			} `json:"project"`
			Environment struct {
				Name string `json:"name"`
			} `json:"environment"`
		} `json:"projectToken"`
	}
	if err := c.do(ctx, call{op: OpProjectToken, doc: docProjectToken}, &out); err != nil {
		return nil, err
	}
	pt := out.ProjectToken
	return &projectTokenInfo{
		Project:     Project{ID: pt.ProjectID, Name: pt.Project.Name},
		Environment: Environment{ID: pt.EnvironmentID, Name: pt.Environment.Name},
	}, nil
}

// projectAccess reads a project's name and environments (the first 500).
func (c *Client) projectAccess(ctx context.Context, projectID string) (*Project, error) {
	var out struct {
		Project struct {
			ID           string          `json:"id"`
			Name         string          `json:"name"`
			Environments namedConnection `json:"environments"`
		} `json:"project"`
	}
	if err := c.do(ctx, call{op: OpProjectAccess, doc: docProjectAccess, vars: map[string]any{"id": projectID}}, &out); err != nil {
		return nil, err
	}
	p := &Project{ID: out.Project.ID, Name: out.Project.Name}
	for _, e := range out.Project.Environments.Edges {
		p.Environments = append(p.Environments, Environment{ID: e.Node.ID, Name: e.Node.Name})
	}
	return p, nil
}

// String names the scope for messages.
func (s TokenScope) String() string {
	if s == "" {
		return "unknown"
	}
	return string(s)
}

// Describe is a one-line summary without secrets, e.g. `workspace token in
// RAILWAY_API_TOKEN (workspace "Acme")`.
func (t *TokenInfo) Describe() string {
	switch t.Scope {
	case ScopeProject:
		return fmt.Sprintf("project token in %s (project %q %s, environment %q %s)",
			t.EnvVar, t.Project.Name, t.Project.ID, t.Environment.Name, t.Environment.ID)
	case ScopeWorkspace, ScopeAccount:
		s := fmt.Sprintf("%s token in %s", t.Scope, t.EnvVar)
		for i, w := range t.Workspaces {
			sep := ", "
			if i == 0 {
				sep = " (workspaces: "
			}
			s += fmt.Sprintf("%s%q", sep, w.Name)
		}
		if len(t.Workspaces) > 0 {
			s += ")"
		}
		return s
	}
	return fmt.Sprintf("token in %s", t.EnvVar)
}
