// Package reconcile is the heart of the reconciler: it converges a Railway
// project on a spec, the way a Kubernetes controller does.
//
// A pass is three phases. Observe only reads: one batched Railway request
// (the environment's service instances and the consumers' raw variables)
// plus a probe round. Diff is a pure function of (spec, observation, state,
// machine decisions) that returns a Plan: every pending action with a human
// reason, and every drift item. Act carries the plan out in small,
// idempotent, ordered steps, persisting the state after each mutation so
// that a pass killed half-way is completed, never doubled, by the next.
//
// The health state machine (Step) is a pure function of (health state,
// input, time); probe rounds feed it between passes, and a rollback it
// decides is written at once, preempting a pass in flight.
//
// Safety rules (CONTRACT section 5): nothing is ever deleted, variables are
// never written with replace, no deployment is ever rolled back; a failed or
// partial read never leads to a creation or a correction; the new addon's
// workflow id is persisted before anything else happens.
package reconcile
