package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/smartlic/reconciler/addon"
	"github.com/smartlic/reconciler/railway"
)

// addonCheck finds the addon's service, or, when it is missing and may be
// created, the template it would be created from. The second result is
// false when Railway stopped answering.
func (d *doctor) addonCheck(ctx context.Context) (doctorCheck, bool) {
	a := d.sp.Addon
	if in, ok := d.obs.Instance(a.Service); ok {
		return d.presentAddon(in), true
	}
	missing := fmt.Sprintf("service %q not found in %s", a.Service, d.where)
	if others := d.otherRedis(); len(others) > 0 {
		return doctorFail("addon", fmt.Sprintf("%s, but %s run a Redis image: apply would create a second Redis", missing, strings.Join(others, ", ")),
			"set addon.service to the name of the Redis service you have (reconciler init finds it), or rename that service"), true
	}
	switch {
	case !a.Create:
		return doctorFail("addon", missing+", and addon.create is false: the reconciler will not create it",
			"create the Redis service in Railway (or fix addon.service), or set addon.create: true"), true
	case d.info.Scope == railway.ScopeProject:
		return doctorFail("addon", missing+": apply would create it, but Railway refuses that to a project token",
			"export a workspace or account token as RAILWAY_API_TOKEN (it is used before RAILWAY_TOKEN), or create the Redis service in Railway"), true
	}
	t, err := d.client.Template(ctx, a.Template)
	if err != nil {
		if d.transient(err) {
			return d.unreachable("addon", err), false
		}
		return doctorFail("addon", fmt.Sprintf("%s, and its template %q cannot be read: %v", missing, a.Template, err),
			"set addon.template to a Railway template code (the default, redis, is Railway's Redis)"), true
	}
	return doctorOK("addon", fmt.Sprintf("%s: apply will create it from template %q (%s)", missing, a.Template, t.ID)), true
}

// presentAddon checks the addon's service as found.
func (d *doctor) presentAddon(in railway.ServiceInstance) doctorCheck {
	detail := fmt.Sprintf("service %q (%s) found in %s, image %s, %s", in.ServiceName, in.ServiceID, d.where, imageOrUnknown(in.Image), deployNote(in))
	switch {
	case in.Image != "" && !addon.Redis.Matches(in.Image):
		return doctorFail("addon", detail+": not a Redis image, so the reconciler will neither adopt it nor create another",
			"set addon.service to your Redis service's name, or rename this service")
	case in.LatestDeployment != nil && in.LatestDeployment.Status.Bad():
		return doctorFail("addon", detail, "the Redis service's latest deployment failed: read its deploy logs in Railway and redeploy it")
	}
	return doctorOK("addon", detail)
}

func imageOrUnknown(image string) string {
	if image == "" {
		return "unknown (built from a repository)"
	}
	return image
}

// otherRedis lists the services, not named like the addon, that run a
// Redis or Valkey image, as `"name" (image)`.
func (d *doctor) otherRedis() []string {
	var out []string
	for _, in := range d.obs.Instances {
		if in.ServiceName != d.sp.Addon.Service && railway.IsRedisImage(in.Image) {
			out = append(out, fmt.Sprintf("%q (%s)", in.ServiceName, in.Image))
		}
	}
	return out
}

// variablesCheck reports that every service's variables were read, how many
// declared variables are already in place, and any declared reference that
// Railway would render empty.
func (d *doctor) variablesCheck() doctorCheck {
	var inSync, pending int
	var broken []string
	for i, c := range d.sp.Consumers {
		in, ok := d.obs.Instance(c.Service)
		for _, k := range c.SortedNames() {
			v := c.Variables[k]
			if ok && d.obs.Variables[in.ServiceID][k] == v {
				inSync++
			} else {
				pending++
			}
			broken = append(broken, d.brokenRefs(fmt.Sprintf("consumers[%d].variables.%s", i, k), v)...)
		}
	}
	detail := fmt.Sprintf("read the variables of %d services in %s; declared: %d in place, %d to set",
		len(d.obs.Variables), d.where, inSync, pending)
	if pending > 0 {
		detail += " (plan lists them)"
	}
	if len(broken) > 0 {
		return doctorFail("variables", detail+"; "+strings.Join(broken, "; "),
			"fix the reference: ${{SERVICE.VARIABLE}} names a service of the environment (or addon.service) and one of its variables")
	}
	return doctorOK("variables", detail)
}

// brokenRefs lists the references in a declared value that Railway would
// render as "": to a service that is neither in the environment nor the
// addon to be created, or to a variable the service does not have.
func (d *doctor) brokenRefs(path, value string) []string {
	var out []string
	for _, ref := range railway.ServiceReferences(value) {
		in, ok := d.obs.Instance(ref.Service)
		switch {
		case !ok && ref.Service == d.sp.Addon.Service:
			// the addon, created by apply with its variables
		case !ok:
			out = append(out, fmt.Sprintf("%s references service %q, which %s does not have", path, ref.Service, d.where))
		case strings.HasPrefix(ref.Variable, "RAILWAY_"):
			// provided by Railway, not among the raw variables
		default:
			if _, has := d.obs.Variables[in.ServiceID][ref.Variable]; !has {
				out = append(out, fmt.Sprintf("%s references %s, which service %q does not define", path, ref.Variable, ref.Service))
			}
		}
	}
	return slices.Compact(out)
}
