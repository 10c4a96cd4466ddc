package reconcile

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
)

// urlCache holds the addon's rendered URL, keyed by the addon's service
// and latest deployment, so it is read again only when it may have
// changed. It lives in memory only: it carries the password. When the
// addon has no URL usable from here, url is empty and why says so.
type urlCache struct {
	key string
	url spec.Secret
	why string
}

// redisURL returns the cache to use after obs: refreshed from Railway when
// the addon or its deployment changed since cached was read. Read failures
// keep the old URL (and are logged). It runs outside the owner.
func (r *Reconciler) redisURL(ctx context.Context, sp *spec.Spec, obs *Observed, cached urlCache) urlCache {
	if !sp.Health.Redis.URL.IsZero() || obs.Err != nil || obs.Addon == nil {
		return cached
	}
	want := obs.Addon.ServiceID
	if d := obs.Addon.LatestDeployment; d != nil {
		want += "/" + d.ID
	}
	if want == cached.key {
		return cached
	}
	// The URL probed decides rollbacks: it may use the rate limit's reserve.
	vars, err := r.opts.Railway.RenderedVariables(railway.Essential(ctx), obs.ProjectID, obs.EnvironmentID, obs.Addon.ServiceID)
	if err != nil {
		r.log.Warn("reading the addon's redis url failed", zap.Error(err))
		return cached
	}
	url, why := r.pickURL(vars)
	return urlCache{key: want, url: url, why: why}
}

// pickURL chooses the addon's private URL (REDIS_URL) inside Railway.
// Outside, a private-network URL (*.railway.internal) cannot be reached,
// and probing it would read as an outage: the public URL (REDIS_PUBLIC_URL)
// is used when the addon has a usable one. Railway renders a database's
// public URL without a host or port (redis://default:PW@:) until it has a
// TCP proxy, which go-redis would read as localhost:6379: then nothing is
// probed, and the reason says what to set (rounds are inconclusive).
func (r *Reconciler) pickURL(vars map[string]spec.Secret) (spec.Secret, string) {
	k := r.opts.Addon
	u := vars[k.URLVariable]
	if r.opts.InsideRailway || !privateHost(u.Value()) {
		return u, ""
	}
	pub := vars[k.PublicURLVariable]
	if !pub.IsZero() && spec.RedisURLProblem(pub.Value()) == "" {
		return pub, ""
	}
	why := fmt.Sprintf("the addon's %s is on Railway's private network (*.railway.internal), unreachable from outside the project, and it has no %s", k.URLVariable, k.PublicURLVariable)
	if !pub.IsZero() {
		why = fmt.Sprintf("the addon's %s is on Railway's private network (*.railway.internal), unreachable from outside the project, and its %s has no host or port "+
			"(Railway renders it redis://default:***@: until the service has a TCP proxy)", k.URLVariable, k.PublicURLVariable)
	}
	why += ": enable a TCP proxy on the Redis service (Settings, Networking), set health.redis.url to a Redis URL reachable from here, or run the reconciler inside the project"
	r.log.Warn("the addon's private url is unreachable from outside the project; set health.redis.url to probe it from here",
		zap.String("variable", k.URLVariable), zap.String("url", spec.RedactURL(u.Value())), zap.String("why", why))
	return spec.Secret{}, why
}

func privateHost(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && strings.HasSuffix(u.Hostname(), ".railway.internal")
}
