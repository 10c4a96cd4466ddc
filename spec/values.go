package spec

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// str decodes a string field into dst; it reports whether one was written.
// Any scalar is accepted as its text (so "port: 6379" is the string "6379").
func (d *decoder) str(dst *string, n *yaml.Node, path string) bool {
	v, ok := d.scalar(n, path, "a string")
	if ok {
		*dst = v
	}
	return ok
}

// integer decodes a whole number.
func (d *decoder) integer(dst *int, n *yaml.Node, path string) bool {
	v, ok := d.scalar(n, path, "an integer")
	if !ok {
		return false
	}
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		d.errorf(n, path, "expected an integer, got %q", v)
		return false
	}
	*dst = i
	return true
}

// boolean decodes true or false (in any case); yes/no/on/off are rejected
// rather than guessed.
func (d *decoder) boolean(dst *bool, n *yaml.Node, path string) bool {
	v, ok := d.scalar(n, path, "true or false")
	if !ok {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		d.errorf(n, path, "expected true or false, got %q", v)
		return false
	}
	return true
}

// number decodes a finite number.
func (d *decoder) number(n *yaml.Node, path string) (float64, bool) {
	v, ok := d.scalar(n, path, "a number")
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		d.errorf(n, path, "expected a number, got %q", v)
		return 0, false
	}
	return f, true
}

// duration decodes a Go duration ("5s", "2m", "1h30m").
func (d *decoder) duration(dst *time.Duration, n *yaml.Node, path string) bool {
	v, ok := d.scalar(n, path, "a duration")
	if !ok {
		return false
	}
	dur, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		d.errorf(n, path, "expected a duration such as 5s or 2m, got %q", v)
		return false
	}
	*dst = dur
	return true
}

// size decodes a Size.
func (d *decoder) size(dst *Size, n *yaml.Node, path string) bool {
	v, ok := d.scalar(n, path, "a size")
	if !ok {
		return false
	}
	sz, err := ParseSize(v)
	if err != nil {
		d.errorf(n, path, "%s", err)
		return false
	}
	*dst = sz
	return true
}

// cronExpr decodes a cron expression.
func (d *decoder) cronExpr(dst *Cron, n *yaml.Node, path string) bool {
	v, ok := d.scalar(n, path, "a cron expression")
	if !ok {
		return false
	}
	c, err := ParseCron(v)
	if err != nil {
		d.errorf(n, path, "%s", err)
		return false
	}
	*dst = c
	return true
}

var sizePattern = regexp.MustCompile(`^([0-9]+)\s*([A-Za-z]*)$`)

// sizeUnits are the accepted suffixes, lower-cased: decimal (kB, MB, GB, TB)
// and binary (KiB, MiB, GiB, TiB).
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// ParseSize parses a size: a whole number of bytes ("1048576", "0") or a whole
// number with a unit: B, kB/KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB,
// TiB (powers of 1024). Units are case-insensitive.
func ParseSize(s string) (Size, error) {
	m := sizePattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("expected a size such as 256MiB, 1GiB, 512MB or a number of bytes, got %q", s)
	}
	unit, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("unknown size unit %q: use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB", m[2])
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > math.MaxInt64/unit {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return Size(n * unit), nil
}

// String formats the size with the unit that writes it as the smallest
// whole number ("256MiB", "1GiB", "512MB"), else as bytes ("1536").
func (s Size) String() string {
	units := []struct {
		name string
		n    Size
	}{{"TiB", 1 << 40}, {"TB", 1e12}, {"GiB", 1 << 30}, {"GB", 1e9}, {"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"kB", 1e3}}
	for _, u := range units {
		if s != 0 && s%u.n == 0 {
			return strconv.FormatInt(int64(s/u.n), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(s), 10)
}
