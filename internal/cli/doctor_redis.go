package cli

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/smartlic/reconciler/addon"
	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/spec"
)

// privateFix is what to do when Redis is on Railway's private network and
// doctor (or the reconciler) runs outside the project.
const privateFix = "enable a TCP proxy on the Redis service (its Settings, Networking) so that REDIS_PUBLIC_URL gets a public host and port, " +
	"or set health.redis.url, or run the reconciler inside the project, where RAILWAY_PRIVATE_DOMAIN is set and the private URL answers"

// addonRedisCheck finds the URL the reconciler would probe, the addon's
// rendered REDIS_URL (or, from outside Railway, its REDIS_PUBLIC_URL), and
// probes it. It is left out when Railway could not be read.
func (d *doctor) addonRedisCheck(ctx context.Context) []doctorCheck {
	if d.obs == nil || d.down {
		return nil
	}
	in, ok := d.obs.Instance(d.sp.Addon.Service)
	switch {
	case !ok && d.sp.Addon.Create:
		return []doctorCheck{doctorOK("redis", fmt.Sprintf("nothing to probe yet: there is no Redis in %s until apply creates it%s", d.where, d.outsideNote()))}
	case !ok || (in.Image != "" && !addon.Redis.Matches(in.Image)):
		return nil // the addon check said why
	case d.left() < 1:
		return []doctorCheck{doctorOK("redis", fmt.Sprintf("not checked: doctor's %d Railway requests are used", doctorMaxRequests))}
	}
	vars, err := d.client.RenderedVariables(ctx, d.proj.ID, d.env.ID, in.ServiceID)
	if err != nil {
		if d.transient(err) {
			return []doctorCheck{d.unreachable("redis", err)}
		}
		return []doctorCheck{doctorFail("redis", fmt.Sprintf("the variables of %q cannot be read rendered: %v", in.ServiceName, err),
			"the token must be able to read the Redis service's variables")}
	}
	u, source, c := d.pickRedisURL(vars)
	if c != nil {
		return []doctorCheck{*c}
	}
	return []doctorCheck{d.probeRedis(ctx, u, source)}
}

// outsideNote warns, outside Railway, that a new addon is private.
func (d *doctor) outsideNote() string {
	if d.inside {
		return ""
	}
	return "; from here the reconciler will probe its REDIS_PUBLIC_URL, which needs a TCP proxy on it (Railway databases are private by default), or health.redis.url"
}

// pickRedisURL chooses the URL as the reconciler does: REDIS_URL inside
// Railway; outside, REDIS_URL unless it is private (*.railway.internal),
// else REDIS_PUBLIC_URL. A check is returned when there is none to probe.
func (d *doctor) pickRedisURL(vars map[string]spec.Secret) (spec.Secret, string, *doctorCheck) {
	k := addon.Redis
	u, pub := vars[k.URLVariable], vars[k.PublicURLVariable]
	switch {
	case !u.IsZero() && (d.inside || !privateHost(u.Value())):
		return u, "the addon's " + k.URLVariable, nil
	case !pub.IsZero():
		src := "the addon's " + k.PublicURLVariable
		if !u.IsZero() {
			src += fmt.Sprintf(": its %s, %s, is on Railway's private network", k.URLVariable, spec.RedactURL(u.Value()))
		}
		return pub, src, nil
	case u.IsZero():
		c := doctorFail("redis", fmt.Sprintf("the addon has no %s or %s variable to probe", k.URLVariable, k.PublicURLVariable),
			"set health.redis.url to the Redis URL to probe, or check that addon.service is a Railway Redis")
		return u, "", &c
	}
	c := doctorFail("redis", fmt.Sprintf("the addon's %s, %s, is on Railway's private network (*.railway.internal), reachable only from services in the project, and it has no %s",
		k.URLVariable, spec.RedactURL(u.Value()), k.PublicURLVariable), privateFix)
	return u, "", &c
}

// privateHost reports a URL on Railway's private network.
func privateHost(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && strings.HasSuffix(u.Hostname(), ".railway.internal")
}

// probeRedis runs the reconciler's Redis probe once against u, within
// probeTimeout. source says where u came from. The URL is shown masked.
func (d *doctor) probeRedis(ctx context.Context, u spec.Secret, source string) doctorCheck {
	shown := fmt.Sprintf("%s (%s)", spec.RedactURL(u.Value()), source)
	if why := spec.RedisURLProblem(u.Value()); why != "" {
		return doctorFail("redis", shown+": "+why, privateFix)
	}
	if privateHost(u.Value()) && !d.inside {
		return doctorFail("redis", shown+" is on Railway's private network (*.railway.internal), reachable only from services in the project, not from here", privateFix)
	}
	h := d.sp.Health.Redis
	p, err := probes.NewRedisProbe(probes.RedisOptions{Name: d.sp.Name, URL: u, MaxLatency: h.MaxLatency,
		MaxMemory: int64(h.MaxMemory), PubSub: h.PubSub, ExpectKeys: h.ExpectKeys, Logger: d.log})
	if err != nil {
		return doctorFail("redis", shown+": "+err.Error(), "set a redis:// or rediss:// URL")
	}
	defer p.Close()
	pctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	c := p.Probe(pctx)
	if !c.OK {
		return doctorFail("redis", fmt.Sprintf("%s fails from here at %s: %s", shown, c.Step, c.Message), redisFix(c.Step))
	}
	detail := fmt.Sprintf("%s answers from here: PING %s", shown, fmtLatency(c.Latency.Seconds()*1000))
	if c.UsedMemory > 0 {
		detail += fmt.Sprintf(", used memory %.1f MiB", float64(c.UsedMemory)/(1<<20))
	}
	return doctorOK("redis", detail)
}

// redisFix says what to do about a failed probe step.
func redisFix(step string) string {
	switch step {
	case probes.StepAuth:
		return "the password is refused: copy the URL again from the Redis service's variables (REDIS_PUBLIC_URL)"
	case probes.StepLatency:
		return "raise health.redis.maxLatency, or run the reconciler closer to Redis (inside the project)"
	case probes.StepMemory:
		return "raise health.redis.maxMemory, or free memory in Redis (docs/ops/redis-railway.md)"
	case probes.StepPubSub:
		return "check that Redis allows PUBLISH and SUBSCRIBE for this user, or set health.redis.pubsub: false"
	case probes.StepKeys:
		return "check health.redis.expectKeys against the keys the app writes"
	}
	return "Redis does not answer from here: check the host, the port and any firewall on the way; a Railway database answers from outside the project only through a TCP proxy (its Settings, Networking), at its REDIS_PUBLIC_URL"
}

func fmtLatency(ms float64) string { return fmt.Sprintf("%.1fms", ms) }
