package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/smartlic/reconciler/spec"
)

// initDoc is what the written spec is made of.
type initDoc struct {
	Name        string
	Project     string // the project's name (comments only; never its id)
	Environment string
	Endpoint    string // written when not the default
	HealthURL   string // --health-url
	Found       *initFound
	Now         time.Time
}

// render writes the commented spec.
func (d initDoc) render() []byte {
	var b bytes.Buffer
	d.header(&b)
	fmt.Fprintf(&b, "version: 1\nname: %s\n\nrailway:\n", d.Name)
	if d.Endpoint != "" && d.Endpoint != spec.DefaultEndpoint {
		fmt.Fprintf(&b, "  endpoint: %s\n", yamlScalar(d.Endpoint))
	}
	b.WriteString("  # The project's id comes from the environment: Railway injects\n" +
		"  # RAILWAY_PROJECT_ID into every service; elsewhere, export it. A literal id\n" +
		"  # here is refused (it looks like a token).\n" +
		"  projectId: ${RAILWAY_PROJECT_ID}\n")
	fmt.Fprintf(&b, "  environment: %s\n\naddon:\n", yamlScalar(d.Environment))
	f := d.Found
	if f.Exists {
		fmt.Fprintf(&b, "  # Found in %q: service %q, image %s.\n", d.Environment, f.Addon, imageOrUnknown(f.AddonImage))
	} else {
		fmt.Fprintf(&b, "  # Not in %q yet: apply creates it from Railway's redis template\n  # (addon.template), with a workspace or account token.\n", d.Environment)
	}
	fmt.Fprintf(&b, "  service: %s\n\nconsumers:\n", yamlScalar(f.Addon))
	for _, c := range f.Consumers {
		d.consumer(&b, c)
	}
	d.health(&b)
	return b.Bytes()
}

func (d initDoc) header(b *bytes.Buffer) {
	fmt.Fprintf(b, "# The desired state of the Redis addon of Railway project %q, environment\n", d.Project)
	fmt.Fprintf(b, "# %q, written by `reconciler init` on %s from what the project has.\n", d.Environment, d.Now.UTC().Format("2006-01-02"))
	b.WriteString("# Every field is in docs/spec.md; examples/desired.yaml is a complete, commented\n" +
		"# spec. What is left out takes its default (`reconciler validate --print` shows\n" +
		"# them). Next, with RAILWAY_PROJECT_ID exported:\n" +
		"#\n" +
		"#   reconciler validate   # check this file\n" +
		"#   reconciler doctor     # check the token, the project, Redis and the state\n" +
		"#   reconciler plan       # see what apply would change\n" +
		"#\n" +
		"# For completion in an editor: `reconciler schema > spec.schema.json`, then\n" +
		"# make `# yaml-language-server: $schema=spec.schema.json` the first line.\n")
	if len(d.Found.Notes) > 0 {
		b.WriteString("#\n# What init noticed:\n")
		for _, n := range d.Found.Notes {
			writeComment(b, "#   - ", "#     ", n)
		}
	}
	b.WriteString("\n")
}

func (d initDoc) consumer(b *bytes.Buffer, c initConsumer) {
	writeComment(b, "  # ", "  # ", fmt.Sprintf("%s: %s.", c.Service, c.Why))
	fmt.Fprintf(b, "  - service: %s\n    variables:\n", yamlScalar(c.Service))
	for _, k := range slices.Sorted(maps.Keys(c.Vars)) {
		fmt.Fprintf(b, "      %s: %s\n", k, yamlScalar(c.Vars[k]))
	}
}

func (d initDoc) health(b *bytes.Buffer) {
	b.WriteString("\n# Redis is probed at the addon's REDIS_URL when the reconciler runs inside the\n" +
		"# project, else at its REDIS_PUBLIC_URL (which needs a TCP proxy on the Redis\n" +
		"# service), or at health.redis.url when set.\n")
	if d.HealthURL == "" {
		fmt.Fprintf(b, "# A consumer's own health report makes the checks complete (init --health-url):\n"+
			"# health:\n#   endpoints:\n#     - name: %s\n#       url: https://backend.example.com/health\n", d.Found.Consumers[0].Service)
		return
	}
	fmt.Fprintf(b, "health:\n  endpoints:\n    - name: %s\n      url: %s\n      status: 200\n", endpointName(d.Found.Consumers[0].Service), yamlScalar(d.HealthURL))
	b.WriteString("      # What the body must say while Redis is connected, for example:\n" +
		"      # expect:\n      #   - field: redis\n      #     equals: connected\n")
}

// endpointName makes a service name a valid endpoint name.
func endpointName(service string) string {
	if n := specName(service); n != "" {
		return n
	}
	return "app"
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// specName makes text a spec name: a-z, 0-9 and -, at most 63 characters.
func specName(text string) string {
	n := strings.Trim(nonName.ReplaceAllString(strings.ToLower(text), "-"), "-")
	if len(n) > 63 {
		n = strings.TrimRight(n[:63], "-")
	}
	return n
}

// writeComment writes text as comment lines of about 80 characters.
func writeComment(b *bytes.Buffer, first, next, text string) {
	prefix, line := first, ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(prefix)+len(line)+1+len(w) > 80 {
			b.WriteString(prefix + line + "\n")
			prefix, line = next, ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		b.WriteString(prefix + line + "\n")
	}
}

var (
	plainWord   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)
	plainRef    = regexp.MustCompile(`^(\$\{\{[A-Za-z0-9_. -]+\}\}|[A-Za-z0-9_.:/@-])+$`)
	plainURL    = regexp.MustCompile(`^https?://[A-Za-z0-9._~:/?@%=&+-]+$`)
	yamlSpecial = regexp.MustCompile(`^(?i:true|false|yes|no|on|off|y|n|null|~)$`)
)

// yamlScalar renders s as a YAML scalar that the spec reads back as s: a
// plain word or reference expression as is, anything else double-quoted; a
// "${" that is not a Railway reference is written "$${" so that it is not
// taken for an interpolation.
func yamlScalar(s string) string {
	s = escapeInterpolation(s)
	if (plainWord.MatchString(s) && !yamlSpecial.MatchString(s)) || plainURL.MatchString(s) ||
		(strings.HasPrefix(s, "${{") && plainRef.MatchString(s)) {
		return s
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// escapeInterpolation writes every "${" not opening a "${{" reference as
// "$${", the spec's literal "${".
func escapeInterpolation(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.HasPrefix(s[i:], "${") && !strings.HasPrefix(s[i:], "${{") {
			b.WriteString("$${")
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
