package controller

import (
	"runtime"
	"testing"

	"github.com/smartlic/reconciler/spec"
)

// TestBuildInfoMetric checks reconciler_build_info{version,commit,goversion}
// = 1, wired from Options by New.
func TestBuildInfoMetric(t *testing.T) {
	doc := "version: 1\nname: smartlic-test\nrailway: {projectId: p, environment: production}\naddon: {service: Redis}\n" +
		"consumers:\n  - service: backend\n    variables: {REDIS_URL: '${{Redis.REDIS_URL}}'}\n"
	sp, err := spec.Parse("desired.yaml", []byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Spec: sp, Version: "v1.2.3", Commit: "abc1234-dirty"})
	if err != nil {
		t.Fatal(err)
	}
	fams, err := c.m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"name": "smartlic-test", "version": "v1.2.3", "commit": "abc1234-dirty", "goversion": runtime.Version()}
	for _, f := range fams {
		if f.GetName() != "reconciler_build_info" {
			continue
		}
		if len(f.GetMetric()) != 1 || f.GetMetric()[0].GetGauge().GetValue() != 1 {
			t.Fatalf("reconciler_build_info = %v, want one series = 1", f.GetMetric())
		}
		got := map[string]string{}
		for _, l := range f.GetMetric()[0].GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) != len(want) {
			t.Errorf("labels = %v, want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("label %s = %q, want %q", k, got[k], v)
			}
		}
		return
	}
	t.Fatal("reconciler_build_info is not exported")
}
