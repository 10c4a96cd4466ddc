package railway_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/smartlic/reconciler/railway"
)

const (
	leakToken    = "tok-LEAKCHECK-5150"
	leakPassword = "pw-LEAKCHECK-8080"
)

// lockedBuffer collects log output from concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Sync() error { return nil }

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// successRoutes answers every operation successfully; the addon's rendered
// REDIS_URL carries leakPassword.
func successRoutes() map[string]func(map[string]any) reply {
	url := "redis://default:" + leakPassword + "@redis.railway.internal:6379"
	return map[string]func(map[string]any) reply{
		railway.OpAPIToken: func(map[string]any) reply {
			return answer(map[string]any{"apiToken": map[string]any{"workspaces": []any{}}})
		},
		railway.OpProjectAccess: func(map[string]any) reply { return answer(map[string]any{"project": map[string]any{"id": "p1"}}) },
		railway.OpProjectToken: func(map[string]any) reply {
			return answer(map[string]any{"projectToken": map[string]any{"projectId": "p1", "environmentId": "e1"}})
		},
		railway.OpProject: func(map[string]any) reply {
			empty := map[string]any{"edges": []any{}, "pageInfo": map[string]any{"hasNextPage": false}}
			return answer(map[string]any{"project": map[string]any{"id": "p1", "name": "x", "environments": empty, "services": empty}})
		},
		railway.OpObserve: func(v map[string]any) reply { return observeReply(v, false) },
		railway.OpRenderedVariables: func(map[string]any) reply {
			return answer(map[string]any{"variables": map[string]any{"REDIS_URL": url}})
		},
		railway.OpTemplate: func(map[string]any) reply {
			return answer(map[string]any{"template": map[string]any{"id": "t", "code": "redis", "serializedConfig": nil}})
		},
		railway.OpDeployTemplate: func(map[string]any) reply { return deployedTemplate },
		railway.OpWorkflowStatus: func(map[string]any) reply {
			return answer(map[string]any{"workflowStatus": map[string]any{"status": "Complete"}})
		},
		railway.OpUpsertVariables: func(map[string]any) reply { return answer(map[string]any{"variableCollectionUpsert": true}) },
		railway.OpDeployService:   func(map[string]any) reply { return answer(map[string]any{"serviceInstanceDeployV2": "d1"}) },
		railway.OpDeployment:      func(map[string]any) reply { return deploymentOK },
		railway.OpDeploymentLogs:  func(map[string]any) reply { return answer(map[string]any{"deploymentLogs": []any{}}) },
	}
}

// exerciseAll calls every method once and returns what they printed: errors
// and results in every fmt form.
func exerciseAll(ctx context.Context, c *railway.Client) []string {
	var out []string
	keep := func(v any, err error) {
		out = append(out, fmt.Sprintf("%v %+v %#v", v, v, v))
		if err != nil {
			out = append(out, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		}
	}
	keep(nil, c.CheckAccess(ctx, "p1"))
	keep(c.Project(ctx, "p1"))
	keep(c.Observe(ctx, "p1", "e1", []string{"s1"}))
	keep(c.RenderedVariables(ctx, "p1", "e1", "s1"))
	keep(c.Template(ctx, "redis"))
	keep(c.DeployTemplate(ctx, railway.TemplateDeploy{ProjectID: "p1", EnvironmentID: "e1", Template: redisTemplate, ServiceName: "Redis"}))
	keep(c.WorkflowStatus(ctx, "wf1"))
	keep(nil, c.UpsertVariables(ctx, "p1", "e1", "s1", map[string]string{"REDIS_URL": "${{Redis.REDIS_URL}}"}))
	keep(c.DeployService(ctx, "e1", "s1"))
	keep(c.Deployment(ctx, "d1"))
	keep(c.DeploymentLogs(ctx, "d1", 10, ""))
	keep(c.Stats(), nil)
	return out
}

// TestNoSecretLeaks runs every method through success and failures with a
// distinctive token and a rendered REDIS_URL holding a distinctive password,
// and checks that neither reaches an error, a log line (debug level) or the
// printed client, options and credentials.
func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	failures := map[string]reply{
		"not authorized":   gqlErrors(nil, "Not Authorized"),
		"token echoed":     gqlErrors(nil, "invalid token "+leakToken),
		"500 with secrets": {status: 500, body: "token=" + leakToken + " url=" + leakPassword},
		"html 403":         {status: 403, header: map[string]string{"Content-Type": "text/html"}, body: cloudflarePage + leakToken},
		"429":              {status: 429, header: map[string]string{"Retry-After": "1"}, body: leakPassword},
		"not json":         {status: 200, body: leakPassword},
	}
	logs := &lockedBuffer{}
	var printed []string
	for _, kind := range []railway.TokenKind{railway.BearerToken, railway.ProjectToken} {
		opts := railway.Options{
			Credentials: railway.NewCredentials(kind, "", leakToken),
			Logger:      zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewDevelopmentEncoderConfig()), logs, zap.DebugLevel)),
			MaxAttempts: 2,
		}
		run := func(url string) {
			clock := newFakeClock()
			o := opts
			o.Endpoint, o.Now, o.Sleep = url, clock.Now, clock.Sleep
			c, err := railway.New(o)
			if err != nil {
				t.Fatal(err)
			}
			printed = append(printed, exerciseAll(t.Context(), c)...)
			printed = append(printed, fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprintf("%v %+v %#v", o, o, o),
				fmt.Sprintf("%v %+v %#v %s %q", o.Credentials, o.Credentials, o.Credentials, o.Credentials, o.Credentials))
		}
		run(newFakeServer(t, byOperation(successRoutes())).URL)
		for _, rep := range failures {
			run(newFakeServer(t, sequence(rep)).URL)
		}
		closed := newFakeServer(t, sequence(deploymentOK))
		closed.Close()
		run(closed.URL)
	}
	all := strings.Join(printed, "\n") + logs.String()
	if !strings.Contains(all, "railway request") {
		t.Fatal("no debug logs captured")
	}
	for _, secret := range []string{leakToken, leakPassword} {
		if i := strings.Index(all, secret); i >= 0 {
			t.Errorf("%q leaked: ...%s...", secret, all[max(0, i-200):min(len(all), i+100)])
		}
	}
}
