package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// enumValue is a string flag restricted to a fixed set of values, so that a
// bad value fails at parsing with the usage line.
type enumValue struct {
	value   string
	allowed []string
}

func newEnum(def string, allowed ...string) *enumValue {
	return &enumValue{value: def, allowed: allowed}
}

func (e *enumValue) String() string { return e.value }

func (e *enumValue) Set(v string) error {
	if !slices.Contains(e.allowed, v) {
		return fmt.Errorf("must be %s", strings.Join(e.allowed, " or "))
	}
	e.value = v
	return nil
}

func (e *enumValue) Type() string { return strings.Join(e.allowed, "|") }

// positive checks a duration flag: zero or less is a usage error.
func positive(cmd *cobra.Command, name string, d time.Duration) error {
	if d <= 0 {
		return &usageError{cmd: cmd, err: fmt.Errorf("%s must be positive, e.g. 30s or 2m", name)}
	}
	return nil
}
