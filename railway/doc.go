// Package railway is the one client through which the reconciler talks to
// Railway's public GraphQL API (CONTRACT sections 3, 6 and 9).
//
// It offers exactly the operations the reconciler needs, each a typed method
// on Client: the token and access checks (CheckAccess, CheckAccessTo,
// Whoami), the project's environments and services, one batched observation
// of an environment (service instances plus the unrendered variables of
// chosen services, as GraphQL aliases in a single HTTP request; ObserveAll
// for every service), the addon's rendered variables, addon creation from a
// template (template, templateDeployV2, workflowStatus), variable upserts
// that never deploy by themselves and never replace, service deploys,
// deployment status and deployment logs. No other mutation exists here:
// nothing deletes, nothing rolls a deployment back.
//
// # Failures
//
// Every request goes through one transport that classifies failures into
// typed errors: permanent ones (ErrNotFound, ErrUnauthorized, ErrTokenScope,
// ErrProjectTokenCannotCreate, *GraphQLError; see IsPermanent) and transient
// ones (*TransientError, *RateLimitedError, *EdgeBlockedError,
// ErrBudgetExhausted and *ReserveError; see IsTransient). Transient failures
// are retried with jittered exponential backoff (cenkalti/backoff v4), up to
// Options.MaxAttempts, and a 429 with Retry-After is waited out. Mutations
// that are not idempotent (templateDeployV2, serviceInstanceDeployV2) are
// retried only when the request surely never reached Railway; after an
// ambiguous failure the caller must observe again before it decides to
// repeat them. A caller that retries on a schedule of its own marks its
// context with SingleAttempt: one attempt, no retries.
//
// Each attempt is bounded by Options.QueryTimeout (30 s) or, for mutations,
// Options.MutationTimeout (90 s: Railway's CLI raised its own from 30 s
// because long mutations exceeded it); the whole call is bounded by the
// caller's context.
//
// # Rate limits
//
// The client never sends more than Options.MaxRequestsPerHour requests in
// any hour (a token bucket, retries included). It follows Railway's headers
// too: a lower X-RateLimit-Limit shrinks the bucket, and once
// X-RateLimit-Remaining is at or below ceil(10% of the limit)
// (ReserveFraction) only essential calls go out until X-RateLimit-Reset:
// mutations, and calls whose context is marked with Essential; the others
// fail at once with *ReserveError. Reset is read as epoch seconds, epoch
// milliseconds or RFC 3339 (and, leniently, an HTTP date or up to a day of
// seconds from now); anything else is ignored.
//
// A 429 without Retry-After is Cloudflare's edge block ("error code: 1015",
// no X-RateLimit-* headers), which hammering prolongs. The whole client then
// backs off: one attempt per interval, starting at EdgeMinBackoff (60 s) and
// doubling per further block to EdgeMaxBackoff (1 h). Meanwhile every call
// fails at once, without touching the network, with *EdgeBlockedError{Until}.
// When the interval ends, the next call, whatever it is, is the one probe:
// an answer clears the block, another 1015 doubles it. One warn line is
// logged per backoff step, and Stats reports BlockedUntil, EdgeInterval and
// EdgeBlocks.
//
// # Fleets: one token, one budget
//
// The units of a fleet (one spec in one environment each) that use the same
// token share one Client, hence one budget: SetMaxRequestsPerHour resizes it
// at run time to the smallest maxRequestsPerHour among them, counting the
// requests already sent (an admission log keeps every hour at or under the
// size in force), and Railway's X-RateLimit-Limit still caps it. A Batcher
// wraps that Client for the units: Observe calls for the same project and
// environment made within a short window (DefaultBatchWindow, 25 ms) become
// one request with the union of their service ids, each caller receiving the
// instances and only the variables it asked for; Project calls for one
// project merge the same way; Environments serves the environment
// generators a project's environment listing at most one read per maxAge.
// FairShare computes how much to stretch every unit's reconcile interval,
// equally, when the units' schedules do not fit the budget.
//
// # Secrets and attribution
//
// The token and rendered variable values never appear in an error, a log
// line or the printed form of a Client, Options or Credentials.
// Options.Instance names the replica in the User-Agent and the
// X-Reconciler-Instance header.
//
// Operations returns every GraphQL document the client can send, so that tests
// (here and in the simulator, package railwaytest) validate them against
// Railway's real schema.
package railway
