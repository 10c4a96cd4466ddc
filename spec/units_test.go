package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// generator is the minimal spec turned into an environment generator.
func generator(t *testing.T, name, envLines string) *Spec {
	t.Helper()
	doc := strings.Replace(specNamed(name), "  environment: production\n", envLines, 1)
	s := mustParse(t, doc)
	s.State.Path = "/data/.reconciler/state.json"
	return s
}

func unitNames(units []Unit) []string {
	var out []string
	for _, u := range units {
		out = append(out, u.Name+"="+u.Env)
	}
	return out
}

func TestUnitsOfASingleSpec(t *testing.T) {
	s := mustParse(t, minimal)
	units := s.Units([]string{"staging"}) // not a generator: the list does not matter
	if len(units) != 1 || units[0].Name != "test" || units[0].Env != "production" || units[0].Spec != s {
		t.Errorf("units %+v, want the spec itself", units)
	}
}

// TestUnitsGenerated: an environment list and a pattern expand into one
// unit per environment present; one that disappears is just not listed,
// one that appears is.
func TestUnitsGenerated(t *testing.T) {
	list := generator(t, "shop", "  environments: [production, staging]\n")
	pattern := generator(t, "shop", "  environmentPattern: \"pr-*\"\n")
	hash := list.Hash
	for _, tc := range []struct {
		name      string
		s         *Spec
		available []string
		want      []string
	}{
		{"list, both present", list, []string{"staging", "pr-1", "production"}, []string{"shop/production=production", "shop/staging=staging"}},
		{"list, staging removed", list, []string{"production", "pr-1"}, []string{"shop/production=production"}},
		{"list, none yet", list, nil, nil},
		{"pattern", pattern, []string{"pr-2", "production", "pr-10", "pr-2"}, []string{"shop/pr-10=pr-10", "shop/pr-2=pr-2"}},
		{"pattern, pr-3 added, pr-10 removed", pattern, []string{"pr-2", "pr-3"}, []string{"shop/pr-2=pr-2", "shop/pr-3=pr-3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			units := tc.s.Units(tc.available)
			if got := unitNames(units); !slices.Equal(got, tc.want) {
				t.Errorf("units %v, want %v", got, tc.want)
			}
			for _, u := range units {
				r := u.Spec.Railway
				if r.Environment != u.Env || r.Generated() || u.Spec.Name != "shop" || u.Spec.File != tc.s.File {
					t.Errorf("unit %s: spec %+v, want a single-environment copy named shop", u.Name, r)
				}
			}
		})
	}
	if list.Hash != hash || !list.Railway.Generated() || list.Railway.Environment != "" {
		t.Error("Units modified the spec")
	}
}

func TestUnitsOf(t *testing.T) {
	a := generator(t, "a", "  environmentPattern: \"*\"\n")
	b := mustParse(t, specNamed("b"))
	c := generator(t, "c", "  environments: [x]\n")
	c.Railway.ProjectID = "other-project"
	envs := map[string][]string{"proj-123": {"production", "pr-1"}}
	got := unitNames(UnitsOf([]*Spec{c, b, a}, envs))
	want := []string{"a/pr-1=pr-1", "a/production=production", "b=production"}
	if !slices.Equal(got, want) {
		t.Errorf("UnitsOf = %v, want %v (c's project has no environments yet)", got, want)
	}
}

func TestFleetSpec(t *testing.T) {
	s := generator(t, "shop", "  environments: [production, pr-12]\n")
	units := s.Units([]string{"production", "pr-12"})
	seen := map[string]bool{}
	for _, u := range units {
		fs := u.FleetSpec()
		if fs.Name != u.Name || fs.Railway.Environment != u.Env || u.Spec.Name != "shop" {
			t.Errorf("%s: FleetSpec named %q in %q", u.Name, fs.Name, fs.Railway.Environment)
		}
		if want := filepath.Join("/data/.reconciler", StateFileName(u.Name)); fs.State.Path != want {
			t.Errorf("%s: state.path %q, want %q", u.Name, fs.State.Path, want)
		}
		if fs.Hash == u.Spec.Hash || seen[fs.Hash] {
			t.Errorf("%s: hash not recomputed or shared", u.Name)
		}
		seen[fs.Hash] = true
	}
	if got := units[1].Spec.UnitStatePath("shop/pr-12"); got != "/data/.reconciler/shop__pr-12.json" {
		t.Errorf("UnitStatePath = %q", got)
	}
	single := mustParse(t, minimal).Units(nil)[0]
	if fs := single.FleetSpec(); fs.Name != "test" || fs.State.Path != filepath.Join(".reconciler", "test.json") {
		t.Errorf("a single spec in a fleet: %q at %q", fs.Name, fs.State.Path)
	}
}

func TestStateFileName(t *testing.T) {
	for unit, want := range map[string]string{
		"smartlic":            "smartlic.json",
		"smartlic/pr-12":      "smartlic__pr-12.json",
		"smartlic--pr-12":     "smartlic--pr-12.json",
		"smartlic/Production": "smartlic___50roduction.json",
		"shop/feature_x":      "shop__feature_5fx.json",
		"shop/v1.2":           "shop__v1_2e2.json",
		"shop/..":             "shop___2e_2e.json",
		"shop/../../etc":      "shop___2e_2e___2e_2e__etc.json",
		"shop/a b":            "shop__a_20b.json",
		"shop/é":              "shop___c3_a9.json",
		"shop/\x00":           "shop___00.json",
		"shop/\xff":           "shop___ff.json",
		"state":               "state.json",
		"":                    "_.json",
	} {
		if got := StateFileName(unit); got != want {
			t.Errorf("StateFileName(%q) = %q, want %q", unit, got, want)
		}
	}
}

var safeFileName = regexp.MustCompile(`^[a-z0-9_~-]+\.json$`)

// TestStateFileNameNeverCollides: names that a naive mapping would fold
// together (separators, case, escapes written out, invalid UTF-8, long
// names with a common prefix) all get their own file.
func TestStateFileNameNeverCollides(t *testing.T) {
	long := strings.Repeat("x", 300)
	units := []string{
		"a/b", "a__b", "a_b", "a--b", "a-b", "a_2fb", "a%2fb", "a\\b", "a:b",
		"shop/Prod", "shop/prod", "shop/PROD", "shop/_50rod", "shop/_50", "shop/P",
		"shop/\xfe", "shop/\xff", "shop/\ufffd", "shop/é", "shop/e\u0301",
		".", "..", "_", "__", "/", "//", "", "_.json", "a.json",
		long, long + "y", long + "z", "a/" + long, "a/" + long[:1] + long,
		strings.Repeat("é", 100), strings.Repeat("é", 101),
	}
	for i := range 200 {
		units = append(units, fmt.Sprintf("shop/pr-%d", i), fmt.Sprintf("shop-pr/%d", i))
	}
	seen := map[string]string{}
	for _, u := range units {
		name := StateFileName(u)
		if prev, dup := seen[name]; dup {
			t.Errorf("%q and %q both map to %q", prev, u, name)
		}
		seen[name] = u
		if !safeFileName.MatchString(name) || len(name) > maxStateFileName {
			t.Errorf("StateFileName(%q) = %q (%d bytes): not a safe file name of at most %d bytes", u, name, len(name), maxStateFileName)
		}
		if back, ok := unitFromStateFileName(name); !strings.Contains(name, "~") && u != "" && (!ok || back != u) {
			t.Errorf("StateFileName(%q) = %q reads back as %q, %v", u, name, back, ok)
		}
	}
	if got := StateFileName(long); !strings.HasPrefix(got, strings.Repeat("x", 100)) || !strings.Contains(got, "~") {
		t.Errorf("a long name is %q: want its start, then ~ and a digest", got)
	}
}

func TestUnitFromStateFileNameRejects(t *testing.T) {
	for _, name := range []string{"", ".json", "a", "a.yaml", "A.json", "a_2F.json", "_61.json", "_2f.json", "a_.json", "a_6.json", "a~1.json", "a.b.json", "_zz.json"} {
		if u, ok := unitFromStateFileName(name); ok {
			t.Errorf("unitFromStateFileName(%q) = %q, true: StateFileName never returns it", name, u)
		}
	}
}

// FuzzStateFileName: any unit name maps to a safe file name of bounded
// length, which reads back as the name unless it was shortened.
func FuzzStateFileName(f *testing.F) {
	for _, seed := range []string{"smartlic/pr-12", "a__b", "shop/../x", "shop/\xff", strings.Repeat("é/", 120)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, unit string) {
		name := StateFileName(unit)
		if !safeFileName.MatchString(name) || len(name) > maxStateFileName {
			t.Fatalf("StateFileName(%q) = %q", unit, name)
		}
		if unit == "" || strings.Contains(name, "~") {
			return
		}
		if back, ok := unitFromStateFileName(name); !ok || back != unit {
			t.Fatalf("StateFileName(%q) = %q reads back as %q, %v", unit, name, back, ok)
		}
	})
}

// FuzzUnitFromStateFileName: whatever file name reads back as a unit is
// exactly that unit's file name (one file per unit, one unit per file).
func FuzzUnitFromStateFileName(f *testing.F) {
	for _, seed := range []string{"smartlic__pr-12.json", "_41.json", "a___2f.json", "x~y.json"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		unit, ok := unitFromStateFileName(name)
		if ok && StateFileName(unit) != name {
			t.Fatalf("%q reads as %q, whose file is %q", name, unit, StateFileName(unit))
		}
	})
}

// TestStateFileNamesInDocs checks the examples of docs/spec.md's state file
// table against StateFileName.
func TestStateFileNamesInDocs(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "spec.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `([^`]+)` \\| `([^`]+\\.json)` \\|$").FindAllStringSubmatch(string(doc), -1)
	if len(rows) < 4 {
		t.Fatalf("docs/spec.md: %d rows in the state file table, want its examples", len(rows))
	}
	for _, r := range rows {
		if got := StateFileName(r[1]); got != r[2] {
			t.Errorf("docs/spec.md says unit %q is %q; StateFileName gives %q", r[1], r[2], got)
		}
	}
}
