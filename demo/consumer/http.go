package consumer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Health is the /v1/health document.
type Health struct {
	Status            string  `json:"status"`
	Redis             string  `json:"redis"`
	RedisConnected    bool    `json:"redis_connected"`
	RedisLatencyMs    float64 `json:"redis_latency_ms"`
	RedisMemoryUsedMB float64 `json:"redis_memory_used_mb"`
	// Cache is where cached values live right now: "redis" or "memory".
	Cache   string `json:"cache"`
	Workers int    `json:"workers"`
}

// CacheEntry is the /v1/cache/{key} document.
type CacheEntry struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

// Cache sources.
const (
	SourceRedis  = "redis"
	SourceMemory = "memory"
)

// maxValueBytes caps a cached value.
const maxValueBytes = 64 << 10

// keyPrefix scopes the app's keys in a shared Redis.
const keyPrefix = "backend:cache:"

// Handler returns the app's HTTP handler.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/health", a.serveHealth)
	mux.HandleFunc("GET /v1/cache/{key}", a.serveGet)
	mux.HandleFunc("PUT /v1/cache/{key}", a.servePut)
	return mux
}

// Health checks Redis (PING, then INFO memory, each bounded by
// RedisTimeout) and reports it. The app itself is always "ok".
func (a *App) Health(ctx context.Context) Health {
	h := Health{Status: "ok", Redis: RedisDisabled, Cache: SourceMemory, Workers: a.opts.Workers}
	c := a.client()
	if c == nil {
		return h
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.RedisTimeout)
	defer cancel()
	start := time.Now() // a measurement of real elapsed time, never an injected clock
	if err := c.Ping(ctx).Err(); err != nil {
		h.Redis = RedisUnavailable
		return h
	}
	h.RedisLatencyMs = round2(float64(time.Since(start).Microseconds()) / 1000)
	h.Redis, h.RedisConnected, h.Cache = RedisConnected, true, SourceRedis
	if info, err := c.Info(ctx, "memory").Result(); err == nil {
		h.RedisMemoryUsedMB = round2(float64(usedMemory(info)) / (1 << 20))
	}
	return h
}

func (a *App) serveHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.Health(r.Context()))
}

func (a *App) serveGet(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if c := a.client(); c != nil {
		ctx, cancel := context.WithTimeout(r.Context(), a.opts.RedisTimeout)
		v, err := c.Get(ctx, keyPrefix+key).Result()
		cancel()
		switch {
		case err == nil:
			writeJSON(w, http.StatusOK, CacheEntry{Key: key, Value: v, Source: SourceRedis})
			return
		case errors.Is(err, redis.Nil):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "not cached", "source": SourceRedis})
			return
		}
		a.log.Debug("redis get failed, serving from memory", zap.Error(err))
	}
	v, ok := a.mem.get(key)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not cached", "source": SourceMemory})
		return
	}
	writeJSON(w, http.StatusOK, CacheEntry{Key: key, Value: v, Source: SourceMemory})
}

func (a *App) servePut(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	body, err := io.ReadAll(io.LimitReader(r.Body, maxValueBytes+1))
	if err != nil || len(body) > maxValueBytes {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "value too large or unreadable"})
		return
	}
	if c := a.client(); c != nil {
		ctx, cancel := context.WithTimeout(r.Context(), a.opts.RedisTimeout)
		err := c.Set(ctx, keyPrefix+key, string(body), a.opts.CacheTTL).Err()
		cancel()
		if err == nil {
			writeJSON(w, http.StatusOK, CacheEntry{Key: key, Value: string(body), Source: SourceRedis})
			return
		}
		a.log.Debug("redis set failed, caching in memory", zap.Error(err))
	}
	a.mem.set(key, string(body), a.opts.CacheTTL)
	writeJSON(w, http.StatusOK, CacheEntry{Key: key, Value: string(body), Source: SourceMemory})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}

// usedMemory reads used_memory from an INFO reply; 0 when absent (an
// embedded Redis has no memory section).
func usedMemory(info string) int64 {
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64) // garbage reads as 0: unknown
			return n
		}
	}
	return 0
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// memCache is the in-memory fallback: a map with expiry.
type memCache struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]memEntry
}

type memEntry struct {
	value   string
	expires time.Time
}

func newMemCache(now func() time.Time) *memCache {
	return &memCache{now: now, m: map[string]memEntry{}}
}

func (c *memCache) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || !c.now().Before(e.expires) {
		delete(c.m, key)
		return "", false
	}
	return e.value, true
}

func (c *memCache) set(key, value string, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = memEntry{value: value, expires: c.now().Add(ttl)}
}
