package spec

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Unit is one managed unit of a spec: one Redis addon in one environment.
// A spec with railway.environment is one unit named like the spec; a
// generator (railway.environments or railway.environmentPattern) is one
// unit per environment it matches, named NAME/ENV (UnitName).
type Unit struct {
	// Name is the unit's name: the spec's name, or NAME/ENV. Unique in a
	// set whose spec names are (a spec name never holds "/").
	Name string
	// Env is the environment the unit manages (railway.environment for a
	// spec that is not a generator: a name or an id).
	Env string
	// Spec is the unit's single-environment spec: the spec itself, or
	// ForEnvironment(Env), whose Name is still the spec's (see FleetSpec).
	Spec *Spec
}

// Units returns the units of s given the environment names its project has
// now (available; ignored unless s is a generator), in the order of
// Railway.SelectEnvironments. It is pure: an environment that disappeared
// is just not listed any more (its unit stops being managed; nothing is
// ever deleted), and a new one is listed as soon as it is available.
func (s *Spec) Units(available []string) []Unit {
	if !s.Railway.Generated() {
		return []Unit{{Name: s.Name, Env: s.Railway.Environment, Spec: s}}
	}
	envs := s.Railway.SelectEnvironments(available)
	out := make([]Unit, 0, len(envs))
	for _, env := range envs {
		out = append(out, Unit{Name: UnitName(s.Name, env), Env: env, Spec: s.ForEnvironment(env)})
	}
	return out
}

// UnitsOf returns the units of every spec, sorted by name, given each
// generator project's environment names (keyed by railway.projectId; a
// project missing from the map has no environments yet).
func UnitsOf(specs []*Spec, environments map[string][]string) []Unit {
	var out []Unit
	for _, s := range specs {
		out = append(out, s.Units(environments[s.Railway.ProjectID])...)
	}
	slices.SortStableFunc(out, func(a, b Unit) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// FleetSpec returns the unit's spec as a fleet runs it: a copy of Spec
// whose Name is the unit's name (so that logs, reports, notifications and
// the state name the unit) and whose state.path is the unit's own state
// file (UnitStatePath). Its Hash is recomputed.
func (u Unit) FleetSpec() *Spec {
	c := *u.Spec
	c.Name = u.Name
	c.State.Path = u.Spec.UnitStatePath(u.Name)
	c.Hash = hash(&c)
	return &c
}

// UnitStatePath is where a fleet keeps the state of unit with the file
// backend: StateFileName(unit) in the directory of s's state.path (with the
// default, .reconciler/ beside the spec file). Every unit of a fleet has its
// own file there; a single spec run alone keeps state.path itself.
func (s *Spec) UnitStatePath(unit string) string {
	return filepath.Join(filepath.Dir(s.State.Path), StateFileName(unit))
}

// maxStateFileName bounds StateFileName's result in bytes, leaving room
// under the usual 255-byte limit for the names the state store derives
// from it (".NAME.tmp-123456789", "NAME.lock",
// "NAME.corrupt-20261125T090000Z-2").
const maxStateFileName = 200

// stateFileHashLen is the number of hex digits of the digest that ends a
// shortened name (128 bits).
const stateFileHashLen = 32

// StateFileName maps a unit name to the name of its state file: readable,
// safe on any file system, and never the same for two names. Lower-case
// letters, digits and "-" are kept; "/" becomes "__"; every other byte
// (upper case, ".", "_", spaces, non-ASCII) becomes "_" and two hex digits.
// So "smartlic/pr-12" is "smartlic__pr-12.json" and "Prod" is
// "_50rod.json": no path separator, no leading dot, no two names that
// differ only in case. A name that would pass 200 bytes is cut and ends
// with "~" and 32 hex digits of its SHA-256 instead ("~" appears in no
// other name). The empty name is "_.json".
func StateFileName(unit string) string {
	const ext = ".json"
	if unit == "" {
		return "_" + ext
	}
	var b strings.Builder
	for i := 0; i < len(unit); i++ {
		b.WriteString(escapeByte(unit[i]))
	}
	if b.Len()+len(ext) <= maxStateFileName {
		return b.String() + ext
	}
	sum := sha256.Sum256([]byte(unit))
	tail := "~" + hex.EncodeToString(sum[:])[:stateFileHashLen] + ext
	var short strings.Builder
	for i := 0; i < len(unit); i++ {
		e := escapeByte(unit[i])
		if short.Len()+len(e)+len(tail) > maxStateFileName {
			break
		}
		short.WriteString(e)
	}
	return short.String() + tail
}

// escapeByte is StateFileName's encoding of one byte.
func escapeByte(c byte) string {
	const digits = "0123456789abcdef"
	switch {
	case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
		return string(c)
	case c == '/':
		return "__"
	}
	return string([]byte{'_', digits[c>>4], digits[c&0xf]})
}

// unitFromStateFileName inverts StateFileName for a name it did not
// shorten; false for anything else (a shortened name, a name StateFileName
// never returns).
func unitFromStateFileName(name string) (string, bool) {
	enc, ok := strings.CutSuffix(name, ".json")
	if !ok || enc == "" || strings.Contains(enc, "~") {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		switch {
		case c != '_':
			if escapeByte(c) != string(c) {
				return "", false
			}
			b.WriteByte(c)
		case i+1 < len(enc) && enc[i+1] == '_':
			b.WriteByte('/')
			i++
		case i+2 < len(enc):
			v, err := hex.DecodeString(enc[i+1 : i+3])
			if err != nil || escapeByte(v[0]) != enc[i:i+3] { // only the canonical form
				return "", false
			}
			b.WriteByte(v[0])
			i += 2
		default:
			return "", false
		}
	}
	return b.String(), true
}

// UnitsInStateDir returns the units of the generator spec s whose state
// files are in dir (the file backend's state directory of a fleet), sorted:
// how a command that reads no Railway finds a generator's units.
func (s *Spec) UnitsInStateDir(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	prefix := strings.TrimSuffix(StateFileName(s.Name+"/"), ".json")
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || e.IsDir() {
			continue
		}
		if unit, ok := unitFromStateFileName(e.Name()); ok && strings.HasPrefix(unit, s.Name+"/") {
			out = append(out, unit)
		}
	}
	slices.Sort(out)
	return out
}
