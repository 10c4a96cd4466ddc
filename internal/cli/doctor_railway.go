package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
)

// railwayResults are the Railway checks, grouped by where they print.
type railwayResults struct {
	main, rate, logs []doctorCheck
}

// railwayChecks checks the token, the project and environment, the
// services and their variables, then the log filters, in order, each step
// only when the one before passed; then the rate limit that Railway
// reported. Requests are sent one at a time, without retries.
func (d *doctor) railwayChecks(ctx context.Context) railwayResults {
	var r railwayResults
	if d.client == nil {
		r.main = []doctorCheck{doctorFail("token", d.clientErr.Error()+"; the checks that need Railway are left out",
			"export a workspace token (Railway: account settings, Tokens) as RAILWAY_API_TOKEN, or a project token as RAILWAY_TOKEN")}
		return r
	}
	for _, step := range []func(context.Context) ([]doctorCheck, bool){d.tokenCheck, d.projectCheck, d.serviceChecks} {
		cs, ok := step(ctx)
		r.main = append(r.main, cs...)
		if !ok {
			return r
		}
	}
	r.logs = d.logChecks(ctx)
	if !d.down {
		r.rate = []doctorCheck{d.rateCheck()}
	}
	return r
}

// tokenCheck asks Railway who the token is (Whoami).
func (d *doctor) tokenCheck(ctx context.Context) ([]doctorCheck, bool) {
	info, err := d.client.Whoami(ctx)
	if err != nil {
		if d.transient(err) {
			return []doctorCheck{d.unreachable("token", err)}, false
		}
		return []doctorCheck{doctorFail("token", err.Error()+"; the checks that need Railway are left out", tokenFix(err))}, false
	}
	d.info = info
	detail := info.Describe() + ", accepted by Railway"
	if info.Scope == railway.ScopeProject {
		detail += "; note: a project token cannot create the addon (a workspace or account token in RAILWAY_API_TOKEN can)"
	}
	return []doctorCheck{doctorOK("token", detail)}, true
}

func tokenFix(err error) string {
	if strings.Contains(err.Error(), railway.EnvProjectToken) {
		return "create a project token for this environment (project settings, Tokens) and export it as RAILWAY_TOKEN, or a workspace token as RAILWAY_API_TOKEN; this one is revoked, expired or mistyped"
	}
	return "create a workspace token (Railway: account settings, Tokens) and export it as RAILWAY_API_TOKEN; this one is revoked, expired or mistyped"
}

// projectCheck finds the project and the environment the spec names.
func (d *doctor) projectCheck(ctx context.Context) ([]doctorCheck, bool) {
	if d.info.Scope == railway.ScopeProject {
		c, ok := d.projectTokenScope()
		return []doctorCheck{c}, ok
	}
	id := d.sp.Railway.ProjectID
	p, err := d.client.Project(ctx, id)
	if err != nil {
		if d.transient(err) {
			return []doctorCheck{d.unreachable("project", err)}, false
		}
		return []doctorCheck{doctorFail("project", fmt.Sprintf("project %s cannot be read with %s: %v", id, d.info.EnvVar, err),
			"check railway.projectId (the project's settings show its id); a workspace token reaches only the projects of its workspace")}, false
	}
	d.proj = p
	c, ok := d.pickEnvironment()
	return []doctorCheck{c}, ok
}

// pickEnvironment finds the spec's environment in d.proj; for a spec that
// manages several (the fleet) the first one is checked.
func (d *doctor) pickEnvironment() (doctorCheck, bool) {
	p, r := d.proj, d.sp.Railway
	names := make([]string, 0, len(p.Environments))
	for _, e := range p.Environments {
		names = append(names, e.Name)
	}
	if !r.Generated() {
		e, ok := p.Environment(r.Environment)
		if !ok {
			return doctorFail("project", fmt.Sprintf("environment %q not found in project %q (%s); it has %s", r.Environment, p.Name, p.ID, quotedNames(names)),
				"set railway.environment to one of the project's environments (a name or an id)"), false
		}
		d.env, d.where = e, fmt.Sprintf("%q", e.Name)
		return doctorOK("project", fmt.Sprintf("project %q (%s), environment %q (%s)", p.Name, p.ID, e.Name, e.ID)), true
	}
	managed := r.SelectEnvironments(names)
	if len(managed) == 0 {
		return doctorFail("project", fmt.Sprintf("no environment of project %q (%s) is managed by railway.environments or railway.environmentPattern; it has %s", p.Name, p.ID, quotedNames(names)),
			"list existing environments in railway.environments, or fix railway.environmentPattern"), false
	}
	d.env, _ = p.Environment(managed[0])
	d.where = fmt.Sprintf("%q", d.env.Name)
	detail := fmt.Sprintf("project %q (%s), %d environments managed: %s; the checks below look at %q (%s), the first",
		p.Name, p.ID, len(managed), quotedNames(managed), d.env.Name, d.env.ID)
	return doctorOK("project", detail), true
}

// projectTokenScope checks that a project token is the spec's project's and
// environment's: it reaches nothing else.
func (d *doctor) projectTokenScope() (doctorCheck, bool) {
	t, r := d.info, d.sp.Railway
	fix := "use a project token of the spec's project and environment in RAILWAY_TOKEN, or a workspace token in RAILWAY_API_TOKEN"
	switch {
	case t.Project.ID != r.ProjectID:
		return doctorFail("project", fmt.Sprintf("%s is a token for project %q (%s), not project %s", t.EnvVar, t.Project.Name, t.Project.ID, r.ProjectID), fix), false
	case r.Generated():
		return doctorFail("project", fmt.Sprintf("%s is a project token: it reaches environment %q only, and the spec manages several", t.EnvVar, t.Environment.Name),
			"use a workspace or account token in RAILWAY_API_TOKEN for railway.environments or railway.environmentPattern"), false
	case r.Environment != t.Environment.ID && r.Environment != t.Environment.Name:
		return doctorFail("project", fmt.Sprintf("%s is a project token for environment %q (%s), not for environment %q", t.EnvVar, t.Environment.Name, t.Environment.ID, r.Environment), fix), false
	}
	d.proj = &railway.Project{ID: t.Project.ID, Name: t.Project.Name}
	d.env, d.where = t.Environment, fmt.Sprintf("%q", t.Environment.Name)
	return doctorOK("project", fmt.Sprintf("project %q (%s), environment %q (%s)", t.Project.Name, t.Project.ID, t.Environment.Name, t.Environment.ID)), true
}

// serviceChecks reads every service of the environment with its variables
// (two requests), then checks the consumers, the addon and the variables.
func (d *doctor) serviceChecks(ctx context.Context) ([]doctorCheck, bool) {
	obs, err := d.client.ObserveAll(ctx, d.proj.ID, d.env.ID)
	if err != nil {
		if d.transient(err) {
			return []doctorCheck{d.unreachable("variables", err)}, false
		}
		return []doctorCheck{doctorFail("variables", fmt.Sprintf("the services and variables of %s cannot be read: %v", d.where, err),
			"the token must reach this environment: a project token reaches its own environment only")}, false
	}
	d.obs = obs
	var out []doctorCheck
	for i, c := range d.sp.Consumers {
		out = append(out, d.consumerCheck(i, c))
	}
	addon, ok := d.addonCheck(ctx)
	out = append(out, addon)
	if !ok {
		return out, false
	}
	return append(out, d.variablesCheck()), true
}

// consumerCheck finds one consumer in the environment.
func (d *doctor) consumerCheck(i int, c spec.Consumer) doctorCheck {
	name := "consumer/" + c.Service
	in, ok := d.obs.Instance(c.Service)
	if !ok {
		return doctorFail(name, fmt.Sprintf("service %q not found in %s; it has %s", c.Service, d.where, quotedNames(d.serviceNames())),
			fmt.Sprintf("set consumers[%d].service to the service's exact name (case counts)%s, or create the service in Railway", i, d.didYouMean(c.Service)))
	}
	return doctorOK(name, fmt.Sprintf("service %q (%s) found in %s, %s", c.Service, in.ServiceID, d.where, deployNote(in)))
}

// deployment describes an instance's latest deployment.
func deployNote(in railway.ServiceInstance) string {
	if in.LatestDeployment == nil {
		return "never deployed"
	}
	return fmt.Sprintf("latest deployment %s", in.LatestDeployment.Status)
}

func (d *doctor) serviceNames() []string {
	names := make([]string, 0, len(d.obs.Instances))
	for _, in := range d.obs.Instances {
		names = append(names, in.ServiceName)
	}
	return names
}

// didYouMean names a service whose name differs from name only by case.
func (d *doctor) didYouMean(name string) string {
	for _, n := range d.serviceNames() {
		if strings.EqualFold(n, name) {
			return fmt.Sprintf(": did you mean %q?", n)
		}
	}
	return ""
}

// quoteList quotes and joins names: "a", "b"; "none" when empty.
func quotedNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// rateCheck reports the rate limit Railway's answers carried.
func (d *doctor) rateCheck() doctorCheck {
	s, budget := d.client.Stats(), d.sp.Railway.MaxRequestsPerHour
	if !s.RateLimitKnown {
		return doctorOK("rate-limit", fmt.Sprintf("Railway's answers carried no rate-limit headers; the reconciler keeps to its own budget, railway.maxRequestsPerHour = %d", budget))
	}
	reset := "the next reset"
	if !s.RateLimitReset.IsZero() {
		reset = s.RateLimitReset.UTC().Format("15:04:05Z")
	}
	detail := fmt.Sprintf("Railway allows %d requests per hour; %d left until %s; the reconciler's own budget is %d per hour",
		s.RateLimitLimit, s.RateLimitRemaining, reset, budget)
	if s.Reserved {
		return doctorFail("rate-limit", detail+fmt.Sprintf(", and the last %d are kept for rollbacks", s.Reserve),
			fmt.Sprintf("wait until %s: until then the reconciler sends only what a rollback needs; see what else uses this token", reset))
	}
	return doctorOK("rate-limit", detail)
}

// logFilter is the filter the log probe sends for a log expectation: the
// text as one phrase of Railway's log query language (as probes does).
func logFilter(text string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(text) + `"`
}

// logChecks asks Railway, once per log expectation, for one line of its
// consumer's latest deployment with the expectation's filter: Railway
// refuses a filter it cannot parse.
func (d *doctor) logChecks(ctx context.Context) []doctorCheck {
	var out []doctorCheck
	seen := map[string]int{}
	for i, exp := range d.sp.Health.Logs {
		if d.down {
			break
		}
		c := d.logCheck(ctx, i, exp)
		if seen[exp.Service]++; seen[exp.Service] > 1 {
			c.Check += fmt.Sprintf("/%d", seen[exp.Service]) // log/backend, log/backend/2, ...
		}
		out = append(out, c)
	}
	return out
}

func (d *doctor) logCheck(ctx context.Context, i int, exp spec.LogExpectation) doctorCheck {
	name, filter := "log/"+exp.Service, logFilter(exp.Contains)
	in, ok := d.obs.Instance(exp.Service)
	switch {
	case !ok:
		return doctorFail(name, fmt.Sprintf("service %q not found in %s", exp.Service, d.where), fmt.Sprintf("set health.logs[%d].service to a consumer's name", i))
	case in.LatestDeployment == nil:
		return doctorOK(name, fmt.Sprintf("not checked: %q has no deployment yet to read logs from", exp.Service))
	case d.left() < 1:
		return doctorOK(name, fmt.Sprintf("not checked: doctor's %d Railway requests are used", doctorMaxRequests))
	}
	dep := in.LatestDeployment.ID
	err := d.client.CheckLogFilter(ctx, dep, filter)
	switch {
	case err == nil:
		return doctorOK(name, fmt.Sprintf("Railway accepts the filter %s on %q's deployment %s", filter, exp.Service, dep))
	case d.transient(err):
		return d.unreachable(name, err)
	}
	return doctorFail(name, fmt.Sprintf("Railway refused the filter %s on %q's deployment %s: %v", filter, exp.Service, dep, err),
		fmt.Sprintf("change health.logs[%d].contains to plain text from the line the app logs", i))
}
