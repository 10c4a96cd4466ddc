// Package addon describes the kinds of addon the reconciler manages: how
// to recognise the addon's service in a Railway environment, which of its
// variables carry its URL, what probes it, and how messages name it. The
// reconcile core, the probes and the notifications take a Kind instead of
// knowing about Redis; Redis (and Valkey, its fork, which Railway's CLI
// treats alike) is the one kind today.
package addon

import (
	"strings"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/state"
)

// Kind is one kind of addon.
type Kind struct {
	// Name names the addon in messages and notifications ("Redis").
	Name string
	// Check names its probe's check in rounds, metrics and the status
	// document ("redis").
	Check string
	// URLVariable is the addon's variable holding its URL on the private
	// network; PublicURLVariable the one holding its TCP proxy's URL.
	URLVariable, PublicURLVariable string
	// Images are lower-case substrings of a service's image that make it
	// this kind, as Railway's CLI classifies database services.
	Images []string
	// Condition is the condition type of the addon's health.
	Condition string
	// Probe builds the addon's probe for a round.
	Probe probes.AddonFactory
}

// Redis is the Redis (or Valkey) database addon.
var Redis = Kind{
	Name: "Redis", Check: "redis",
	URLVariable: "REDIS_URL", PublicURLVariable: "REDIS_PUBLIC_URL",
	Images:    []string{"redis", "valkey"},
	Condition: state.CondRedisHealthy,
	Probe:     probes.RedisAddon,
}

// Matches reports whether a service running image is of this kind. An
// unknown image ("") matches nothing.
func (k Kind) Matches(image string) bool {
	img := strings.ToLower(image)
	for _, s := range k.Images {
		if img != "" && strings.Contains(img, s) {
			return true
		}
	}
	return false
}

// Reference is the reference expression a consumer uses for the addon's
// URL when the addon's service is named service: ${{service.URLVariable}}.
func (k Kind) Reference(service string) string {
	return "${{" + service + "." + k.URLVariable + "}}"
}
