package railway

import (
	"context"
	"regexp"
	"strings"
)

// ObserveAll reads an environment with the unrendered variables of every
// service in it, for `init` and `doctor`: one request lists the service
// instances, a second (Observe) reads them again with all their variables
// (a third and more only past 500 instances). Variables maps every service
// id to its raw values, so references such as ${{Redis.REDIS_URL}} are
// visible as written. The values may hold secrets: never print them.
func (c *Client) ObserveAll(ctx context.Context, projectID, environmentID string) (*Observation, error) {
	first, err := c.Observe(ctx, projectID, environmentID, nil)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(first.Instances))
	for _, in := range first.Instances {
		ids = append(ids, in.ServiceID)
	}
	if len(ids) == 0 {
		return first, nil
	}
	return c.Observe(ctx, projectID, environmentID, ids)
}

// CheckLogFilter asks Railway for one log line of a deployment with filter
// (deploymentLogs, limit 1), so that `doctor` can tell whether Railway
// accepts the filter: nil when it does, Railway's answer (a *GraphQLError)
// when it does not.
func (c *Client) CheckLogFilter(ctx context.Context, deploymentID, filter string) error {
	_, err := c.DeploymentLogs(ctx, deploymentID, 1, filter)
	return err
}

// redisImage matches the images of Redis and Valkey servers: the image's
// last path segment is redis, valkey, redis-stack or redis-stack-server,
// from any registry, with any tag or digest.
var redisImage = regexp.MustCompile(`(^|/)(redis|valkey|redis-stack|redis-stack-server)(:[^/]*|@[^/]*)?$`)

// IsRedisImage reports whether an image is a Redis or Valkey server image,
// e.g. "redis:7", "ghcr.io/railwayapp-templates/redis:8",
// "bitnami/redis", "valkey/valkey:8", "railwayapp/redis:8.2"; not
// "redis-commander" or "oliver006/redis_exporter".
func IsRedisImage(image string) bool {
	return redisImage.MatchString(strings.ToLower(strings.TrimSpace(image)))
}

// refPattern is a Railway reference, ${{ ... }}.
var refPattern = regexp.MustCompile(`\$\{\{\s*([^{}]*?)\s*\}\}`)

// Reference is one ${{Service.VAR}} reference to another service.
type Reference struct {
	Service  string
	Variable string
}

// ServiceReferences lists the references to other services in a raw
// variable value, in order: ${{Redis.REDIS_URL}} is {Redis, REDIS_URL}.
// ${{shared.X}} and ${{X}} (same service) are not references to a service.
func ServiceReferences(value string) []Reference {
	var refs []Reference
	for _, m := range refPattern.FindAllStringSubmatch(value, -1) {
		svc, name, ok := strings.Cut(m[1], ".")
		svc, name = strings.TrimSpace(svc), strings.TrimSpace(name)
		if !ok || svc == "" || name == "" || svc == "shared" {
			continue
		}
		refs = append(refs, Reference{Service: svc, Variable: name})
	}
	return refs
}
