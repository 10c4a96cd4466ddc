package probes

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/spec"
)

// Probe is one check of a probe round: a function of a context that obeys
// its deadline (tailscale's prober shape), plus what to report when it did
// not answer in time.
type Probe interface {
	// Probe runs the check once.
	Probe(ctx context.Context) Check
	// Late is the check a round reports when Probe has not answered within
	// d.
	Late(d time.Duration) Check
}

// AddonProbe is the direct probe of the addon. It is kept from round to
// round (it holds connections) and closed when its target changes.
type AddonProbe interface {
	Probe
	Close()
}

// AddonTarget is what a round probes the addon with. A round whose target
// differs from the previous one's gets a new AddonProbe.
type AddonTarget struct {
	// Name is the unit's name (it labels the probe's own resources, such as
	// Redis's private pub/sub channel).
	Name string
	// URL is the addon's URL, password included.
	URL spec.Secret
	// Health holds the addon's health bounds (its own URL field is not
	// used: URL is).
	Health spec.RedisHealth
}

// AddonFactory builds the probe of an addon kind for a target. It fails
// with ErrInvalidURL (never quoting the URL) when the URL cannot be used.
type AddonFactory func(t AddonTarget, log *zap.Logger) (AddonProbe, error)

// staticProbe reports a fixed check: the addon cannot be probed (its URL is
// unknown or invalid).
type staticProbe struct{ c Check }

func (s staticProbe) Probe(context.Context) Check { return s.c }
func (s staticProbe) Late(time.Duration) Check    { return s.c }

// endpointCheck is one consumer endpoint as a Probe of a round.
type endpointCheck struct {
	p          *EndpointProbe
	ep         spec.Endpoint
	skipExpect bool
}

func (e endpointCheck) Probe(ctx context.Context) Check { return e.p.Probe(ctx, e.ep, e.skipExpect) }

func (e endpointCheck) Late(d time.Duration) Check {
	return Check{Name: "endpoint/" + e.ep.Name, Kind: KindEndpoint, Step: StepUnreachable,
		Message: "timed out after " + formatDuration(d)}
}

// Late reports a Redis probe that did not answer in time: a Redis problem.
func (p *RedisProbe) Late(d time.Duration) Check {
	return Check{Name: "redis", Kind: KindRedis, Step: StepPing, Message: timeoutMessage(d), RedisProblem: true}
}

// RedisAddon is the AddonFactory of Redis: a RedisProbe for the target.
func RedisAddon(t AddonTarget, log *zap.Logger) (AddonProbe, error) {
	h := t.Health
	return NewRedisProbe(RedisOptions{Name: t.Name, URL: t.URL, MaxLatency: h.MaxLatency, MaxMemory: int64(h.MaxMemory),
		PubSub: h.PubSub, ExpectKeys: h.ExpectKeys, Logger: log})
}
