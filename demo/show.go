package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/smartlic/reconciler/demo/consumer"
	"github.com/smartlic/reconciler/spec"
)

// httpTimeout bounds each request the narration makes to the app.
const httpTimeout = 2 * time.Second

// showHealth GETs the app's /v1/health, as a user would, and prints it.
func (s *sandbox) showHealth(ctx context.Context) {
	code, body, err := s.call(ctx, http.MethodGet, s.app.HealthURL(), "")
	if err != nil {
		s.n.say("backend", "GET /v1/health failed: %v", err)
		return
	}
	s.n.say("backend", "GET /v1/health → %d %s", code, body)
}

// showCache stores a value through the app's cache endpoint and reads it
// back, showing where it lives (Redis or the in-memory fallback).
func (s *sandbox) showCache(ctx context.Context, key, note string) {
	url := s.app.URL() + "/v1/cache/" + key
	if _, _, err := s.call(ctx, http.MethodPut, url, "demo"); err != nil {
		s.n.say("backend", "PUT /v1/cache/%s failed: %v", key, err)
		return
	}
	code, body, err := s.call(ctx, http.MethodGet, url, "")
	if err != nil {
		s.n.say("backend", "GET /v1/cache/%s failed: %v", key, err)
		return
	}
	var e consumer.CacheEntry
	_ = json.Unmarshal([]byte(body), &e) // shown as is either way
	s.n.say("backend", "PUT+GET /v1/cache/%s → %d, source %s (%s)", key, code, e.Source, note)
}

// call makes one request to the app and returns the status and the
// compacted body.
func (s *sandbox) call(ctx context.Context, method, url, body string) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, "", err
	}
	var out bytes.Buffer
	if json.Compact(&out, raw) != nil {
		return resp.StatusCode, strings.TrimSpace(string(raw)), nil
	}
	return resp.StatusCode, out.String(), nil
}

// showProbe prints the controller's last probe round, one check a line.
func (s *sandbox) showProbe() {
	rec := s.ctrl.reconciler()
	if rec == nil {
		return
	}
	p := rec.Status().LastProbe
	if p == nil {
		return
	}
	for _, c := range p.Checks {
		verdict := "ok"
		if !c.OK {
			verdict = "FAIL"
		}
		line := fmt.Sprintf("%-18s %s", c.Name, verdict)
		if c.LatencyMs > 0 {
			line += fmt.Sprintf(" in %.1fms", c.LatencyMs)
		}
		if c.Message != "" {
			line += ": " + c.Message
		}
		s.n.say("probe", "%s", line)
	}
}

// redactedRedis is the backend's URL with its password masked.
func redactedRedis(b redisBackend) string { return spec.RedactURL(redisURL(b)) }

// diagnose prints what the controller knows after a failed step: the last
// probe round and every condition that is not True.
func (s *sandbox) diagnose() {
	if s.ctrl == nil || s.ctrl.reconciler() == nil {
		return
	}
	s.showProbe()
	for _, c := range s.ctrl.reconciler().Status().Conditions {
		if c.Status != "True" {
			s.n.say("condition", "%s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message)
		}
	}
}
