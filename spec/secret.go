package spec

import (
	"fmt"
	"io"
)

// Masked is what a Secret prints as, whatever the verb or encoder.
const Masked = "***"

// Secret holds a value that must never be printed, logged, stored or reported:
// a Redis URL with its password, a webhook URL. Its String, Format, GoString,
// MarshalJSON, MarshalText and MarshalYAML all yield Masked (or "" when the
// secret is empty); Value is the only way to read it.
type Secret struct {
	value string
}

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{value: s} }

// Value returns the secret itself. Call it only where the value is used
// (dialing Redis, posting to a webhook), never where it is displayed.
func (s Secret) Value() string { return s.value }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

// String returns Masked, or "" for an empty secret.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return Masked
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return fmt.Sprintf("spec.Secret(%q)", s.String()) }

// Format keeps every fmt verb (%v, %+v, %s, %q, %x, ...) from printing the value.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", s.String())
	case 'v':
		if f.Flag('#') {
			_, _ = io.WriteString(f, s.GoString())
			return
		}
		_, _ = io.WriteString(f, s.String())
	default:
		_, _ = io.WriteString(f, s.String())
	}
}

// MarshalJSON encodes the masked form.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf("%q", s.String())), nil }

// MarshalText encodes the masked form (zap, encoding/xml, map keys).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalYAML encodes the masked form.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }
