package reconcile

import (
	"slices"
	"testing"

	"github.com/smartlic/reconciler/addon"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
)

// While a creation is in flight, the new service is this unit's only when
// nothing else could have made it: the spec's name wins; a sole new addon
// service is taken only when no other unit of the controller may be
// creating in the environment; a sibling's name is never taken; several
// candidates are never guessed between.
func TestCreatedAddonNeverTakesASiblingsService(t *testing.T) {
	redis := func(id, name string) railway.ServiceInstance {
		return railway.ServiceInstance{ServiceID: id, ServiceName: name, Image: "redis:8"}
	}
	backend := railway.ServiceInstance{ServiceID: "b", ServiceName: "backend", Image: ""}
	before := []string{"b", "old"}
	cases := []struct {
		name      string
		instances []railway.ServiceInstance
		siblings  []string
		want      string // the service id taken, "" for none
	}{
		{"named as the spec", []railway.ServiceInstance{backend, redis("x", "Redis-2"), redis("r", "Redis-1")}, []string{"Redis-2"}, "r"},
		{"sole, renamed, alone", []railway.ServiceInstance{backend, redis("x", "Redis-abcd")}, nil, "x"},
		{"sole, a sibling's name", []railway.ServiceInstance{backend, redis("x", "Redis-2")}, []string{"Redis-2"}, ""},
		{"sole, renamed, a sibling may be creating", []railway.ServiceInstance{backend, redis("x", "Redis-abcd")}, []string{"Redis-2"}, ""},
		{"sole, renamed, every sibling's addon was there before",
			[]railway.ServiceInstance{backend, redis("old", "Redis-2"), redis("x", "Redis-abcd")}, []string{"Redis-2"}, "x"},
		{"two renamed, alone", []railway.ServiceInstance{backend, redis("x", "Redis-a"), redis("y", "Redis-b")}, nil, ""},
		{"not the addon's image", []railway.ServiceInstance{backend, {ServiceID: "x", ServiceName: "worker", Image: "python:3"}}, nil, ""},
	}
	sp := &spec.Spec{Addon: spec.Addon{Service: "Redis-1"}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			siblings := slices.Clone(tc.siblings)
			r := &Reconciler{opts: Options{Addon: addon.Redis, Siblings: func() []string { return siblings }}}
			got, ok := r.createdAddon(sp, before, &railway.Observation{Instances: tc.instances})
			if id := map[bool]string{true: got.ServiceID}[ok]; id != tc.want {
				t.Errorf("took %q, want %q", id, tc.want)
			}
			if !slices.Equal(siblings, tc.siblings) {
				t.Errorf("the siblings' list was modified: %q", siblings)
			}
		})
	}
}
