package spec

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronFields names the five standard fields and their bounds, in order.
var cronFields = []struct {
	name     string
	min, max int
	names    []string // symbolic values, index = value - min
}{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{name: "day of week", min: 0, max: 6, names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// ParseCron parses a standard five-field cron expression ("0 9 * * *") or a
// descriptor (@yearly, @annually, @monthly, @weekly, @daily, @midnight,
// @hourly, "@every 30s"), optionally prefixed with "CRON_TZ=Zone " (robfig/cron
// ParseStandard). An @every interval must be a whole number of seconds, at
// least 1s. The error reads `invalid cron expression "0 25 * * *": hour out of
// range`.
func ParseCron(expr string) (Cron, error) {
	sched, err := parseStandard(expr)
	if err == nil {
		err = checkEvery(expr)
	}
	if err != nil {
		return Cron{}, fmt.Errorf("invalid cron expression %q: %w", expr, err)
	}
	c := Cron{Expr: expr, Schedule: sched}
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		c.Every = every.Delay
	}
	return c, nil
}

// parseStandard calls cron.ParseStandard, turning its messages into ours and
// its panics (it slices out of range on "TZ=UTC" without a schedule) into
// errors.
func parseStandard(expr string) (sched cron.Schedule, err error) {
	body := stripZone(expr)
	if strings.TrimSpace(body) == "" {
		return nil, errors.New("empty schedule")
	}
	defer func() {
		if recover() != nil {
			sched, err = nil, errors.New("malformed expression")
		}
	}()
	sched, err = cron.ParseStandard(expr)
	if err != nil {
		return nil, cronReason(expr)
	}
	return sched, nil
}

// stripZone removes a leading "TZ=Zone " or "CRON_TZ=Zone ".
func stripZone(expr string) string {
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		_, rest, ok := strings.Cut(expr, " ")
		if !ok {
			return ""
		}
		return strings.TrimSpace(rest)
	}
	return expr
}

// checkEvery enforces whole seconds of at least 1s on @every, which robfig
// would otherwise round silently.
func checkEvery(expr string) error {
	raw, ok := strings.CutPrefix(stripZone(expr), "@every ")
	if !ok {
		return nil
	}
	d, err := time.ParseDuration(raw)
	switch {
	case err != nil:
		return fmt.Errorf("invalid @every interval %q", raw)
	case d < time.Second:
		return fmt.Errorf("@every interval must be at least 1s, got %s", d)
	case d%time.Second != 0:
		return fmt.Errorf("@every interval must be a whole number of seconds, got %s", d)
	}
	return nil
}

// cronReason explains why robfig rejected expr, naming the faulty part. It
// re-checks the expression itself rather than reading robfig's messages.
func cronReason(expr string) error {
	body := stripZone(expr)
	if body != expr {
		zone, _, _ := strings.Cut(expr[strings.IndexByte(expr, '=')+1:], " ")
		if _, err := time.LoadLocation(zone); err != nil {
			return fmt.Errorf("unknown time zone %q", zone)
		}
	}
	if strings.HasPrefix(body, "@") {
		if raw, ok := strings.CutPrefix(body, "@every "); ok {
			return fmt.Errorf("invalid @every interval %q: use a Go duration such as 30s", raw)
		}
		return fmt.Errorf("unknown descriptor %q: use @yearly, @monthly, @weekly, @daily, @hourly or @every DURATION", body)
	}
	fields := strings.Fields(body)
	if len(fields) != len(cronFields) {
		return fmt.Errorf("expected 5 fields (minute hour day-of-month month day-of-week), found %d", len(fields))
	}
	for i, f := range fields {
		if err := checkCronField(i, f); err != nil {
			return err
		}
	}
	return errors.New("malformed expression")
}

// checkCronField validates one field: comma-separated "*", "?", "N", "A-B",
// each optionally followed by "/STEP".
func checkCronField(i int, field string) error {
	spec := cronFields[i]
	for part := range strings.SplitSeq(field, ",") {
		rng, step, hasStep := strings.Cut(part, "/")
		if hasStep {
			if n, err := strconv.Atoi(step); err != nil || n < 1 {
				return fmt.Errorf("%s step must be a whole number of at least 1, got %q", spec.name, step)
			}
		}
		if rng == "*" || rng == "?" {
			continue
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		if !isRange {
			hi = lo
		}
		a, errA := cronValue(i, lo)
		b, errB := cronValue(i, hi)
		switch {
		case errA != nil:
			return errA
		case errB != nil:
			return errB
		case a < spec.min || b > spec.max || a > spec.max || b < spec.min:
			return fmt.Errorf("%s out of range", spec.name)
		case a > b:
			return fmt.Errorf("%s range %q runs backwards", spec.name, rng)
		}
	}
	return nil
}

// cronValue parses a number or a symbolic name (jan, mon) of field i.
func cronValue(i int, s string) (int, error) {
	spec := cronFields[i]
	if n, err := strconv.Atoi(s); err == nil {
		return n, nil
	}
	for j, name := range spec.names {
		if strings.EqualFold(name, s) {
			return spec.min + j, nil
		}
	}
	return 0, fmt.Errorf("invalid %s %q", spec.name, s)
}

// maxGapSteps bounds how many activations minGap inspects.
const maxGapSteps = 500

// minGap returns the shortest time between consecutive activations of c,
// found by stepping Next from start at most maxGapSteps times within a year
// (a schedule that fires at most once in that year counts as a year apart),
// and false when the schedule never fires (robfig looks five years ahead).
func minGap(c Cron, start time.Time) (time.Duration, bool) {
	if c.Every > 0 {
		return c.Every, true
	}
	if c.Schedule == nil {
		return 0, false
	}
	prev := c.Schedule.Next(start)
	if prev.IsZero() {
		return 0, false
	}
	horizon := start.AddDate(1, 0, 0)
	gap := horizon.Sub(start)
	for range maxGapSteps {
		next := c.Schedule.Next(prev)
		if next.IsZero() || next.After(horizon) {
			break
		}
		gap = min(gap, next.Sub(prev))
		prev = next
	}
	return gap, true
}

// String returns the expression as written.
func (c Cron) String() string { return c.Expr }

// MarshalText encodes the expression as written (JSON, YAML, zap).
func (c Cron) MarshalText() ([]byte, error) { return []byte(c.Expr), nil }
