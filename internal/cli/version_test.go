package cli

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestBuildInfo(t *testing.T) {
	stamped := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/smartlic/reconciler", Version: "v0.0.0-20250102030405-0123456789ab+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2025-01-02T03:04:05Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	clean := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "fedcba"}, {Key: "vcs.modified", Value: "false"}, {Key: "vcs.time", Value: "2025-02-03T04:05:06Z"},
	}}
	tests := []struct {
		name                  string
		info                  *debug.BuildInfo
		version, commit, date string
		want                  BuildInfo
	}{
		{"VCS stamping, dirty", stamped, "dev", "unknown", "", BuildInfo{
			Version: "v0.0.0-20250102030405-0123456789ab+dirty", Commit: "0123456789abcdef0123456789abcdef01234567-dirty",
			Time: "2025-01-02T03:04:05Z", GoVersion: "go1.26.0"}},
		{"VCS stamping, clean, devel version", clean, "dev", "unknown", "", BuildInfo{
			Version: "dev", Commit: "fedcba", Time: "2025-02-03T04:05:06Z", GoVersion: "go1.26.0"}},
		{"-ldflags win", stamped, "v1.2.3", "abc1234", "2025-06-07T08:09:10Z", BuildInfo{
			Version: "v1.2.3", Commit: "abc1234", Time: "2025-06-07T08:09:10Z", GoVersion: "go1.26.0"}},
		{"empty -ldflags values are unset (a Docker build without build args)", clean, "", "", "", BuildInfo{
			Version: "dev", Commit: "fedcba", Time: "2025-02-03T04:05:06Z", GoVersion: "go1.26.0"}},
		{"nothing known", nil, "dev", "unknown", "", BuildInfo{
			Version: "dev", Commit: "unknown", Time: "unknown", GoVersion: runtime.Version()}},
	}
	for _, tt := range tests {
		if got := buildInfo(tt.info, tt.version, tt.commit, tt.date); got != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}

func TestVersionCommand(t *testing.T) {
	got := run(t, nil, "version")
	b := Build()
	want := "version: " + b.Version + "\ncommit: " + b.Commit + "\nbuilt: " + b.Time + "\ngo: " + b.GoVersion + "\n"
	if got.code != ExitOK || got.stdout != want || !strings.HasSuffix(got.stdout, "go: "+runtime.Version()+"\n") {
		t.Errorf("got %+v, want stdout %q", got, want)
	}
}
