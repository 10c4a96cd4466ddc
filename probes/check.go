package probes

import (
	"strconv"
	"strings"
	"time"
)

// CheckKind says what a Check probed.
type CheckKind string

// Check kinds.
const (
	KindRedis    CheckKind = "redis"
	KindEndpoint CheckKind = "endpoint"
	KindLog      CheckKind = "log"
)

// Steps a Check can fail at (Check.Step).
const (
	// Redis probe steps.
	StepConnect = "connect" // TCP connect, or the connection was lost
	StepAuth    = "auth"    // WRONGPASS / NOAUTH
	StepPing    = "ping"    // PING failed or timed out
	StepLatency = "latency" // PING slower than maxLatency
	StepMemory  = "memory"  // used_memory at or over maxMemory (or not reported)
	StepPubSub  = "pubsub"  // the published token did not come back
	StepKeys    = "keys"    // no key matches expectKeys
	// StepURL means the Redis URL is unknown or invalid: the probe could not
	// run, which makes the round inconclusive, never unhealthy.
	StepURL = "url"

	// Endpoint probe steps.
	StepUnreachable = "unreachable" // connect error or timeout
	StepStatus      = "status"      // another HTTP status (or a redirect loop)
	StepBody        = "body"        // unreadable, too big or not JSON
	StepExpect      = "expect"      // a JSON field check failed

	// StepLogs is the log probe's only step.
	StepLogs = "logs"
)

// Check is the result of one probe.
type Check struct {
	// Name is "redis", "endpoint/<name>" or "log/<service>".
	Name string
	Kind CheckKind
	OK   bool
	// Pending is set by the log probe while the expected line may still
	// appear (OK is false then, and the check is not a failure yet).
	Pending bool
	// Step is the failing step ("" when OK).
	Step string
	// Message explains the outcome to an operator. It never contains a
	// password or a full Redis URL.
	Message string
	// Latency is the PING round trip (redis) or the request time (endpoint).
	Latency time.Duration
	// RedisProblem is set when this failure counts against Redis.
	RedisProblem bool
	// UsedMemory, MaxMemory and EvictedKeys come from INFO (redis only);
	// zero when Redis did not report them. MaxMemory is Redis's own
	// maxmemory setting (0 = unlimited), not the spec's bound.
	UsedMemory, MaxMemory, EvictedKeys int64
}

// Failed reports whether the check is a settled failure (not OK, not pending).
func (c Check) Failed() bool { return !c.OK && !c.Pending }

// Verdict is a round's judgement of Redis.
type Verdict int

// Verdicts. The zero value is VerdictInconclusive, so that an empty Round
// never reads as healthy.
const (
	// VerdictInconclusive means Redis could not be probed (its URL is not
	// known yet) and no endpoint said it was broken: count nothing.
	VerdictInconclusive Verdict = iota
	// VerdictHealthy means every Redis-side check passed.
	VerdictHealthy
	// VerdictUnhealthy means at least one Redis-side check failed.
	VerdictUnhealthy
)

// String returns "healthy", "unhealthy" or "inconclusive".
func (v Verdict) String() string {
	switch v {
	case VerdictHealthy:
		return "healthy"
	case VerdictUnhealthy:
		return "unhealthy"
	default:
		return "inconclusive"
	}
}

// MarshalText encodes the verdict as its String.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Round is the result of one probe round.
type Round struct {
	At       time.Time
	Duration time.Duration
	// Checks holds the Redis check first, then one per endpoint in spec order.
	Checks []Check
	// Addon is the round's verdict on the addon (Redis).
	Addon Verdict
	// ConsumersHealthy is false when an endpoint was unreachable, answered
	// another status or an unreadable body (a consumer problem, which never
	// triggers a rollback).
	ConsumersHealthy bool
	// Reason is the first Redis-side failure ("redis: connection refused"),
	// or why the round is inconclusive; "" when Redis is healthy.
	Reason string
}

// FormatBytes renders n in IEC units, one decimal at most: "300MiB",
// "1.5GiB", "512B". Every message about Redis memory uses it.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return strconv.FormatInt(n, 10) + "B"
	}
	f, i := float64(n), -1
	for f >= unit || f <= -unit {
		f /= unit
		i++
	}
	s := strconv.FormatFloat(f, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + string("KMGTPE"[i]) + "iB"
}

// formatDuration rounds d for a message: whole milliseconds from 10ms up,
// tenths of a millisecond below.
func formatDuration(d time.Duration) string {
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= 100*time.Microsecond:
		return d.Round(100 * time.Microsecond).String()
	default:
		return d.Round(time.Microsecond).String()
	}
}
