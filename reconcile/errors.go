package reconcile

import (
	"errors"
	"fmt"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/state"
)

// PermanentError is a failure that retrying cannot fix: the spec, the
// credentials or the project must change. The pass stops at it and the
// condition Ready=False carries its reason; `apply` gives up at once, while
// `run` tries again at its reconcile interval (one request each), so that a
// fix made in Railway is picked up without a restart.
type PermanentError struct {
	Reason string
	Err    error
}

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Class says what the loop should do after an error.
type Class int

// Error classes.
const (
	// ClassNone: no error.
	ClassNone Class = iota
	// ClassTransient: retry with backoff (network, 5xx, 429, budget).
	ClassTransient
	// ClassPermanent: stop and say why (bad spec, auth, not found).
	ClassPermanent
)

// Classify maps an error from a pass to what the loop should do next.
func Classify(err error) Class {
	var pe *PermanentError
	switch {
	case err == nil:
		return ClassNone
	case errors.As(err, &pe), railway.IsPermanent(err):
		return ClassPermanent
	}
	return ClassTransient
}

// reasonOf names the condition reason for a failed pass.
func reasonOf(err error) string {
	var pe *PermanentError
	switch {
	case errors.As(err, &pe):
		return pe.Reason
	case errors.Is(err, railway.ErrUnauthorized):
		return state.ReasonUnauthorized
	case railway.IsPermanent(err):
		return state.ReasonRailwayError
	}
	var edge *railway.EdgeBlockedError
	var reserve *railway.ReserveError
	switch {
	case errors.As(err, &edge):
		return state.ReasonEdgeBlocked
	case errors.As(err, &reserve):
		return state.ReasonBudgetReserved
	}
	return state.ReasonTransientError
}

func stepError(a Action, err error) error {
	if a.Service != "" {
		return fmt.Errorf("%s %s: %w", a.Kind, a.Service, err)
	}
	return fmt.Errorf("%s: %w", a.Kind, err)
}
