package railwaytest

import (
	"regexp"
	"strconv"
	"strings"
)

// maxRefDepth bounds recursive reference rendering (and breaks cycles).
const maxRefDepth = 10

// refPattern matches a Railway reference, ${{ ... }}.
var refPattern = regexp.MustCompile(`\$\{\{(.*?)\}\}`)

// scope is where an unqualified reference (${{VAR}}) is looked up: a
// service's instance in env, or env's shared variables when svc is nil.
type scope struct {
	env *environment
	svc *service
}

// rendered returns the variables of a scope with every reference resolved.
// withProvided adds Railway's own RAILWAY_* variables (deployment view).
func (m *model) rendered(sc scope, withProvided bool) map[string]string {
	out := map[string]string{}
	if withProvided {
		for k, v := range m.provided(sc) {
			out[k] = v
		}
	}
	for k, v := range m.raw(sc) {
		out[k] = m.render(sc, v, 0)
	}
	return out
}

// render resolves every reference in value. Unknown references render to ""
// as Railway does; so does anything nested deeper than maxRefDepth.
func (m *model) render(sc scope, value string, depth int) string {
	return refPattern.ReplaceAllStringFunc(value, func(ref string) string {
		if depth >= maxRefDepth {
			return ""
		}
		target, name := m.target(sc, strings.TrimSpace(ref[3:len(ref)-2]))
		if target.env == nil {
			return ""
		}
		v, ok := m.lookup(target, name)
		if !ok {
			return ""
		}
		return m.render(target, v, depth+1)
	})
}

// target splits a reference expression ("Service.VAR", "shared.VAR", "VAR")
// into the scope it names and the variable name. An unknown service yields a
// zero scope.
func (m *model) target(sc scope, expr string) (scope, string) {
	ns, name, qualified := strings.Cut(expr, ".")
	if !qualified {
		return sc, expr
	}
	ns, name = strings.TrimSpace(ns), strings.TrimSpace(name)
	if ns == "shared" {
		return scope{env: sc.env}, name
	}
	svc, ok := m.serviceByName(sc.env.projectID, ns)
	if !ok {
		return scope{}, name
	}
	return scope{env: sc.env, svc: svc}, name
}

// lookup finds one raw variable of a scope; Railway-provided variables win.
func (m *model) lookup(sc scope, name string) (string, bool) {
	if v, ok := m.provided(sc)[name]; ok {
		return v, true
	}
	v, ok := m.raw(sc)[name]
	return v, ok
}

// raw returns a scope's own raw variables (not a copy).
func (m *model) raw(sc scope) map[string]string {
	if sc.svc == nil {
		return sc.env.shared
	}
	if in := sc.svc.instances[sc.env.id]; in != nil {
		return in.vars
	}
	return nil
}

// provided returns the RAILWAY_* variables Railway injects into a scope.
func (m *model) provided(sc scope) map[string]string {
	p := m.projects[sc.env.projectID]
	out := map[string]string{
		"RAILWAY_PROJECT_ID":       p.id,
		"RAILWAY_PROJECT_NAME":     p.name,
		"RAILWAY_ENVIRONMENT_ID":   sc.env.id,
		"RAILWAY_ENVIRONMENT_NAME": sc.env.name,
		"RAILWAY_ENVIRONMENT":      sc.env.name,
	}
	if sc.svc != nil {
		out["RAILWAY_SERVICE_ID"] = sc.svc.id
		out["RAILWAY_SERVICE_NAME"] = sc.svc.name
		out["RAILWAY_PRIVATE_DOMAIN"] = PrivateDomain(sc.svc.name)
		if in := sc.svc.instances[sc.env.id]; in != nil && in.proxy != nil {
			out["RAILWAY_TCP_PROXY_DOMAIN"] = in.proxy.domain
			out["RAILWAY_TCP_PROXY_PORT"] = strconv.Itoa(in.proxy.port)
			out["RAILWAY_TCP_APPLICATION_PORT"] = strconv.Itoa(in.proxy.targetPort)
		}
	}
	return out
}

// PrivateDomain is the private network name Railway gives a service:
// "<lowercased name>.railway.internal" (spaces become dashes).
func PrivateDomain(serviceName string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(serviceName)), " ", "-") + ".railway.internal"
}
