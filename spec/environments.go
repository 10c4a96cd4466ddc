package spec

import (
	"path"
	"slices"
)

// Generated reports whether the spec is an environment generator (the
// fleet): it names its environments with railway.environments or
// railway.environmentPattern rather than one railway.environment.
func (r Railway) Generated() bool {
	return len(r.Environments) > 0 || r.EnvironmentPattern != ""
}

// Manages reports whether the spec manages the environment called env: it
// is railway.environment, one of railway.environments, or matches
// railway.environmentPattern.
func (r Railway) Manages(env string) bool {
	switch {
	case len(r.Environments) > 0:
		return slices.Contains(r.Environments, env)
	case r.EnvironmentPattern != "":
		ok, err := path.Match(r.EnvironmentPattern, env)
		return err == nil && ok // the pattern is valid in a parsed spec
	}
	return env != "" && env == r.Environment
}

// SelectEnvironments returns the environments among available (the
// project's environment names, as observed) that the spec manages: for
// railway.environments those present, in spec order; for a pattern the
// matches, sorted; for railway.environment itself when present. An
// environment that is gone is simply not returned: it stops being managed,
// and nothing is deleted.
func (r Railway) SelectEnvironments(available []string) []string {
	var out []string
	if len(r.Environments) > 0 {
		for _, env := range r.Environments {
			if slices.Contains(available, env) {
				out = append(out, env)
			}
		}
		return out
	}
	for _, env := range available {
		if r.Manages(env) && !slices.Contains(out, env) {
			out = append(out, env)
		}
	}
	slices.Sort(out)
	return out
}

// UnitName names the unit that manages one environment of a generator
// spec: "NAME/ENV" (as an ApplicationSet names its Applications).
func UnitName(name, env string) string { return name + "/" + env }

// ForEnvironment returns a copy of s that manages exactly env: its
// railway.environment is env and its generator fields are cleared, so the
// single-environment code paths apply unchanged. Its Hash is recomputed; its
// Name stays the spec's (see UnitName). The copy shares the consumers,
// maps and lists of s, which are read-only.
func (s *Spec) ForEnvironment(env string) *Spec {
	c := *s
	c.Railway.Environment = env
	c.Railway.Environments = nil
	c.Railway.EnvironmentPattern = ""
	c.Hash = hash(&c)
	return &c
}
