package railway_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
)

var redisTemplate = &railway.Template{ID: "tpl-redis", Code: "redis", SerializedConfig: []byte(
	`{"services":{"svc-tpl":{"name":"Redis","source":{"image":"redis:8"},"variables":{"REDISPORT":{"defaultValue":"6379","value":""}}}}}`)}

var deployedTemplate = answer(map[string]any{"templateDeployV2": map[string]any{"projectId": "p1", "workflowId": "wf1"}})

// TestMutationRetrySafety: non-idempotent mutations are not retried after an
// ambiguous failure; the idempotent upsert is.
func TestMutationRetrySafety(t *testing.T) {
	t.Parallel()
	deployOK := answer(map[string]any{"serviceInstanceDeployV2": "dep-1"})
	tests := []struct {
		name     string
		replies  []reply
		run      func(ctx context.Context, c *railway.Client) error
		wantErr  bool
		requests int
	}{
		{"templateDeployV2 after 500", []reply{{status: 500, body: "oops"}, deployedTemplate}, deployTemplate, true, 1},
		{"templateDeployV2 after html 403", []reply{{status: 403, body: cloudflarePage}, deployedTemplate}, deployTemplate, true, 1},
		{"templateDeployV2 after 429", []reply{{status: 429, header: map[string]string{"Retry-After": "1"}}, deployedTemplate}, deployTemplate, false, 2},
		{"serviceInstanceDeployV2 after 502", []reply{{status: 502, body: "bad gateway"}, deployOK}, deployService, true, 1},
		{"serviceInstanceDeployV2 after 429", []reply{{status: 429, header: map[string]string{"Retry-After": "1"}}, deployOK}, deployService, false, 2},
		{"serviceInstanceDeployV2 after an edge 429", []reply{{status: 429, body: "error code: 1015"}, deployOK}, deployService, true, 1},
		{"upsert after 500", []reply{{status: 500}, answer(map[string]any{"variableCollectionUpsert": true})}, upsert, false, 2},
		{"upsert after 502 twice", []reply{{status: 502}, {status: 502}, answer(map[string]any{"variableCollectionUpsert": true})}, upsert, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeServer(t, sequence(tt.replies...))
			c := newTestClient(t, srv.URL, newFakeClock(), nil)
			err := tt.run(t.Context(), c)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !railway.IsTransient(err) {
				t.Errorf("err = %v, want transient", err)
			}
			if got := len(srv.Requests()); got != tt.requests {
				t.Errorf("requests = %d, want %d", got, tt.requests)
			}
		})
	}
}

func deployTemplate(ctx context.Context, c *railway.Client) error {
	_, err := c.DeployTemplate(ctx, railway.TemplateDeploy{ProjectID: "p1", EnvironmentID: "e1", Template: redisTemplate, ServiceName: "Redis"})
	return err
}

func deployService(ctx context.Context, c *railway.Client) error {
	_, err := c.DeployService(ctx, "e1", "s1")
	return err
}

func upsert(ctx context.Context, c *railway.Client) error {
	return c.UpsertVariables(ctx, "p1", "e1", "s1", map[string]string{"REDIS_URL": "${{Redis.REDIS_URL}}"})
}

// TestMutationTimeoutNotRetried: a deploy whose answer never came may have
// happened, so it is not retried.
func TestMutationTimeoutNotRetried(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := newFakeServer(t, func(int, gqlBody) reply {
		<-release
		return reply{status: 200, body: `{"data":{"serviceInstanceDeployV2":"dep-1"}}`}
	})
	t.Cleanup(func() { close(release) })
	c := newTestClient(t, srv.URL, newFakeClock(), func(o *railway.Options) {
		o.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond}
	})
	if err := deployService(t.Context(), c); !railway.IsTransient(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	if got := len(srv.Requests()); got != 1 {
		t.Errorf("requests = %d, want 1 (no retry after a timeout)", got)
	}
}

// TestMutationUnsentRetried: a deploy that could not even connect surely did
// not happen, so it is retried.
func TestMutationUnsentRetried(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, sequence(deployedTemplate))
	url := srv.URL
	srv.Close()
	attempts := 0
	clock := newFakeClock()
	c := newTestClient(t, url, clock, func(o *railway.Options) {
		o.OnRequest = func(string, string) { attempts++ }
	})
	if err := deployTemplate(t.Context(), c); !railway.IsTransient(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	if attempts != 5 || len(clock.Sleeps()) != 4 {
		t.Errorf("attempts = %d, sleeps = %v: want 5 attempts and 4 waits", attempts, clock.Sleeps())
	}
}

// TestBackoffGrows: retry waits grow and carry jitter within bounds.
func TestBackoffGrows(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, sequence(reply{status: 503}))
	clock := newFakeClock()
	c := newTestClient(t, srv.URL, clock, func(o *railway.Options) { o.MaxAttempts = 5 })
	if _, err := c.Deployment(t.Context(), "d1"); err == nil {
		t.Fatal("want an error")
	}
	s := clock.Sleeps()
	if len(s) != 4 {
		t.Fatalf("sleeps = %v, want 4", s)
	}
	for i, base := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second} {
		if s[i] < base/2 || s[i] > base*3/2 {
			t.Errorf("wait %d = %s, want %s ±50%%", i, s[i], base)
		}
	}
}
