package controller

import (
	"errors"
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/spec"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func TestGridFiresOnItsGrid(t *testing.T) {
	g := grid{anchor: t0, d: 200 * time.Millisecond}
	tests := []struct {
		at   time.Duration // after t0
		want time.Duration
	}{
		{-time.Second, 0},
		{0, 200 * time.Millisecond},
		{time.Millisecond, 200 * time.Millisecond},
		{199 * time.Millisecond, 200 * time.Millisecond},
		{200 * time.Millisecond, 400 * time.Millisecond},
		{203 * time.Millisecond, 400 * time.Millisecond}, // a late timer does not shift the grid
		{10*time.Second + 50*time.Millisecond, 10*time.Second + 200*time.Millisecond},
	}
	for _, tt := range tests {
		if got := g.Next(t0.Add(tt.at)); !got.Equal(t0.Add(tt.want)) {
			t.Errorf("Next(t0%+v) = t0%+v, want t0%+v", tt.at, got.Sub(t0), tt.want)
		}
	}
}

func TestJitterStaysWithinTenPercent(t *testing.T) {
	for _, r := range []float64{0, 0.25, 0.5, 0.999999} {
		j := &jittered{base: grid{anchor: t0, d: time.Minute}, frac: jitterFraction, rand: func() float64 { return r }}
		got := j.Next(t0).Sub(t0)
		want := time.Minute + time.Duration((2*r-1)*0.1*float64(time.Minute))
		if got != want {
			t.Errorf("rand %v: first run after %s, want %s", r, got, want)
		}
	}
}

// An early run (negative jitter) must not fire twice for one activation,
// and runs average one period apart.
func TestJitterNeverFiresTwicePerActivation(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	j := &jittered{base: grid{anchor: t0, d: time.Minute}, frac: jitterFraction, rand: rng.Float64}
	at := t0
	const n = 1000
	for i := range n {
		next := j.Next(at)
		gap := next.Sub(at)
		if gap < 48*time.Second || gap > 72*time.Second {
			t.Fatalf("run %d: gap %s outside 1m ± 2×10%%", i, gap)
		}
		at = next
	}
	if avg := at.Sub(t0) / n; avg < 59*time.Second || avg > 61*time.Second {
		t.Errorf("average gap %s, want about 1m", avg)
	}
}

func TestJitterOnACronExpression(t *testing.T) {
	c, err := spec.ParseCron("*/10 * * * *")
	if err != nil {
		t.Fatal(err)
	}
	j := &jittered{base: scheduleOf(c, t0), frac: jitterFraction, rand: func() float64 { return 0 }}
	first := j.Next(t0)
	if want := t0.Add(9 * time.Minute); !first.Equal(want) {
		t.Errorf("first = %s, want %s (10m − 10%%)", first, want)
	}
	// Fired a minute early: the next one is the following activation.
	if second, want := j.Next(first), t0.Add(19*time.Minute); !second.Equal(want) {
		t.Errorf("second = %s, want %s", second, want)
	}
}

func TestScheduleOf(t *testing.T) {
	every, _ := spec.ParseCron("@every 5s")
	if g, ok := scheduleOf(every, t0).(grid); !ok || g.d != 5*time.Second {
		t.Errorf("@every 5s → %#v, want a 5s grid", scheduleOf(every, t0))
	}
	daily, _ := spec.ParseCron("0 9 * * *")
	if got := scheduleOf(daily, t0); got != daily.Schedule {
		t.Errorf("0 9 * * * → %#v, want the parsed schedule", got)
	}
	if p := period(daily, t0); p != 24*time.Hour {
		t.Errorf("period(0 9 * * *) = %s", p)
	}
}

func TestListenAddr(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	withListen := &spec.Spec{Server: spec.Server{Listen: "127.0.0.1:9000"}}
	tests := []struct {
		name, flag string
		sp         *spec.Spec
		env        func(string) (string, bool)
		want       string
	}{
		{"flag wins", ":7000", withListen, env("PORT", "3000"), ":7000"},
		{"spec next", "", withListen, env("PORT", "3000"), "127.0.0.1:9000"},
		{"PORT next", "", &spec.Spec{}, env("PORT", "3000"), ":3000"},
		{"empty PORT ignored", "", &spec.Spec{}, env("PORT", ""), ":8080"},
		{"default", "", &spec.Spec{}, env(), ":8080"},
	}
	for _, tt := range tests {
		if got := ListenAddr(tt.flag, tt.sp, tt.env); got != tt.want {
			t.Errorf("%s: ListenAddr = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestProblemLinesKeepPositions(t *testing.T) {
	_, err := spec.Parse("desired.yaml", []byte("version: 1\nname: Bad_Name\n"), func(string) (string, bool) { return "", false })
	lines := problemLines(err)
	if len(lines) < 2 {
		t.Fatalf("problemLines = %q, want one line per problem", lines)
	}
	if lines[0][:len("desired.yaml:")] != "desired.yaml:" {
		t.Errorf("first line %q does not start with the file", lines[0])
	}
	if got := problemLines(errors.New("boom")); len(got) != 1 || got[0] != "boom" {
		t.Errorf("problemLines(plain) = %q", got)
	}
}

// reschedule replaces the cron entry of a changed schedule, and only it.
func TestRescheduleReplacesTheChangedEntry(t *testing.T) {
	mustCron := func(expr string) spec.Cron {
		c, err := spec.ParseCron(expr)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	old := &spec.Spec{Schedule: spec.Schedule{
		Reconcile: mustCron("@every 1m"), Probe: mustCron("@every 5s"), Report: mustCron("0 9 * * *"),
	}}
	c := &Controller{log: zap.NewNop(), opts: Options{Rand: func() float64 { return 0.5 }}}
	u := &unit{log: zap.NewNop()}
	tm := &term{anchor: t0, cron: cron.New(), entries: map[string]cron.EntryID{}, jobs: map[string]cron.Job{}}
	for _, name := range []string{jobReconcile, jobProbe, jobReport} {
		tm.jobs[name] = cron.FuncJob(func() {})
		tm.entries[name] = tm.cron.Schedule(c.scheduleFor(tm, u, name, old), tm.jobs[name])
	}
	before := maps.Clone(tm.entries)
	sp := *old
	sp.Schedule.Probe = mustCron("@every 10s")
	c.reschedule(tm, u, old, &sp)

	if n := len(tm.cron.Entries()); n != 3 {
		t.Fatalf("%d cron entries after a reschedule, want 3", n)
	}
	if g, ok := tm.cron.Entry(tm.entries[jobProbe]).Schedule.(grid); !ok || g.d != 10*time.Second {
		t.Errorf("probe entry schedule = %#v, want a 10s grid", tm.cron.Entry(tm.entries[jobProbe]).Schedule)
	}
	for _, name := range []string{jobReconcile, jobReport} {
		if tm.entries[name] != before[name] {
			t.Errorf("%s entry replaced though its schedule did not change", name)
		}
	}
}

// A stretched schedule runs at the effective interval, a cron expression
// too (its fixed times would overspend the budget); unstretched, it is the
// spec's own.
func TestStretchedSchedule(t *testing.T) {
	for _, expr := range []string{"@every 30s", "*/1 * * * *"} {
		c, err := spec.ParseCron(expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := stretched(c, 0); got.Expr != expr {
			t.Errorf("stretched(%q, 0) = %q, want it unchanged", expr, got.Expr)
		}
		got := stretched(c, 90*time.Second)
		if got.Every != 90*time.Second || got.Expr != "@every 1m30s" {
			t.Errorf("stretched(%q, 90s) = %q every %s, want @every 1m30s", expr, got.Expr, got.Every)
		}
		if p := period(got, t0); p != 90*time.Second {
			t.Errorf("period of stretched %q = %s", expr, p)
		}
	}
}
