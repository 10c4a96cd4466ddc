package reconcile

import (
	"context"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
)

// urlCache holds the addon's rendered URL, keyed by the addon's service
// and latest deployment, so it is read again only when it may have
// changed. It lives in memory only: it carries the password.
type urlCache struct {
	key string
	url spec.Secret
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
	return urlCache{key: want, url: r.pickURL(vars)}
}

// pickURL chooses the addon's private URL (REDIS_URL) inside Railway.
// Outside, a private-network URL (*.railway.internal) cannot be reached,
// and probing it would read as an outage: the public URL (REDIS_PUBLIC_URL)
// is used when the addon has a usable one, else nothing (rounds are
// inconclusive and say why).
func (r *Reconciler) pickURL(vars map[string]spec.Secret) spec.Secret {
	k := r.opts.Addon
	u := vars[k.URLVariable]
	if r.opts.InsideRailway || !privateHost(u.Value()) {
		return u
	}
	if pub := vars[k.PublicURLVariable]; !pub.IsZero() {
		return pub
	}
	r.log.Warn("the addon's private url is unreachable from outside the project; set health.redis.url to probe it from here",
		zap.String("variable", k.URLVariable), zap.String("url", spec.RedactURL(u.Value())))
	return spec.Secret{}
}

func privateHost(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && strings.HasSuffix(u.Hostname(), ".railway.internal")
}
