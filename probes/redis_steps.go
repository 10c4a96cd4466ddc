package probes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// SCAN bounds for expectKeys: at most scanIterations calls of COUNT scanCount.
const (
	scanIterations = 10
	scanCount      = 1000
)

// failure is a failed step, before it becomes a Check.
type failure struct {
	step  string
	msg   string
	cause error // logged at debug level, sanitised
	reset resetLevel
	// notRedis marks a failure of the probe itself, not of Redis.
	notRedis bool
}

// infoMode is how the memory step asks for INFO; it degrades once for
// servers that reject a form, and is reset with the client.
type infoMode int

const (
	// infoMemoryStats: "INFO memory stats", one round trip (Redis >= 7).
	infoMemoryStats infoMode = iota
	// infoMemory: "INFO memory" only; evicted_keys stays 0 (Redis < 7).
	infoMemory
	// infoNone: the server has no INFO memory (an embedded test double).
	infoNone
)

// infoSections are the INFO arguments of each mode that sends one.
var infoSections = [...][]string{infoMemoryStats: {"memory", "stats"}, infoMemory: {"memory"}}

func (p *RedisProbe) ping(ctx context.Context, client *redis.Client, c *Check, budget time.Duration) *failure {
	start := time.Now() // a measurement of real elapsed time, never an injected clock
	err := client.Ping(ctx).Err()
	c.Latency = time.Since(start)
	if err != nil {
		return classify(err, StepPing, budget)
	}
	if c.Latency > p.opts.MaxLatency {
		return &failure{step: StepLatency, msg: fmt.Sprintf("PING took %s, limit %s",
			formatDuration(c.Latency), formatDuration(p.opts.MaxLatency))}
	}
	return nil
}

// memory reads used_memory, maxmemory and evicted_keys in one INFO call and
// compares used_memory with MaxMemory.
func (p *RedisProbe) memory(ctx context.Context, client *redis.Client, c *Check, budget time.Duration) *failure {
	for p.info < infoNone {
		sections := infoSections[p.info]
		info, err := client.Info(ctx, sections...).Result()
		if err == nil {
			c.UsedMemory, c.MaxMemory, c.EvictedKeys = parseInfo(info)
			break
		}
		if !isUnsupported(err) {
			return classify(err, StepMemory, budget)
		}
		p.info++ // this server rejects that form of INFO: ask less next time
		p.log.Debug("redis rejects INFO form, degrading", zap.Strings("sections", sections))
	}
	limit := p.opts.MaxMemory
	switch {
	case limit <= 0:
		return nil
	case c.UsedMemory == 0:
		return &failure{step: StepMemory, msg: "redis does not report used_memory (INFO memory unsupported)"}
	case c.UsedMemory >= limit:
		return &failure{step: StepMemory, msg: fmt.Sprintf("used_memory %s over limit %s",
			FormatBytes(c.UsedMemory), FormatBytes(limit))}
	}
	return nil
}

// parseInfo extracts used_memory, maxmemory and evicted_keys from an INFO
// reply; a missing field is 0.
func parseInfo(info string) (used, maxMem, evicted int64) {
	for len(info) > 0 {
		var line string
		line, info, _ = strings.Cut(info, "\n")
		key, val, ok := strings.Cut(strings.TrimSuffix(line, "\r"), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch key {
		case "used_memory":
			dst = &used
		case "maxmemory":
			dst = &maxMem
		case "evicted_keys":
			dst = &evicted
		default:
			continue
		}
		if n, err := strconv.ParseInt(val, 10, 64); err == nil {
			*dst = n
		}
	}
	return used, maxMem, evicted
}

// pubsub publishes a fresh token on the private channel and waits for it on
// the subscription kept open between rounds. When PUBLISH reaches nobody
// (Redis restarted or dropped the subscriber), it subscribes again once.
func (p *RedisProbe) pubsub(ctx context.Context, client *redis.Client, budget time.Duration) *failure {
	p.seq++
	token := strconv.FormatUint(p.seq, 10)
	for attempt := 0; attempt < 2; attempt++ {
		sub, f := p.subscription(ctx, client, budget)
		if f != nil {
			return f
		}
		n, err := client.Publish(ctx, p.channel, token).Result()
		if err != nil {
			f := classify(err, StepPubSub, budget)
			f.msg = "PUBLISH: " + f.msg
			return f
		}
		if n > 0 {
			return p.await(ctx, sub, token, budget)
		}
		p.log.Debug("publish reached no subscriber, subscribing again")
		p.mu.Lock()
		p.resetLocked(resetPubSub)
		p.mu.Unlock()
	}
	return &failure{step: StepPubSub, msg: "subscription lost: PUBLISH reached no subscriber", reset: resetPubSub}
}

// subscription returns the open subscription, or subscribes and waits for
// Redis to confirm, so that a PUBLISH cannot overtake the SUBSCRIBE.
func (p *RedisProbe) subscription(ctx context.Context, client *redis.Client, budget time.Duration) (*redis.PubSub, *failure) {
	p.mu.Lock()
	sub := p.sub
	p.mu.Unlock()
	if sub != nil {
		return sub, nil
	}
	sub = client.Subscribe(ctx) // no channel yet: no I/O
	err := sub.Subscribe(ctx, p.channel)
	if err == nil {
		var msg any
		if msg, err = sub.ReceiveTimeout(ctx, remaining(ctx)); err == nil {
			if _, ok := msg.(*redis.Subscription); !ok {
				err = fmt.Errorf("unexpected %T before the subscription confirmation", msg)
			}
		}
	}
	if err != nil {
		_ = sub.Close() // only fails when already closed
		f := classify(err, StepPubSub, budget)
		f.msg = "SUBSCRIBE: " + f.msg
		return nil, f
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = sub.Close()
		return nil, &failure{step: StepPubSub, msg: "probe closed", cause: redis.ErrClosed, notRedis: true}
	}
	p.sub = sub
	p.log.Debug("subscribed", zap.String("channel", p.channel))
	return sub, nil
}

// await reads the subscription until token arrives or ctx's deadline passes.
// Earlier tokens (from a round that gave up waiting) are skipped.
func (p *RedisProbe) await(ctx context.Context, sub *redis.PubSub, token string, budget time.Duration) *failure {
	for {
		msg, err := sub.ReceiveTimeout(ctx, remaining(ctx))
		if err != nil {
			if isTimeout(err) {
				return &failure{step: StepPubSub, cause: err, reset: resetPubSub,
					msg: fmt.Sprintf("pub/sub message not received within %s", formatDuration(budget))}
			}
			f := classify(err, StepPubSub, budget)
			f.reset = max(f.reset, resetPubSub)
			return f
		}
		if m, ok := msg.(*redis.Message); ok && m.Channel == p.channel && m.Payload == token {
			return nil
		}
	}
}

// keys looks for one key matching ExpectKeys with a bounded SCAN (never KEYS).
func (p *RedisProbe) keys(ctx context.Context, client *redis.Client, budget time.Duration) *failure {
	pattern := p.opts.ExpectKeys
	var cursor uint64
	for range scanIterations {
		keys, next, err := client.Scan(ctx, cursor, pattern, scanCount).Result()
		if err != nil {
			return classify(err, StepKeys, budget)
		}
		if len(keys) > 0 {
			return nil
		}
		if next == 0 {
			return &failure{step: StepKeys, msg: fmt.Sprintf("no key matches %q", pattern)}
		}
		cursor = next
	}
	return &failure{step: StepKeys, msg: fmt.Sprintf("no key matches %q (scan stopped after %d batches of %d keys)",
		pattern, scanIterations, scanCount)}
}

// classify turns a go-redis error met during step into a failure with an
// operator's message.
func classify(err error, step string, budget time.Duration) *failure {
	f := &failure{step: step, cause: err, reset: resetAll}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case redis.IsAuthError(err):
		f.step, f.msg = StepAuth, "authentication failed (wrong or missing password)"
	case errors.Is(err, syscall.ECONNREFUSED):
		f.step, f.msg = StepConnect, "connection refused"
	case isTimeout(err):
		f.msg = timeoutMessage(budget)
	case errors.As(err, &dnsErr):
		f.step, f.msg = StepConnect, "cannot resolve "+dnsErr.Name
	case errors.As(err, &opErr) && opErr.Op == "dial":
		f.step, f.msg = StepConnect, "cannot connect: "+opErr.Err.Error()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		f.step, f.msg = StepConnect, "connection closed by redis"
	case errors.Is(err, redis.ErrClosed):
		f.step, f.msg, f.notRedis = StepConnect, "probe closed", true
	case isServerError(err):
		// Redis answered (LOADING, BUSY, OOM...): the connection is fine.
		f.msg, f.reset = "redis replied: "+err.Error(), resetNone
	default:
		f.msg = err.Error()
	}
	return f
}

func timeoutMessage(budget time.Duration) string {
	return fmt.Sprintf("timed out after %s (redis not answering)", formatDuration(budget))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, redis.ErrPoolTimeout) || (errors.As(err, &ne) && ne.Timeout())
}

// isServerError reports an error reply from Redis (as opposed to an I/O error).
func isServerError(err error) bool {
	var re redis.Error
	return errors.As(err, &re)
}

// isUnsupported reports an error reply that rejects the command itself (an
// unknown section or a wrong number of arguments), as opposed to a state of
// the server such as LOADING or NOAUTH.
func isUnsupported(err error) bool {
	return isServerError(err) && !redis.IsAuthError(err) && !redis.IsLoadingError(err) &&
		!redis.HasErrorPrefix(err, "BUSY") && !redis.HasErrorPrefix(err, "MASTERDOWN")
}
