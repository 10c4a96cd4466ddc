// Package testspec writes the spec documents that the test harnesses and
// the bench run the reconciler on: one template (a project with a Redis
// addon and a `backend` consumer bound to it), with the parts each harness
// varies as options. It holds no test logic and links into no production
// binary.
package testspec

import (
	"fmt"
	"strings"
)

// Options vary the document. Zero values take the defaults.
type Options struct {
	// Name is the spec's name; default "smartlic-production".
	Name string
	// Endpoint is the Railway endpoint (a simulator's URL); omitted when "".
	Endpoint string
	// ProjectID is the projectId value; default "${TEST_PROJECT_ID}".
	ProjectID string
	// MaxRequestsPerHour is the client budget; omitted when 0.
	MaxRequestsPerHour int
	// RedisURL is the consumer's declared REDIS_URL; default the reference
	// "${{Redis.REDIS_URL}}".
	RedisURL string
	// Health is the body of the health section (indented two spaces);
	// default "probeTimeout: 500ms".
	Health string
	// StatePath is state.path; omitted when "".
	StatePath string
	// Extra is appended as more top-level YAML (rollback, schedule...).
	Extra string
}

// Doc returns the spec document.
func Doc(o Options) string {
	if o.Name == "" {
		o.Name = "smartlic-production"
	}
	if o.ProjectID == "" {
		o.ProjectID = "${TEST_PROJECT_ID}"
	}
	if o.RedisURL == "" {
		o.RedisURL = "${{Redis.REDIS_URL}}"
	}
	if o.Health == "" {
		o.Health = "probeTimeout: 500ms"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "version: 1\nname: %s\nrailway:\n", o.Name)
	if o.Endpoint != "" {
		fmt.Fprintf(&b, "  endpoint: %s\n", o.Endpoint)
	}
	fmt.Fprintf(&b, "  projectId: %s\n  environment: production\n", o.ProjectID)
	if o.MaxRequestsPerHour > 0 {
		fmt.Fprintf(&b, "  maxRequestsPerHour: %d\n", o.MaxRequestsPerHour)
	}
	if o.StatePath != "" {
		fmt.Fprintf(&b, "state:\n  path: %s\n", o.StatePath)
	}
	fmt.Fprintf(&b, "addon:\n  service: Redis\nconsumers:\n  - service: backend\n    variables:\n      REDIS_URL: %s\n", o.RedisURL)
	fmt.Fprintf(&b, "health:\n%s\n", indent(o.Health))
	b.WriteString(o.Extra)
	return b.String()
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n")
}
