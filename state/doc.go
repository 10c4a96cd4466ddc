// Package state is the reconciler's embedded store: one versioned JSON
// document (phase, health counters, addon and deploy bookkeeping, conditions,
// recent events, report bookkeeping) written atomically next to an exclusive
// lock file.
//
// Nothing secret is ever stored here: no token, no Redis password or URL, no
// rendered variable value. Variable values appear only in event messages, and
// only in their masked form (spec.MaskValue).
package state
