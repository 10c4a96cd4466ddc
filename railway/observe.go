package railway

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/smartlic/reconciler/spec"
)

// pageInfo is a Relay connection's page info.
type pageInfo struct {
	HasNextPage bool    `json:"hasNextPage"`
	EndCursor   *string `json:"endCursor"`
}

// namedConnection is a connection of {id name} nodes.
type namedConnection struct {
	Edges []struct {
		Node struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"node"`
	} `json:"edges"`
	PageInfo pageInfo `json:"pageInfo"`
}

// Project reads a project's environments and services, following the pages
// when a project has more than 500 of either.
func (c *Client) Project(ctx context.Context, projectID string) (*Project, error) {
	p := &Project{ID: projectID}
	vars := map[string]any{"id": projectID}
	envsDone, svcsDone := false, false
	for !envsDone || !svcsDone {
		var out struct {
			Project struct {
				ID           string          `json:"id"`
				Name         string          `json:"name"`
				Environments namedConnection `json:"environments"`
				Services     namedConnection `json:"services"`
			} `json:"project"`
		}
		if err := c.do(ctx, call{op: OpProject, doc: docProject, vars: vars}, &out); err != nil {
			return nil, err
		}
		p.ID, p.Name = out.Project.ID, out.Project.Name
		if !envsDone {
			for _, e := range out.Project.Environments.Edges {
				p.Environments = append(p.Environments, Environment{ID: e.Node.ID, Name: e.Node.Name})
			}
			envsDone = !nextPage(vars, "environmentsAfter", out.Project.Environments.PageInfo)
		}
		if !svcsDone {
			for _, e := range out.Project.Services.Edges {
				p.Services = append(p.Services, Service{ID: e.Node.ID, Name: e.Node.Name})
			}
			svcsDone = !nextPage(vars, "servicesAfter", out.Project.Services.PageInfo)
		}
	}
	return p, nil
}

// nextPage sets vars[key] to the next cursor and reports whether there is a
// next page.
func nextPage(vars map[string]any, key string, pi pageInfo) bool {
	if !pi.HasNextPage || pi.EndCursor == nil {
		return false
	}
	vars[key] = *pi.EndCursor
	return true
}

// instanceConnection is environment.serviceInstances as selected.
type instanceConnection struct {
	Edges []struct {
		Node struct {
			ServiceID   string `json:"serviceId"`
			ServiceName string `json:"serviceName"`
			Source      *struct {
				Image *string `json:"image"`
			} `json:"source"`
			LatestDeployment *deploymentNode `json:"latestDeployment"`
		} `json:"node"`
	} `json:"edges"`
	PageInfo pageInfo `json:"pageInfo"`
}

// deploymentNode is a Deployment as selected.
type deploymentNode struct {
	ID              string           `json:"id"`
	ServiceID       *string          `json:"serviceId"`
	Status          DeploymentStatus `json:"status"`
	CreatedAt       time.Time        `json:"createdAt"`
	StatusUpdatedAt *time.Time       `json:"statusUpdatedAt"`
}

func (d *deploymentNode) toDeployment(serviceID string) *Deployment {
	out := &Deployment{ID: d.ID, ServiceID: serviceID, Status: d.Status, CreatedAt: d.CreatedAt}
	if d.ServiceID != nil && *d.ServiceID != "" {
		out.ServiceID = *d.ServiceID
	}
	if d.StatusUpdatedAt != nil {
		out.StatusUpdatedAt = *d.StatusUpdatedAt
	}
	return out
}

func (ic *instanceConnection) appendTo(obs *Observation) {
	for _, e := range ic.Edges {
		n := e.Node
		in := ServiceInstance{ServiceID: n.ServiceID, ServiceName: n.ServiceName}
		if n.Source != nil && n.Source.Image != nil {
			in.Image = *n.Source.Image
		}
		if n.LatestDeployment != nil {
			in.LatestDeployment = n.LatestDeployment.toDeployment(n.ServiceID)
		}
		obs.Instances = append(obs.Instances, in)
	}
}

// Observe reads an environment in ONE HTTP request: every service instance
// (name, image, latest deployment) and, as aliases in the same query, the
// unrendered variables of each service in variableServiceIDs (duplicates are
// read once). Variables maps service id to name to value; null values are
// dropped. An environment with more than 500 instances costs one more request
// per further page. Any error, even beside partial data, fails the whole
// observation: a partial read is never returned as complete.
func (c *Client) Observe(ctx context.Context, projectID, environmentID string, variableServiceIDs []string) (*Observation, error) {
	ids := slices.Clone(variableServiceIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	vars := map[string]any{"project": projectID, "env": environmentID}
	for i, id := range ids {
		vars[fmt.Sprintf("s%d", i)] = id
	}
	var out map[string]json.RawMessage
	if err := c.do(ctx, call{op: OpObserve, doc: ObserveDocument(len(ids)), vars: vars}, &out); err != nil {
		return nil, err
	}
	var env struct {
		ID               string             `json:"id"`
		ServiceInstances instanceConnection `json:"serviceInstances"`
	}
	if err := decodeField(OpObserve, out, "environment", &env); err != nil {
		return nil, err
	}
	obs := &Observation{EnvironmentID: env.ID, Variables: make(map[string]map[string]string, len(ids))}
	env.ServiceInstances.appendTo(obs)
	for i, id := range ids {
		var raw map[string]*string
		if err := decodeField(OpObserve, out, fmt.Sprintf("v%d", i), &raw); err != nil {
			return nil, err
		}
		obs.Variables[id] = dropNulls(raw)
	}
	if err := c.moreInstances(ctx, projectID, environmentID, env.ServiceInstances.PageInfo, obs); err != nil {
		return nil, err
	}
	return obs, nil
}

// moreInstances follows serviceInstances pages after the first.
func (c *Client) moreInstances(ctx context.Context, projectID, environmentID string, pi pageInfo, obs *Observation) error {
	vars := map[string]any{"project": projectID, "env": environmentID}
	for nextPage(vars, "after", pi) {
		var out struct {
			Environment struct {
				ServiceInstances instanceConnection `json:"serviceInstances"`
			} `json:"environment"`
		}
		if err := c.do(ctx, call{op: OpObserveInstances, doc: docObserveInstances, vars: vars}, &out); err != nil {
			return err
		}
		out.Environment.ServiceInstances.appendTo(obs)
		pi = out.Environment.ServiceInstances.PageInfo
	}
	return nil
}

// decodeField decodes data[key] into dst; a missing key is an error.
func decodeField(op string, data map[string]json.RawMessage, key string, dst any) error {
	raw, ok := data[key]
	if !ok {
		return fmt.Errorf("railway %s: response has no %q", op, key)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("railway %s: decoding %q: %w", op, key, err)
	}
	return nil
}

func dropNulls(raw map[string]*string) map[string]string {
	vars := make(map[string]string, len(raw))
	for k, v := range raw {
		if v != nil {
			vars[k] = *v
		}
	}
	return vars
}

// RenderedVariables reads a service's variables with references resolved
// (the addon's REDIS_URL for probes). The values are secrets: they are
// returned wrapped and never logged. Null values are dropped.
func (c *Client) RenderedVariables(ctx context.Context, projectID, environmentID, serviceID string) (map[string]spec.Secret, error) {
	var out struct {
		Variables map[string]*string `json:"variables"`
	}
	vars := map[string]any{"project": projectID, "env": environmentID, "service": serviceID}
	if err := c.do(ctx, call{op: OpRenderedVariables, doc: docRenderedVariables, vars: vars}, &out); err != nil {
		return nil, err
	}
	secrets := make(map[string]spec.Secret, len(out.Variables))
	for k, v := range out.Variables {
		if v != nil {
			secrets[k] = spec.NewSecret(*v)
		}
	}
	return secrets, nil
}
