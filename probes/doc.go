// Package probes measures the health that the spec expects (CONTRACT
// section 5): a direct probe of Redis (connect, AUTH, PING latency, memory,
// a pub/sub round trip, expected keys), the consumers' own HTTP health
// endpoints, and the log line a consumer must print after a deploy.
//
// A probe never returns an error: it returns a Check that names the failing
// step with a message an operator understands, and says whether the failure
// counts against Redis. A Prober runs one round of checks concurrently,
// bounded by probeTimeout, and classifies it as Redis-healthy, -unhealthy or
// inconclusive, and the consumers as healthy or not. Log expectations are
// not part of a round: they depend on a Railway observation, so the
// reconcile pass asks a LogProbe separately.
//
// Probes obey their context's deadline; a hung Redis yields a failed Check
// within the deadline, never a blocked caller. Nothing this package returns
// or logs contains a Redis password: URLs are shown through spec.RedactURL.
package probes
