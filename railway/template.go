package railway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// TemplateDeploy is one template deployment: Template (from Client.Template)
// deployed into the environment, its single service named ServiceName.
type TemplateDeploy struct {
	ProjectID, EnvironmentID string
	Template                 *Template
	ServiceName              string
}

// Template reads a template by code (e.g. "redis"). Like the Railway CLI it
// sends this request without credentials.
func (c *Client) Template(ctx context.Context, code string) (*Template, error) {
	var out struct {
		Template struct {
			ID               string          `json:"id"`
			Code             string          `json:"code"`
			SerializedConfig json.RawMessage `json:"serializedConfig"`
		} `json:"template"`
	}
	cl := call{op: OpTemplate, doc: docTemplate, vars: map[string]any{"code": code}, noAuth: true}
	if err := c.do(ctx, cl, &out); err != nil {
		return nil, err
	}
	t := &Template{ID: out.Template.ID, Code: out.Template.Code}
	if !isNull(out.Template.SerializedConfig) {
		t.SerializedConfig = []byte(out.Template.SerializedConfig)
	}
	return t, nil
}

// DeployTemplate starts templateDeployV2 and returns its workflow id ("" when
// Railway returned none). The template's serializedConfig is sent as the CLI
// sends it: the single service renamed to ServiceName, each variable without
// a value given its non-empty defaultValue, every other field verbatim. A
// template with zero or several services is an error, before any request.
//
// It is not idempotent (each success creates a service), so it is retried only
// when the request surely never reached Railway (or on 429). After any other
// failure (*TransientError) the service may or may not exist: observe the
// project again before deploying again. Railway lists the new service only
// once its workflow completes (10-60 s, sometimes more): find it by the
// difference of service ids before and after.
//
// Sent with a project token and refused, the error wraps
// ErrProjectTokenCannotCreate (and ErrUnauthorized): creating the addon
// needs a workspace or account token in RAILWAY_API_TOKEN.
func (c *Client) DeployTemplate(ctx context.Context, in TemplateDeploy) (string, error) {
	if in.Template == nil {
		return "", errors.New("railway: deploy template: no template")
	}
	cfg, err := prepareTemplateConfig(in.Template.SerializedConfig, in.ServiceName)
	if err != nil {
		return "", fmt.Errorf("railway: deploy template %q: %w", in.Template.Code, err)
	}
	var out struct {
		TemplateDeployV2 struct {
			ProjectID  string  `json:"projectId"`
			WorkflowID *string `json:"workflowId"`
		} `json:"templateDeployV2"`
	}
	vars := map[string]any{
		"project": in.ProjectID, "env": in.EnvironmentID,
		"template": in.Template.ID, "config": json.RawMessage(cfg),
	}
	cl := call{op: OpDeployTemplate, doc: docDeployTemplate, vars: vars, policy: retryUnsent, mutation: true}
	if err := c.do(ctx, cl, &out); err != nil {
		return "", c.projectTokenRefusal(err)
	}
	if out.TemplateDeployV2.WorkflowID == nil {
		return "", nil
	}
	return *out.TemplateDeployV2.WorkflowID, nil
}

// prepareTemplateConfig rewrites a serializedConfig the way `railway add`
// does (README 5.4), touching only services.<id>.name and
// services.<id>.variables.<name>.value; everything else is kept as raw JSON.
func prepareTemplateConfig(raw []byte, serviceName string) ([]byte, error) {
	if serviceName == "" {
		return nil, errors.New("no service name")
	}
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(raw, &cfg); err != nil || cfg == nil {
		return nil, errors.New("serializedConfig is not a JSON object")
	}
	var services map[string]map[string]json.RawMessage
	if err := json.Unmarshal(cfg["services"], &services); err != nil {
		return nil, errors.New("serializedConfig.services is not an object of services")
	}
	if len(services) != 1 {
		return nil, fmt.Errorf("template has %d services, want exactly 1", len(services))
	}
	for id, svc := range services {
		if svc == nil {
			return nil, fmt.Errorf("service %s is not an object", id)
		}
		if err := prepareService(svc, serviceName); err != nil {
			return nil, fmt.Errorf("service %s: %w", id, err)
		}
	}
	enc, err := json.Marshal(services)
	if err != nil {
		return nil, err
	}
	cfg["services"] = enc
	return json.Marshal(cfg)
}

func prepareService(svc map[string]json.RawMessage, name string) error {
	svc["name"], _ = json.Marshal(name)
	rawVars, ok := svc["variables"]
	if !ok || isNull(rawVars) {
		return nil
	}
	var vars map[string]map[string]json.RawMessage
	if err := json.Unmarshal(rawVars, &vars); err != nil {
		return errors.New("variables is not an object of variables")
	}
	for _, v := range vars {
		if v == nil {
			continue
		}
		var value, def string
		_ = json.Unmarshal(v["value"], &value)      // absent, null or not a string: no value
		_ = json.Unmarshal(v["defaultValue"], &def) // likewise
		if value == "" && def != "" {
			v["value"] = v["defaultValue"]
		}
	}
	enc, err := json.Marshal(vars)
	if err != nil {
		return err
	}
	svc["variables"] = enc
	return nil
}

// WorkflowStatus reads a template deployment workflow's state. NotFound is a
// status (read-after-write lag), not an error: keep polling.
func (c *Client) WorkflowStatus(ctx context.Context, workflowID string) (WorkflowResult, error) {
	var out struct {
		WorkflowStatus struct {
			Status WorkflowStatus `json:"status"`
			Error  *string        `json:"error"`
		} `json:"workflowStatus"`
	}
	cl := call{op: OpWorkflowStatus, doc: docWorkflowStatus, vars: map[string]any{"id": workflowID}}
	if err := c.do(ctx, cl, &out); err != nil {
		return WorkflowResult{}, err
	}
	r := WorkflowResult{Status: out.WorkflowStatus.Status}
	if out.WorkflowStatus.Error != nil {
		r.Error = *out.WorkflowStatus.Error
	}
	return r, nil
}
