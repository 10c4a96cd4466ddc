package spec

import (
	"github.com/invopop/jsonschema"
)

// fieldDoc is what the JSON Schema says of one field beyond its Go type:
// its description and the constraints a schema can check on the raw file.
// Rules that need the interpolated value or several fields (a probe timeout
// under the probe interval, consumers referenced by logs) stay with
// `reconciler validate`.
type fieldDoc struct {
	desc      string
	required  bool
	min, max  *int     // bounds of a number (an interpolation passes)
	enum      []any    // the allowed values (or an interpolation)
	pattern   string   // a regular expression the text matches (or an interpolation)
	envOnly   bool     // only ${NAME} interpolations: a secret never written in the file
	minItems  uint64   // a list's or mapping's least size
	unique    bool     // a list's items are unique and not empty
	nullable  bool     // null (nothing after the colon) means "the default"
	variables bool     // a mapping of environment variable names to values
	noDefault bool     // the decoder's starting value is not a default to show
	examples  []any    // typical values, for completion
	_         struct{} // keyed literals only
}

func intPtr(n int) *int { return &n }

// httpPattern is an http or https URL.
const httpPattern = `^https?://[^/?#]`

// envOnlyPattern is a value made only of ${NAME} interpolations (or empty).
const envOnlyPattern = `^(\$\{[A-Za-z_][A-Za-z0-9_]*(:-)?\})*$`

// apply adds the constraints to s, the field's schema, and returns the
// schema to use (a wrapper when the value may also be an interpolation or
// null).
func (f fieldDoc) apply(s *jsonschema.Schema) *jsonschema.Schema {
	if f.min != nil {
		s.Minimum = schemaNumber(*f.min)
	}
	if f.max != nil {
		s.Maximum = schemaNumber(*f.max)
	}
	if f.envOnly {
		s.Pattern = envOnlyPattern
	}
	if f.minItems > 0 && s.Type == "array" {
		s.MinItems = uint64Ptr(f.minItems)
	}
	if f.minItems > 0 && s.Type == "object" {
		s.MinProperties = uint64Ptr(f.minItems)
	}
	if f.unique {
		s.UniqueItems = true
		s.Items.MinLength = uint64Ptr(1)
	}
	if f.variables {
		s.PropertyNames = &jsonschema.Schema{Pattern: envName.String()}
		s.AdditionalProperties = &jsonschema.Schema{AnyOf: []*jsonschema.Schema{ref(refScalar), typed("null")}}
	}
	s.Examples = f.examples
	outer := s
	switch {
	case f.enum != nil:
		outer = &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Enum: f.enum}, ref(refInterpolated)}}
	case f.pattern != "":
		outer = &jsonschema.Schema{Type: "string", AnyOf: []*jsonschema.Schema{{Pattern: f.pattern}, ref(refInterpolated)}}
	case f.nullable:
		outer = &jsonschema.Schema{AnyOf: []*jsonschema.Schema{s, typed("null")}}
	}
	if outer != s {
		outer.Default, s.Default = s.Default, nil
		outer.Examples, s.Examples = s.Examples, nil
	}
	return outer
}

// schemaObjects adds the rules that tie an object's fields together.
var schemaObjects = map[string]func(*jsonschema.Schema){
	"railway": func(s *jsonschema.Schema) {
		s.OneOf = requiredOneOf("environment", "environments", "environmentPattern")
	},
	"health.endpoints[].expect[]": func(s *jsonschema.Schema) {
		s.OneOf = requiredOneOf("equals", "lessThan", "greaterThan", "exists")
	},
	"state": func(s *jsonschema.Schema) {
		backend := jsonschema.NewProperties()
		backend.Set("backend", &jsonschema.Schema{Const: StateBackendPostgres})
		url := jsonschema.NewProperties()
		url.Set("postgres", &jsonschema.Schema{Required: []string{"url"}})
		s.If = &jsonschema.Schema{Properties: backend, Required: []string{"backend"}}
		s.Then = &jsonschema.Schema{Properties: url, Required: []string{"postgres"}}
	},
}

func requiredOneOf(fields ...string) []*jsonschema.Schema {
	out := make([]*jsonschema.Schema, len(fields))
	for i, f := range fields {
		out[i] = &jsonschema.Schema{Required: []string{f}}
	}
	return out
}

// schemaFields is the one table of field descriptions and constraints,
// by path ("a.b", list items "a[]"). Every field of the Go types needs an
// entry, and every entry a field (TestSchemaCoversEveryField).
var schemaFields = map[string]fieldDoc{
	"version": {desc: "The spec version: only 1 exists.", required: true, enum: []any{1, "1"}},
	"name": {desc: "The spec's name: 1 to 63 characters among a-z, 0-9 and -. Labels metrics, reports and the state.",
		required: true, pattern: namePattern.String()},

	"railway":          {desc: "Where the project lives and how hard the reconciler may call Railway's API. Exactly one of environment, environments and environmentPattern.", required: true},
	"railway.endpoint": {desc: "Railway's GraphQL endpoint: an http or https URL.", pattern: httpPattern},
	"railway.projectId": {desc: "The project's id. Write it as an interpolation: ${RAILWAY_PROJECT_ID}, which Railway injects into every service; a token-looking literal is an error.",
		required: true, examples: []any{"${RAILWAY_PROJECT_ID}"}},
	"railway.environment": {desc: "The environment's name (production) or id.", examples: []any{"production", "${RAILWAY_ENVIRONMENT_ID}"}},
	"railway.environments": {desc: "The fleet's environment generator: one managed unit per listed environment name, named NAME/ENV. Names unique and not empty.",
		unique: true, minItems: 1},
	"railway.environmentPattern": {desc: "The fleet's environment generator: one managed unit per environment whose name matches this glob (Go path.Match: *, ?, [a-z], \\ escapes), checked at every reconcile.",
		examples: []any{"pr-*"}},
	"railway.maxRequestsPerHour": {desc: "The reconciler's own budget of Railway API requests per hour.", min: intPtr(1)},

	"addon":          {desc: "The Redis database service that must exist.", required: true},
	"addon.service":  {desc: "The Redis service's name in the project; not also a consumer.", required: true, examples: []any{"Redis"}},
	"addon.template": {desc: "The Railway template used to create the service."},
	"addon.create":   {desc: "false: report a missing addon, never create it."},
	"addon.createGrace": {desc: "After an addon creation whose outcome is unknown (a timeout, a 5xx), how long to wait for the new service to appear before creating again; at least 1m.",
		examples: []any{"15m"}},

	"consumers":           {desc: "The services that use Redis: at least one.", required: true, minItems: 1},
	"consumers[]":         {desc: "A service that must carry the declared variables."},
	"consumers[].service": {desc: "The service's name in the project: unique among consumers, not the addon.", required: true},
	"consumers[].variables": {desc: "The variables the service must carry, written verbatim: names are environment variable names; a credential-like name needs a reference or an interpolation as its value.",
		required: true, minItems: 1, variables: true, examples: []any{map[string]any{"REDIS_URL": "${{Redis.REDIS_URL}}"}}},
	"consumers[].deploy": {desc: "Deploy the service once after the reconciler changes its variables."},

	"health":              {desc: "What healthy means: the probe of Redis, the consumers' health endpoints and log lines."},
	"health.probeTimeout": {desc: "The bound of every check of a probe round; positive and less than the probe interval."},
	"health.redis":        {desc: "The reconciler's own probe of Redis."},
	"health.redis.url": {desc: "The Redis URL to probe (a secret, never printed); empty: the addon's REDIS_URL as Railway renders it. A redis:// or rediss:// URL with a host and a port.",
		pattern: `^(rediss?://.*)?$`, examples: []any{"${REDIS_PUBLIC_URL:-}"}},
	"health.redis.maxLatency": {desc: "The longest acceptable PING round trip; positive."},
	"health.redis.maxMemory":  {desc: "A bound on Redis used_memory; 0 means none."},
	"health.redis.pubsub":     {desc: "Publish and receive one message on a private channel."},
	"health.redis.expectKeys": {desc: "A Redis glob: at least one key must match (a bounded SCAN); empty means no check."},

	"health.endpoints":                        {desc: "The consumers' own health reports, fetched with GET every probe round."},
	"health.endpoints[]":                      {desc: "One health endpoint."},
	"health.endpoints[].name":                 {desc: "Unique among endpoints.", required: true},
	"health.endpoints[].url":                  {desc: "An http or https URL.", required: true, pattern: httpPattern},
	"health.endpoints[].status":               {desc: "The expected HTTP status.", min: intPtr(100), max: intPtr(599)},
	"health.endpoints[].expect":               {desc: "Checks on the JSON body, each with one operator."},
	"health.endpoints[].expect[]":             {desc: "One check: a field and exactly one of equals, lessThan, greaterThan and exists."},
	"health.endpoints[].expect[].field":       {desc: "A dot path into the JSON body (redis.latency_ms).", required: true},
	"health.endpoints[].expect[].equals":      {desc: "Passes when the field equals this string, number or boolean (typed as written)."},
	"health.endpoints[].expect[].lessThan":    {desc: "Passes when the field is a number below this."},
	"health.endpoints[].expect[].greaterThan": {desc: "Passes when the field is a number above this."},
	"health.endpoints[].expect[].exists":      {desc: "Passes when the field is present (true) or absent (false).", noDefault: true},

	"health.logs":            {desc: "Lines a consumer must log after each deploy."},
	"health.logs[]":          {desc: "One expected log line."},
	"health.logs[].service":  {desc: "One of the consumers.", required: true},
	"health.logs[].contains": {desc: "The text the line must contain.", required: true},
	"health.logs[].within":   {desc: "How long after the deployment reaches SUCCESS; positive."},

	"rollback":                   {desc: "What happens when Redis goes bad: the consumers' variables are rolled back, then forward once Redis has recovered."},
	"rollback.enabled":           {desc: "Roll back automatically."},
	"rollback.failureThreshold":  {desc: "Consecutive unhealthy probe rounds before rolling back.", min: intPtr(1)},
	"rollback.recoveryThreshold": {desc: "Consecutive healthy rounds before rolling forward.", min: intPtr(1)},
	"rollback.minRolledBack":     {desc: "The least time rolled back before rolling forward; not negative."},
	"rollback.maxRollbacks":      {desc: "Rollbacks allowed within rollbackWindow; the next one holds until a person rolls forward.", min: intPtr(1)},
	"rollback.rollbackWindow":    {desc: "The window of maxRollbacks; positive."},
	"rollback.variables": {desc: "The values written on rollback, each a variable of some consumer. Left out (or null): every consumer variable set to \"\". Not empty.",
		minItems: 1, variables: true, nullable: true},

	"schedule":           {desc: "The controller's schedules (run)."},
	"schedule.reconcile": {desc: "The drift check and correction (jittered by up to 10%)."},
	"schedule.probe":     {desc: "One health probe round."},
	"schedule.report":    {desc: "One drift report."},

	"report":        {desc: "Drift reports and notifications."},
	"report.format": {desc: "The report format.", enum: []any{"markdown", "json"}},
	"report.sinks":  {desc: "Where reports and notifications go; [] means none, null the default.", nullable: true},

	"state": {desc: "Where the state is kept: a file (one replica) or PostgreSQL (several replicas, one acting)."},
	"state.backend": {desc: "file: the state in state.path; postgres: the state and the leader lease in PostgreSQL (state.postgres.url).",
		enum: []any{StateBackendFile, StateBackendPostgres}},
	"state.path":     {desc: "The state file (file backend); a relative path is relative to the spec file's directory."},
	"state.postgres": {desc: "The PostgreSQL backend: the database and the leader election timings (leaseDuration > renewDeadline > retryPeriod > 0)."},
	"state.postgres.url": {desc: "A postgres:// or postgresql:// URL (a secret): required with backend postgres; its password never written in the file.",
		pattern: `^postgres(ql)?://`, examples: []any{"${DATABASE_URL}"}},
	"state.postgres.leaseDuration": {desc: "How long a leader's lease lasts without renewal."},
	"state.postgres.renewDeadline": {desc: "A leader that cannot renew for this long stops acting."},
	"state.postgres.retryPeriod":   {desc: "How often replicas try to take or renew the lease."},

	"server":        {desc: "The HTTP server of run."},
	"server.listen": {desc: "host:port or :port; empty: :$PORT, else :8080 (the --listen flag wins).", pattern: `^(.*:[0-9]{1,5})?$`},
	"server.auth":   {desc: "Protects /, /status and /metrics; /healthz and /readyz stay open."},
	"server.auth.token": {desc: "A bearer token required by /, /status and /metrics; empty: no authentication. A secret: only ${NAME} interpolations, never a literal.",
		envOnly: true, examples: []any{"${RECONCILER_STATUS_TOKEN}"}},
}
