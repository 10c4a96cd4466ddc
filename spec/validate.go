package spec

import (
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

var namePattern = regexp.MustCompile(`^[a-z0-9-]{1,63}$`)

// validate checks the decoded spec field by field and across fields, then
// fills the defaults that depend on other fields (rollback.variables).
func (d *decoder) validate(s *Spec) {
	d.validateTop(s)
	d.validateRailway(&s.Railway)
	d.required("addon.service", s.Addon.Service)
	d.required("addon.template", s.Addon.Template)
	if s.Addon.CreateGrace < MinCreateGrace {
		d.errorAt("addon.createGrace", "must be at least %s, got %s", FormatDuration(MinCreateGrace), FormatDuration(s.Addon.CreateGrace))
	}
	d.validateConsumers(s)
	d.validateHealth(s)
	d.validateRollback(s)
	d.validateSchedule(s)
	d.validateReport(&s.Report)
	d.validateState(&s.State)
	d.validateListen(s.Server.Listen)
	d.validateToken(s.Server.Auth.Token.Value())
	defaultRollbackVariables(s)
}

func (d *decoder) validateTop(s *Spec) {
	if _, written := d.pos["version"]; !written {
		d.errorAt("version", "required: write \"version: %d\"", Version)
	} else if s.Version != Version {
		d.errorAt("version", "unsupported version %d: only version %d exists", s.Version, Version)
	}
	if d.required("name", s.Name) && !namePattern.MatchString(s.Name) {
		d.errorAt("name", "must be 1 to 63 characters among a-z, 0-9 and -, got %q", s.Name)
	}
}

// required reports an empty value and returns whether it was set.
func (d *decoder) required(path, v string) bool {
	if v == "" {
		d.errorAt(path, "required")
		return false
	}
	return true
}

func (d *decoder) atLeast(path string, v, least int) {
	if v < least {
		d.errorAt(path, "must be at least %d, got %d", least, v)
	}
}

func (d *decoder) positive(path string, v time.Duration) {
	if v <= 0 {
		d.errorAt(path, "must be a positive duration, got %s", FormatDuration(v))
	}
}

// httpURL reports whether raw is an absolute http or https URL with a host.
func httpURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (d *decoder) validateRailway(r *Railway) {
	if d.required("railway.endpoint", r.Endpoint) && !httpURL(r.Endpoint) {
		d.errorAt("railway.endpoint", "must be an http or https URL, got %q", shownURL(r.Endpoint))
	}
	d.required("railway.projectId", r.ProjectID)
	d.validateEnvironments(r)
	d.atLeast("railway.maxRequestsPerHour", r.MaxRequestsPerHour, 1)
}

func (d *decoder) validateConsumers(s *Spec) {
	if len(s.Consumers) == 0 {
		d.errorAt("consumers", "at least one consumer is required")
		return
	}
	first := map[string]int{}
	for i, c := range s.Consumers {
		path := index("consumers", i)
		if !d.required(path+".service", c.Service) {
			continue
		}
		if j, dup := first[c.Service]; dup {
			d.errorAt(path+".service", "duplicate consumer %q (also consumers[%d])", c.Service, j)
		} else {
			first[c.Service] = i
		}
		if c.Service == s.Addon.Service {
			d.errorAt(path+".service", "%q is the addon itself: a consumer is a service that uses Redis", c.Service)
		}
		if len(c.Variables) == 0 {
			d.errorAt(path+".variables", "at least one variable is required")
		}
	}
}

func (d *decoder) validateHealth(s *Spec) {
	h := &s.Health
	d.positive("health.probeTimeout", h.ProbeTimeout)
	d.positive("health.redis.maxLatency", h.Redis.MaxLatency)
	d.validateRedisURL(h.Redis.URL.Value())
	names := map[string]bool{}
	for i, e := range h.Endpoints {
		path := index("health.endpoints", i)
		if d.required(path+".name", e.Name) {
			if names[e.Name] {
				d.errorAt(path+".name", "duplicate endpoint name %q", e.Name)
			}
			names[e.Name] = true
		}
		if d.required(path+".url", e.URL) && !httpURL(e.URL) {
			d.errorAt(path+".url", "must be an http or https URL, got %q", shownURL(e.URL))
		}
		if e.Status < 100 || e.Status > 599 {
			d.errorAt(path+".status", "must be an HTTP status between 100 and 599, got %d", e.Status)
		}
		for j, x := range e.Expect {
			d.required(index(path+".expect", j)+".field", x.Field)
		}
	}
	for i, l := range h.Logs {
		path := index("health.logs", i)
		if d.required(path+".service", l.Service) {
			if _, ok := s.Consumer(l.Service); !ok && !d.anyConsumerFailed(s) {
				d.errorAt(path+".service", "%q is not a consumer (consumers: %s)", l.Service, strings.Join(s.ConsumerNames(), ", "))
			}
		}
		d.required(path+".contains", l.Contains)
		d.positive(path+".within", l.Within)
	}
}

// anyConsumerFailed reports whether a consumer's service name did not
// decode (an unset ${NAME}): references to consumers are then not checked,
// since the name they would match is unknown.
func (d *decoder) anyConsumerFailed(s *Spec) bool {
	for i := range s.Consumers {
		if d.failed[index("consumers", i)+".service"] {
			return true
		}
	}
	return false
}

// validateRedisURL checks health.redis.url after interpolation: a redis://
// or rediss:// URL with a host and, when it names one, a port. The messages
// never quote the value (CONTRACT §9).
func (d *decoder) validateRedisURL(raw string) {
	if raw == "" {
		return // the addon's rendered REDIS_URL, checked by the controller
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		d.errorAt("health.redis.url", "must be a redis:// or rediss:// URL (the value is secret and not shown)")
		return
	}
	if problem := RedisURLProblem(raw); problem != "" {
		d.errorAt("health.redis.url", "%s (the value is secret and not shown)", problem)
	}
}

// ConsumerNames returns the consumers' service names, in spec order.
func (s *Spec) ConsumerNames() []string {
	names := make([]string, 0, len(s.Consumers))
	for _, c := range s.Consumers {
		names = append(names, c.Service)
	}
	return names
}

func (d *decoder) validateRollback(s *Spec) {
	r := &s.Rollback
	d.atLeast("rollback.failureThreshold", r.FailureThreshold, 1)
	d.atLeast("rollback.recoveryThreshold", r.RecoveryThreshold, 1)
	d.atLeast("rollback.maxRollbacks", r.MaxRollbacks, 1)
	if r.MinRolledBack < 0 {
		d.errorAt("rollback.minRolledBack", "must not be negative, got %s", FormatDuration(r.MinRolledBack))
	}
	d.positive("rollback.rollbackWindow", r.RollbackWindow)
	for _, name := range sortedKeys(r.Variables) {
		declared := slices.ContainsFunc(s.Consumers, func(c Consumer) bool {
			_, ok := c.Variables[name]
			return ok
		})
		if !declared {
			d.errorAt(join("rollback.variables", name), "%s is not a variable of any consumer", name)
		}
	}
}

// defaultRollbackVariables fills rollback.variables when the spec leaves it
// out: every consumer variable, set to "". When the spec writes it, exactly
// those variables are rolled back and no other is touched.
func defaultRollbackVariables(s *Spec) {
	if s.Rollback.Variables != nil {
		return
	}
	vars := make(map[string]string)
	for _, c := range s.Consumers {
		for name := range c.Variables {
			vars[name] = ""
		}
	}
	s.Rollback.Variables = vars
}

func (d *decoder) validateSchedule(s *Spec) {
	crons := map[string]Cron{
		"schedule.reconcile": s.Schedule.Reconcile,
		"schedule.probe":     s.Schedule.Probe,
		"schedule.report":    s.Schedule.Report,
	}
	for _, path := range sortedKeys(crons) {
		c := crons[path]
		if c.Every == 0 && c.Schedule != nil && c.Schedule.Next(gapReference).IsZero() {
			d.errorAt(path, "cron expression %q never fires", c.Expr)
		}
	}
	gap, ok := minGap(s.Schedule.Probe, gapReference)
	if !ok || d.failed["schedule.probe"] || s.Health.ProbeTimeout < gap {
		return
	}
	at := d.locate("health.probeTimeout")
	if _, written := d.pos["health.probeTimeout"]; !written {
		at = d.locate("schedule.probe")
	}
	d.errorAtPos(at, "health.probeTimeout", "must be less than the probe interval (%s, from schedule.probe), got %s",
		FormatDuration(gap), FormatDuration(s.Health.ProbeTimeout))
}

func (d *decoder) validateReport(r *Report) {
	if r.Format != "markdown" && r.Format != "json" {
		d.errorAt("report.format", "must be markdown or json, got %q", r.Format)
	}
}

func (d *decoder) validateListen(listen string) {
	if listen == "" {
		return
	}
	_, port, err := net.SplitHostPort(listen)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		d.errorAt("server.listen", "must be host:port or :port, got %q", listen)
	}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
