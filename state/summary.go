package state

import (
	"math"
	"time"
)

// latencyBase is the upper bound of the first latency bucket; bucket i holds
// samples up to latencyBase·2^i, the last one everything above.
const (
	latencyBase    = 50 * time.Microsecond
	latencyBuckets = 22
)

// HealthSummary is a compact, bounded summary of the probe rounds since the
// last drift report: counts, a log-scale PING latency histogram (so quantiles
// are accurate to a factor of two at most, within the bucket) and peaks.
type HealthSummary struct {
	Since           time.Time     `json:"since"`
	Rounds          int           `json:"rounds"`
	UnhealthyRounds int           `json:"unhealthyRounds"`
	Inconclusive    int           `json:"inconclusiveRounds"`
	Latency         []int         `json:"latencyBuckets,omitempty"`
	MaxLatency      time.Duration `json:"maxLatency"`
	PeakUsedMemory  int64         `json:"peakUsedMemory"`
}

// Observe adds one probe round. latency is the PING round trip (0 when the
// round had none) and usedMemory Redis's used_memory (0 when unknown).
func (h *HealthSummary) Observe(verdict string, latency time.Duration, usedMemory int64) {
	h.Rounds++
	switch verdict {
	case "unhealthy":
		h.UnhealthyRounds++
	case "inconclusive":
		h.Inconclusive++
	}
	if latency > 0 {
		if h.Latency == nil {
			h.Latency = make([]int, latencyBuckets)
		}
		h.Latency[bucketOf(latency)]++
		h.MaxLatency = max(h.MaxLatency, latency)
	}
	h.PeakUsedMemory = max(h.PeakUsedMemory, usedMemory)
}

// Quantile estimates the q-quantile (0 < q ≤ 1) of PING latency: the upper
// bound of the bucket holding it, never more than the maximum seen. It is 0
// when no latency was observed.
func (h *HealthSummary) Quantile(q float64) time.Duration {
	total := 0
	for _, n := range h.Latency {
		total += n
	}
	if total == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(total)))
	seen := 0
	for i, n := range h.Latency {
		seen += n
		if seen >= rank {
			return min(bucketUpper(i), h.MaxLatency)
		}
	}
	return h.MaxLatency
}

// Reset starts a new period at now.
func (h *HealthSummary) Reset(now time.Time) { *h = HealthSummary{Since: now.UTC()} }

func bucketOf(d time.Duration) int {
	for i := range latencyBuckets - 1 {
		if d <= bucketUpper(i) {
			return i
		}
	}
	return latencyBuckets - 1
}

func bucketUpper(i int) time.Duration { return latencyBase << i }
