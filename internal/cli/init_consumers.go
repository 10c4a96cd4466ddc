package cli

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/smartlic/reconciler/addon"
	"github.com/smartlic/reconciler/railway"
)

// varName is what the spec accepts as a variable name.
var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// pickConsumers chooses the consumers: those named by --consumer; else the
// services whose variables reference the addon, or reference a missing
// service for Redis (renamed); else a guess (see guessConsumers).
func (d *discovery) pickConsumers(named []string) error {
	if len(named) > 0 {
		return d.namedConsumers(named)
	}
	for _, in := range d.obs.Instances {
		if in.ServiceName == d.found.Addon || railway.IsRedisImage(in.Image) {
			continue
		}
		if c, ok := d.declare(in); ok {
			d.found.Consumers = append(d.found.Consumers, c)
		}
	}
	if len(d.found.Consumers) > 0 {
		return nil
	}
	return d.guessConsumers()
}

// namedConsumers declares the services --consumer names.
func (d *discovery) namedConsumers(named []string) error {
	for _, name := range slices.Compact(slices.Sorted(slices.Values(named))) {
		in, ok := d.obs.Instance(name)
		switch {
		case !ok:
			return fmt.Errorf("%w: --consumer %q: no such service in %s; it has %s", errInitAmbiguous, name, d.where, quotedNames(d.names()))
		case name == d.found.Addon:
			return fmt.Errorf("%w: --consumer %q is the Redis service itself", errInitAmbiguous, name)
		}
		c, ok := d.declare(in)
		if !ok {
			c = d.standard(in.ServiceName, "named with --consumer")
		}
		d.found.Consumers = append(d.found.Consumers, c)
	}
	return nil
}

// standard declares the usual REDIS_URL reference for a service.
func (d *discovery) standard(service, why string) initConsumer {
	k := addon.Redis
	return initConsumer{Service: service, Vars: map[string]string{k.URLVariable: k.Reference(d.found.Addon)}, Why: why}
}

// declare copies a service's variables that reference the addon, and
// rewrites those that reference a missing service for Redis (a renamed
// or deleted one) to reference the addon. Values that may hold a secret
// are never copied.
func (d *discovery) declare(in railway.ServiceInstance) (initConsumer, bool) {
	c := initConsumer{Service: in.ServiceName, Vars: map[string]string{}}
	raw := d.obs.Variables[in.ServiceID]
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		v := raw[k]
		if refersTo(v, d.found.Addon) {
			d.copyVar(&c, k, v)
			continue
		}
		if missing := d.danglingRedis(v); len(missing) > 0 {
			nv := v
			for _, m := range missing {
				nv = retarget(nv, m, d.found.Addon)
			}
			d.note("%q's %s references %s, but %s has no service %s (renamed or deleted?), so Railway renders it empty: init declares %s = %s, which apply writes (then redeploys %q)",
				in.ServiceName, k, maskedOrValue(v), d.where, quotedNames(missing), k, maskedOrValue(nv), in.ServiceName)
			d.copyVar(&c, k, nv)
		}
	}
	if len(c.Vars) == 0 {
		return c, false
	}
	c.Why = "its variables reference " + d.found.Addon
	return c, true
}

// copyVar declares k = v when v can be written, or says why not (a
// REDIS_URL that cannot be copied gets the usual reference instead).
func (d *discovery) copyVar(c *initConsumer, k, v string) {
	ref := addon.Redis.Reference(d.found.Addon)
	switch {
	case !varName.MatchString(k):
		d.note("%q's variable %q is not copied: the spec takes names of letters, digits and _", c.Service, k)
	case safeValue(v):
		c.Vars[k] = v
	case k == addon.Redis.URLVariable:
		c.Vars[k] = ref
		d.note("%q's %s holds literal text that may be a secret, which init never writes: it declares %s = %s instead, which apply writes", c.Service, k, k, ref)
	default:
		d.note("%q's %s is not copied: its value holds literal text that may be a secret, which init never writes; declare it as a reference if the app needs it", c.Service, k)
	}
}

// danglingRedis lists the services that v references for a Redis variable
// and that the environment does not have.
func (d *discovery) danglingRedis(v string) []string {
	var out []string
	for _, ref := range railway.ServiceReferences(v) {
		if _, ok := d.obs.Instance(ref.Service); !ok && redisVariable(ref.Variable) && !slices.Contains(out, ref.Service) {
			out = append(out, ref.Service)
		}
	}
	return out
}

// retarget rewrites the references to service from in value to to.
func retarget(value, from, to string) string {
	re := regexp.MustCompile(`\$\{\{\s*` + regexp.QuoteMeta(from) + `\s*\.`)
	return re.ReplaceAllLiteralString(value, "${{"+to+".")
}

// maskedOrValue shows a raw value in a note: whole when it holds no secret.
func maskedOrValue(v string) string {
	if safeValue(v) {
		return v
	}
	return "a value holding literal text (not shown)"
}

// guessConsumers declares, when nothing references Redis, the services
// with a REDIS... variable, else the only application service; with
// several and no clue, --consumer must name them.
func (d *discovery) guessConsumers() error {
	var apps []railway.ServiceInstance
	for _, in := range d.obs.Instances {
		if in.ServiceName == d.found.Addon || databaseImage.MatchString(in.Image) {
			continue
		}
		apps = append(apps, in)
		if names := d.redisVars(in); len(names) > 0 {
			d.found.Consumers = append(d.found.Consumers, d.standard(in.ServiceName, "guessed: it has "+strings.Join(names, ", ")))
		}
	}
	switch {
	case len(d.found.Consumers) > 0:
	case len(apps) == 1:
		d.found.Consumers = append(d.found.Consumers, d.standard(apps[0].ServiceName, "guessed: the only application service in "+d.where))
	default:
		names := make([]string, 0, len(apps))
		for _, in := range apps {
			names = append(names, in.ServiceName)
		}
		return fmt.Errorf("%w: no service in %s uses Redis yet, and init cannot tell which of %s should: name them with --consumer NAME (once per service)",
			errInitAmbiguous, d.where, quotedNames(names))
	}
	for _, c := range d.found.Consumers {
		d.note("%q is a consumer (%s): it gets %s; check that the app reads it", c.Service, c.Why, strings.Join(slices.Sorted(maps.Keys(c.Vars)), ", "))
	}
	return nil
}

// redisVars lists a service's variables named for Redis.
func (d *discovery) redisVars(in railway.ServiceInstance) []string {
	var out []string
	for k := range d.obs.Variables[in.ServiceID] {
		if redisVariable(k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
