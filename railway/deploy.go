package railway

import (
	"context"
	"time"
)

// UpsertVariables writes vars (name → value, "" allowed) on a service with
// variableCollectionUpsert and skipDeploys: true, so nothing deploys until
// DeployService. Other variables are left alone: it never replaces. An empty
// map sends nothing. The upsert is idempotent, so every transient failure is
// retried. Values are never logged.
func (c *Client) UpsertVariables(ctx context.Context, projectID, environmentID, serviceID string, vars map[string]string) error {
	if len(vars) == 0 {
		return nil
	}
	cl := call{op: OpUpsertVariables, doc: docUpsertVariables, mutation: true, vars: map[string]any{
		"project": projectID, "env": environmentID, "service": serviceID, "variables": vars,
	}}
	return c.do(ctx, cl, nil)
}

// DeployService deploys a service instance with serviceInstanceDeployV2 and
// returns the new deployment's id. It is not idempotent (each success starts a
// deployment), so it is retried only when the request surely never reached
// Railway (or on 429); after any other *TransientError a deployment may have
// started: observe before deploying again.
func (c *Client) DeployService(ctx context.Context, environmentID, serviceID string) (string, error) {
	var out struct {
		ID string `json:"serviceInstanceDeployV2"`
	}
	cl := call{op: OpDeployService, doc: docDeployService, policy: retryUnsent, mutation: true,
		vars: map[string]any{"env": environmentID, "service": serviceID}}
	if err := c.do(ctx, cl, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}

// Deployment reads one deployment's status. An unknown id is ErrNotFound.
func (c *Client) Deployment(ctx context.Context, id string) (*Deployment, error) {
	var out struct {
		Deployment deploymentNode `json:"deployment"`
	}
	if err := c.do(ctx, call{op: OpDeployment, doc: docDeployment, vars: map[string]any{"id": id}}, &out); err != nil {
		return nil, err
	}
	return out.Deployment.toDeployment(""), nil
}

// DefaultLogLimit is the number of log lines DeploymentLogs reads when the
// limit is not positive (the CLI's default).
const DefaultLogLimit = 500

// DeploymentLogs reads a deployment's latest runtime log lines, oldest first,
// optionally filtered with Railway's log query language (e.g. a text or
// "@level:error"). Railway returns limit+1 lines; only the last limit are
// kept. A timestamp that is not RFC 3339 is left zero.
func (c *Client) DeploymentLogs(ctx context.Context, deploymentID string, limit int, filter string) ([]Log, error) {
	if limit <= 0 {
		limit = DefaultLogLimit
	}
	vars := map[string]any{"id": deploymentID, "limit": limit}
	if filter != "" {
		vars["filter"] = filter
	}
	var out struct {
		Logs []struct {
			Timestamp string  `json:"timestamp"`
			Message   string  `json:"message"`
			Severity  *string `json:"severity"`
		} `json:"deploymentLogs"`
	}
	if err := c.do(ctx, call{op: OpDeploymentLogs, doc: docDeploymentLogs, vars: vars}, &out); err != nil {
		return nil, err
	}
	lines := out.Logs
	if len(lines) > limit {
		lines = lines[len(lines)-limit:]
	}
	logs := make([]Log, 0, len(lines))
	for _, l := range lines {
		ts, _ := time.Parse(time.RFC3339Nano, l.Timestamp) // zero when unreadable, as documented
		lg := Log{Timestamp: ts, Message: l.Message}
		if l.Severity != nil {
			lg.Severity = *l.Severity
		}
		logs = append(logs, lg)
	}
	return logs, nil
}
