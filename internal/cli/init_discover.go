package cli

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/smartlic/reconciler/addon"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
)

// initFound is what init found in an environment: the addon and the
// services that use it, with notes for the person reading the spec.
type initFound struct {
	Addon      string // the addon's service name
	AddonImage string // "" when it does not exist yet
	Exists     bool
	Consumers  []initConsumer
	Notes      []string
}

// initConsumer is one consumer to declare.
type initConsumer struct {
	Service string
	Vars    map[string]string // declared values, safe to write (no secret)
	Why     string            // a comment: how it was found
}

// initChoice is what the flags say about the choice init makes.
type initChoice struct {
	Addon     string   // --addon
	Consumers []string // --consumer
}

// errInitAmbiguous is a choice init cannot make: the flags must (exit 3).
var errInitAmbiguous = errors.New("init needs a choice")

// databaseImage matches the images of databases that are not consumers.
var databaseImage = regexp.MustCompile(`(?i)(postgres|mysql|mariadb|mongo|clickhouse|minio|redis|valkey|memcached|elasticsearch|rabbitmq)`)

// initDiscover finds the addon and its consumers in obs, as choice allows.
func initDiscover(obs *railway.Observation, envName string, choice initChoice) (*initFound, error) {
	d := &discovery{obs: obs, where: fmt.Sprintf("%q", envName), found: &initFound{}}
	if err := d.pickAddon(choice.Addon); err != nil {
		return nil, err
	}
	if err := d.pickConsumers(choice.Consumers); err != nil {
		return nil, err
	}
	return d.found, nil
}

type discovery struct {
	obs   *railway.Observation
	where string
	found *initFound
}

func (d *discovery) note(format string, args ...any) {
	d.found.Notes = append(d.found.Notes, fmt.Sprintf(format, args...))
}

// redisServices lists the instances that run a Redis or Valkey image.
func (d *discovery) redisServices() []railway.ServiceInstance {
	var out []railway.ServiceInstance
	for _, in := range d.obs.Instances {
		if railway.IsRedisImage(in.Image) {
			out = append(out, in)
		}
	}
	return out
}

// pickAddon chooses the addon: the one named by --addon; the only Redis;
// among several, the only one other services reference; with none, a new
// one named after what broken references expect, else "Redis".
func (d *discovery) pickAddon(named string) error {
	f := d.found
	if named != "" {
		in, ok := d.obs.Instance(named)
		switch {
		case !ok:
			return fmt.Errorf("%w: --addon %q: no such service in %s; it has %s", errInitAmbiguous, named, d.where, quotedNames(d.names()))
		case in.Image != "" && !addon.Redis.Matches(in.Image):
			return fmt.Errorf("%w: --addon %q runs image %s, not Redis or Valkey: the reconciler would not adopt it", errInitAmbiguous, named, in.Image)
		}
		f.Addon, f.AddonImage, f.Exists = in.ServiceName, in.Image, true
		return nil
	}
	redis := d.redisServices()
	switch len(redis) {
	case 0:
		return d.newAddon()
	case 1:
		f.Addon, f.AddonImage, f.Exists = redis[0].ServiceName, redis[0].Image, true
		return nil
	}
	return d.pickAmong(redis)
}

// pickAmong chooses among several Redis services the one that other
// services reference, or fails listing them.
func (d *discovery) pickAmong(redis []railway.ServiceInstance) error {
	var used []railway.ServiceInstance
	list := make([]string, 0, len(redis))
	for _, in := range redis {
		users := d.referencing(in.ServiceName)
		if len(users) > 0 {
			used = append(used, in)
		}
		list = append(list, fmt.Sprintf("%q (%s, used by %s)", in.ServiceName, in.Image, orNobody(users)))
	}
	if len(used) != 1 {
		return fmt.Errorf("%w: %s has %d Redis services: %s; a spec manages one: choose it with --addon NAME (run init once per Redis, each with its own --out, to manage several)",
			errInitAmbiguous, d.where, len(redis), strings.Join(list, ", "))
	}
	f := d.found
	f.Addon, f.AddonImage, f.Exists = used[0].ServiceName, used[0].Image, true
	d.note("%s has %d Redis services: %s; init chose %q, the only one in use (--addon NAME chooses another)",
		d.where, len(redis), strings.Join(list, ", "), f.Addon)
	return nil
}

func orNobody(names []string) string {
	if len(names) == 0 {
		return "no service"
	}
	return strings.Join(names, ", ")
}

// newAddon names the Redis that apply will create: the service that broken
// references expect, when they all expect one, else "Redis".
func (d *discovery) newAddon() error {
	f := d.found
	f.Addon = "Redis"
	if missing := d.missingTargets(); len(missing) == 1 {
		f.Addon = missing[0]
		d.note("no Redis service in %s, and services reference a missing service %q: init names the addon %q, so that apply creates it and those references resolve",
			d.where, missing[0], missing[0])
	} else {
		d.note("no Redis service in %s: apply will create one, %q, from Railway's redis template (it needs a workspace or account token)", d.where, f.Addon)
	}
	if in, ok := d.obs.Instance(f.Addon); ok {
		return fmt.Errorf("%w: %s has no Redis, and its service %q, the name the new Redis would take, runs image %s: rename that service, or write addon.service by hand",
			errInitAmbiguous, d.where, in.ServiceName, imageOrUnknown(in.Image))
	}
	return nil
}

// missingTargets lists the services that Redis-looking references name
// and the environment does not have.
func (d *discovery) missingTargets() []string {
	var out []string
	for _, in := range d.obs.Instances {
		for _, v := range d.obs.Variables[in.ServiceID] {
			for _, ref := range railway.ServiceReferences(v) {
				if _, ok := d.obs.Instance(ref.Service); !ok && redisVariable(ref.Variable) && !slices.Contains(out, ref.Service) {
					out = append(out, ref.Service)
				}
			}
		}
	}
	return out
}

// redisVariable reports a variable name that holds Redis's address or
// credentials (REDIS_URL, REDISHOST, REDIS_PASSWORD, ...).
func redisVariable(name string) bool {
	n := strings.ToUpper(name)
	return strings.HasPrefix(n, "REDIS") || strings.HasPrefix(n, "VALKEY")
}

// referencing lists the services (other than the target) whose raw
// variables reference service target.
func (d *discovery) referencing(target string) []string {
	var out []string
	for _, in := range d.obs.Instances {
		if in.ServiceName == target {
			continue
		}
		for _, v := range d.obs.Variables[in.ServiceID] {
			if refersTo(v, target) {
				out = append(out, in.ServiceName)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

func refersTo(value, service string) bool {
	for _, ref := range railway.ServiceReferences(value) {
		if ref.Service == service {
			return true
		}
	}
	return false
}

func (d *discovery) names() []string {
	out := make([]string, 0, len(d.obs.Instances))
	for _, in := range d.obs.Instances {
		out = append(out, in.ServiceName)
	}
	return out
}

// safeValue reports whether a raw value may be written in the spec: it
// holds no secret (spec.MaskValue shows it whole) and no newline.
func safeValue(v string) bool {
	return v != "" && spec.MaskValue(v) == v && !strings.ContainsAny(v, "\n\r")
}
