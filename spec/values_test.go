package spec

import (
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		err  bool
	}{
		{in: "0", want: 0},
		{in: "1024", want: 1024},
		{in: "256MiB", want: 256 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "512MB", want: 512e6},
		{in: "10 kb", want: 10e3},
		{in: "2TiB", want: 2 << 40},
		{in: "1.5GiB", err: true},
		{in: "-1", err: true},
		{in: "MiB", err: true},
		{in: "9223372036854775807KiB", err: true},
		{in: "99999999999999999999", err: true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, err %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	for s, want := range map[Size]string{0: "0", 256 << 20: "256MiB", 1 << 30: "1GiB", 512e6: "512MB", 1536: "1536", 2048: "2KiB", 3000: "3kB"} {
		if got := s.String(); got != want {
			t.Errorf("Size(%d).String() = %q, want %q", s, got, want)
		}
	}
}

func TestParseCron(t *testing.T) {
	tests := []struct {
		expr  string
		every time.Duration
		err   string
	}{
		{expr: "@every 30s", every: 30 * time.Second},
		{expr: "@every 1m30s", every: 90 * time.Second},
		{expr: "@hourly"},
		{expr: "@daily"},
		{expr: "0 9 * * *"},
		{expr: "*/15 9-17 * * MON-FRI"},
		{expr: "CRON_TZ=UTC 0 9 * * *"},
		{expr: "0 25 * * *", err: `invalid cron expression "0 25 * * *": hour out of range`},
		{expr: "60 * * * *", err: `invalid cron expression "60 * * * *": minute out of range`},
		{expr: "0 0 0 * *", err: `invalid cron expression "0 0 0 * *": day of month out of range`},
		{expr: "0 0 * 13 *", err: `invalid cron expression "0 0 * 13 *": month out of range`},
		{expr: "0 0 * * 8", err: `invalid cron expression "0 0 * * 8": day of week out of range`},
		{expr: "5-3 * * * *", err: `invalid cron expression "5-3 * * * *": minute range "5-3" runs backwards`},
		{expr: "*/0 * * * *", err: `invalid cron expression "*/0 * * * *": minute step must be a whole number of at least 1, got "0"`},
		{expr: "x * * * *", err: `invalid cron expression "x * * * *": invalid minute "x"`},
		{expr: "* * * *", err: `invalid cron expression "* * * *": expected 5 fields (minute hour day-of-month month day-of-week), found 4`},
		{expr: "0 0 * * * *", err: `invalid cron expression "0 0 * * * *": expected 5 fields (minute hour day-of-month month day-of-week), found 6`},
		{expr: "@every 0s", err: `invalid cron expression "@every 0s": @every interval must be at least 1s, got 0s`},
		{expr: "@every 1500ms", err: `invalid cron expression "@every 1500ms": @every interval must be a whole number of seconds, got 1.5s`},
		{expr: "@every soon", err: `invalid cron expression "@every soon": invalid @every interval "soon": use a Go duration such as 30s`},
		{expr: "@weekdays", err: `invalid cron expression "@weekdays": unknown descriptor "@weekdays": use @yearly, @monthly, @weekly, @daily, @hourly or @every DURATION`},
		{expr: "TZ=UTC", err: `invalid cron expression "TZ=UTC": empty schedule`},
		{expr: "TZ=Nowhere/Atlantis 0 9 * * *", err: `invalid cron expression "TZ=Nowhere/Atlantis 0 9 * * *": unknown time zone "Nowhere/Atlantis"`},
		{expr: "", err: `invalid cron expression "": empty schedule`},
	}
	for _, tt := range tests {
		c, err := ParseCron(tt.expr)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseCron(%q) error = %v, want %q", tt.expr, err, tt.err)
			}
			continue
		}
		if err != nil || c.Expr != tt.expr || c.Every != tt.every || c.Schedule == nil {
			t.Errorf("ParseCron(%q) = %+v, %v", tt.expr, c, err)
		}
	}
}

func TestMinGap(t *testing.T) {
	tests := []struct {
		expr string
		want time.Duration
		ok   bool
	}{
		{"@every 5s", 5 * time.Second, true},
		{"* * * * *", time.Minute, true},
		{"*/7 * * * *", 4 * time.Minute, true}, // :56 to :00
		{"0 9,17 * * *", 8 * time.Hour, true},
		{"@hourly", time.Hour, true},
		{"0 0 1 1 *", 365 * 24 * time.Hour, true},
		{"0 0 30 2 *", 0, false},
	}
	for _, tt := range tests {
		c, err := ParseCron(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := minGap(c, gapReference); got != tt.want || ok != tt.ok {
			t.Errorf("minGap(%q) = %v, %v; want %v, %v", tt.expr, got, ok, tt.want, tt.ok)
		}
	}
}
