package spec

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// decodeSpec decodes the document's root mapping into s, which already holds
// the defaults.
func (d *decoder) decodeSpec(root *yaml.Node, s *Spec) {
	f := d.mapping(root, "", "version", "name", "railway", "addon", "consumers",
		"health", "rollback", "schedule", "report", "state", "server")
	if f == nil {
		return
	}
	d.integer(&s.Version, f["version"], "version")
	d.str(&s.Name, f["name"], "name")
	d.decodeRailway(f["railway"], &s.Railway)
	d.decodeAddon(f["addon"], &s.Addon)
	d.decodeConsumers(f["consumers"], s)
	d.decodeHealth(f["health"], &s.Health)
	d.decodeRollback(f["rollback"], &s.Rollback)
	d.decodeSchedule(f["schedule"], &s.Schedule)
	d.decodeReport(f["report"], &s.Report)
	d.decodeState(f["state"], &s.State)
	d.decodeServer(f["server"], &s.Server)
}

func (d *decoder) decodeRailway(n *yaml.Node, r *Railway) {
	f := d.mapping(n, "railway", "endpoint", "projectId", "environment", "environments",
		"environmentPattern", "maxRequestsPerHour")
	d.str(&r.Endpoint, f["endpoint"], "railway.endpoint")
	if d.str(&r.ProjectID, f["projectId"], "railway.projectId") {
		d.checkRailwayLiteral(f["projectId"], "railway.projectId")
	}
	if d.str(&r.Environment, f["environment"], "railway.environment") {
		d.checkRailwayLiteral(f["environment"], "railway.environment")
	}
	items, _ := d.sequence(f["environments"], "railway.environments")
	for i, item := range items {
		path := index("railway.environments", i)
		d.pos[path] = posOf(item)
		var env string
		if d.str(&env, item, path) {
			d.checkRailwayLiteral(item, path)
		}
		r.Environments = append(r.Environments, env) // "" too: validation names it
	}
	if d.str(&r.EnvironmentPattern, f["environmentPattern"], "railway.environmentPattern") {
		d.checkRailwayLiteral(f["environmentPattern"], "railway.environmentPattern")
	}
	d.integer(&r.MaxRequestsPerHour, f["maxRequestsPerHour"], "railway.maxRequestsPerHour")
}

func (d *decoder) decodeAddon(n *yaml.Node, a *Addon) {
	f := d.mapping(n, "addon", "service", "template", "create", "createGrace")
	d.str(&a.Service, f["service"], "addon.service")
	d.str(&a.Template, f["template"], "addon.template")
	d.boolean(&a.Create, f["create"], "addon.create")
	d.duration(&a.CreateGrace, f["createGrace"], "addon.createGrace")
}

func (d *decoder) decodeState(n *yaml.Node, st *State) {
	f := d.mapping(n, "state", "backend", "path", "postgres")
	d.str(&st.Backend, f["backend"], "state.backend")
	d.str(&st.Path, f["path"], "state.path")
	const p = "state.postgres"
	pf := d.mapping(f["postgres"], p, "url", "leaseDuration", "renewDeadline", "retryPeriod")
	var url string
	if d.str(&url, pf["url"], p+".url") {
		d.checkLiteralPassword(pf["url"], p+".url")
		st.Postgres.URL = NewSecret(url)
	}
	d.duration(&st.Postgres.LeaseDuration, pf["leaseDuration"], p+".leaseDuration")
	d.duration(&st.Postgres.RenewDeadline, pf["renewDeadline"], p+".renewDeadline")
	d.duration(&st.Postgres.RetryPeriod, pf["retryPeriod"], p+".retryPeriod")
}

func (d *decoder) decodeServer(n *yaml.Node, sv *Server) {
	f := d.mapping(n, "server", "listen", "auth")
	d.str(&sv.Listen, f["listen"], "server.listen")
	af := d.mapping(f["auth"], "server.auth", "token")
	var token string
	if d.str(&token, af["token"], "server.auth.token") && d.checkSecretFromEnv(af["token"], "server.auth.token", "RECONCILER_STATUS_TOKEN") {
		sv.Auth.Token = NewSecret(token)
	}
}

func (d *decoder) decodeConsumers(n *yaml.Node, s *Spec) {
	items, _ := d.sequence(n, "consumers")
	for i, item := range items {
		path := index("consumers", i)
		d.pos[path] = posOf(item)
		c := defaultConsumer()
		f := d.mapping(item, path, "service", "variables", "deploy")
		d.str(&c.Service, f["service"], path+".service")
		c.Variables = d.variables(f["variables"], path+".variables")
		d.boolean(&c.Deploy, f["deploy"], path+".deploy")
		s.Consumers = append(s.Consumers, c)
	}
}

// variables decodes a map of environment variable names to values. A null
// value is the empty string. The result is nil when n is absent or wrong.
func (d *decoder) variables(n *yaml.Node, path string) map[string]string {
	if n = d.deref(n); n == nil {
		return nil
	}
	if isNull(n) {
		return map[string]string{}
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping of variable names to values, got %s", kindName(n))
		d.broken[path] = true
		return nil
	}
	out := make(map[string]string, len(n.Content)/2)
	d.pairs(n, path, func(k, v *yaml.Node) {
		child := join(path, k.Value)
		d.keyPos[child], d.pos[child] = posOf(k), posOf(v)
		if !envName.MatchString(k.Value) {
			d.errorf(k, child, "invalid variable name %q: use letters, digits and _, not starting with a digit", k.Value)
			return
		}
		d.checkCredentialVariable(k, v, child)
		if vn := derefQuiet(v); vn != nil && isNull(vn) {
			out[k.Value] = ""
			return
		}
		// A value that does not decode (an unset ${NAME}) still declares
		// the variable: its one problem is reported, and no rule that counts
		// or names variables adds a second.
		var val string
		d.str(&val, v, child)
		out[k.Value] = val
	})
	if len(out) == 0 && len(n.Content) > 0 {
		d.failed[path] = true // every key was wrong, and was reported
	}
	return out
}

func (d *decoder) decodeHealth(n *yaml.Node, h *Health) {
	f := d.mapping(n, "health", "probeTimeout", "redis", "endpoints", "logs")
	d.duration(&h.ProbeTimeout, f["probeTimeout"], "health.probeTimeout")
	d.decodeRedis(f["redis"], &h.Redis)
	items, _ := d.sequence(f["endpoints"], "health.endpoints")
	for i, item := range items {
		h.Endpoints = append(h.Endpoints, d.decodeEndpoint(item, index("health.endpoints", i)))
	}
	items, _ = d.sequence(f["logs"], "health.logs")
	for i, item := range items {
		path := index("health.logs", i)
		d.pos[path] = posOf(item)
		l := defaultLog()
		lf := d.mapping(item, path, "service", "contains", "within")
		d.str(&l.Service, lf["service"], path+".service")
		d.str(&l.Contains, lf["contains"], path+".contains")
		d.duration(&l.Within, lf["within"], path+".within")
		h.Logs = append(h.Logs, l)
	}
}

func (d *decoder) decodeRedis(n *yaml.Node, r *RedisHealth) {
	const p = "health.redis"
	f := d.mapping(n, p, "url", "maxLatency", "maxMemory", "pubsub", "expectKeys")
	var url string
	if d.str(&url, f["url"], p+".url") {
		r.URL = NewSecret(url)
	}
	d.duration(&r.MaxLatency, f["maxLatency"], p+".maxLatency")
	d.size(&r.MaxMemory, f["maxMemory"], p+".maxMemory")
	d.boolean(&r.PubSub, f["pubsub"], p+".pubsub")
	d.str(&r.ExpectKeys, f["expectKeys"], p+".expectKeys")
}

func (d *decoder) decodeEndpoint(n *yaml.Node, path string) Endpoint {
	d.pos[path] = posOf(n)
	e := defaultEndpoint()
	f := d.mapping(n, path, "name", "url", "status", "expect")
	d.str(&e.Name, f["name"], path+".name")
	d.str(&e.URL, f["url"], path+".url")
	d.integer(&e.Status, f["status"], path+".status")
	items, _ := d.sequence(f["expect"], path+".expect")
	for i, item := range items {
		e.Expect = append(e.Expect, d.decodeExpectation(item, index(path+".expect", i)))
	}
	return e
}

func (d *decoder) decodeExpectation(n *yaml.Node, path string) Expectation {
	d.pos[path] = posOf(n)
	var x Expectation
	f := d.mapping(n, path, "field", "equals", "lessThan", "greaterThan", "exists")
	if f == nil {
		return x
	}
	d.str(&x.Field, f["field"], path+".field")
	x.Equals = d.equals(f["equals"], path+".equals")
	if v, ok := d.number(f["lessThan"], path+".lessThan"); ok {
		x.LessThan = &v
	}
	if v, ok := d.number(f["greaterThan"], path+".greaterThan"); ok {
		x.GreaterThan = &v
	}
	var exists bool
	if d.boolean(&exists, f["exists"], path+".exists") {
		x.Exists = &exists
	}
	ops := 0
	for _, op := range []string{"equals", "lessThan", "greaterThan", "exists"} {
		if f[op] != nil {
			ops++
		}
	}
	if ops != 1 {
		d.errorAt(path, "needs exactly one of equals, lessThan, greaterThan or exists, got %d", ops)
	}
	return x
}

// equals decodes the value of an equals check as the YAML type it is written
// as: a string (quoted or not), a number (float64) or a boolean.
func (d *decoder) equals(n *yaml.Node, path string) any {
	if n = derefQuiet(n); n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && isNull(n) {
		d.errorf(n, path, "expected a string, a number or true/false, got null")
		return nil
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		if v, ok := d.number(n, path); ok {
			return v
		}
	case "!!bool":
		var b bool
		if d.boolean(&b, n, path) {
			return b
		}
	default:
		var s string
		if d.str(&s, n, path) {
			return s
		}
	}
	return nil
}

func (d *decoder) decodeRollback(n *yaml.Node, r *Rollback) {
	const p = "rollback"
	f := d.mapping(n, p, "enabled", "failureThreshold", "recoveryThreshold",
		"minRolledBack", "maxRollbacks", "rollbackWindow", "variables")
	d.boolean(&r.Enabled, f["enabled"], p+".enabled")
	d.integer(&r.FailureThreshold, f["failureThreshold"], p+".failureThreshold")
	d.integer(&r.RecoveryThreshold, f["recoveryThreshold"], p+".recoveryThreshold")
	d.duration(&r.MinRolledBack, f["minRolledBack"], p+".minRolledBack")
	d.integer(&r.MaxRollbacks, f["maxRollbacks"], p+".maxRollbacks")
	d.duration(&r.RollbackWindow, f["rollbackWindow"], p+".rollbackWindow")
	vn := derefQuiet(f["variables"])
	if vn == nil || isNull(vn) {
		return // absent or null: the default (every consumer variable set to "")
	}
	r.Variables = d.variables(f["variables"], p+".variables")
	if vn.Kind == yaml.MappingNode && len(vn.Content) == 0 {
		// An empty list would make every rollback write nothing at all.
		d.errorf(vn, p+".variables", `empty: name the variables to roll back, or leave it out to set every consumer variable to ""`)
	}
}

func (d *decoder) decodeSchedule(n *yaml.Node, s *Schedule) {
	f := d.mapping(n, "schedule", "reconcile", "probe", "report")
	d.cronExpr(&s.Reconcile, f["reconcile"], "schedule.reconcile")
	d.cronExpr(&s.Probe, f["probe"], "schedule.probe")
	d.cronExpr(&s.Report, f["report"], "schedule.report")
}

func (d *decoder) decodeReport(n *yaml.Node, r *Report) {
	f := d.mapping(n, "report", "format", "sinks")
	d.str(&r.Format, f["format"], "report.format")
	items, ok := d.sequence(f["sinks"], "report.sinks")
	if !ok || (items == nil && isNull(derefQuiet(f["sinks"]))) {
		return // absent or null: the default [stdout] stays
	}
	r.Sinks = []Sink{}
	for i, item := range items {
		if sink, ok := d.decodeSink(item, index("report.sinks", i)); ok {
			r.Sinks = append(r.Sinks, sink)
		}
	}
}

// decodeSink decodes "stdout", {file: DIR} or {webhook: URL}.
func (d *decoder) decodeSink(n *yaml.Node, path string) (Sink, bool) {
	if n = d.deref(n); n == nil {
		return Sink{}, false
	}
	d.pos[path] = posOf(n)
	if n.Kind == yaml.ScalarNode {
		v, ok := d.scalar(n, path, "a sink")
		if ok && v == string(SinkStdout) {
			return Sink{Kind: SinkStdout}, true
		}
		if !ok && !isNull(n) {
			return Sink{}, false // reported by scalar
		}
		if strings.Contains(v, "://") { // a webhook URL written without "webhook:"
			d.errorf(n, path, "a URL is not a sink: write webhook: URL (the value is secret and not shown)")
			return Sink{}, false
		}
		// Quote the file's text, not the environment's: ${NAME} may hold a secret.
		d.errorf(n, path, "unknown sink %q: use stdout, file: DIR or webhook: URL", n.Value)
		return Sink{}, false
	}
	f := d.mapping(n, path, "file", "webhook")
	switch {
	case f == nil:
		return Sink{}, false
	case len(f) != 1:
		d.errorf(n, path, "a sink is exactly one of stdout, file: DIR or webhook: URL")
		return Sink{}, false
	case f["file"] != nil:
		s := Sink{Kind: SinkFile}
		if d.str(&s.Dir, f["file"], path+".file") {
			d.required(path+".file", s.Dir)
		}
		return s, true
	default:
		var url string
		if d.str(&url, f["webhook"], path+".webhook") && d.required(path+".webhook", url) && !httpURL(url) {
			d.errorAt(path+".webhook", "must be an http or https URL (the value is secret and not shown)")
		}
		return Sink{Kind: SinkWebhook, URL: NewSecret(url)}, true
	}
}
