package cli

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartlic/reconciler/internal/redisserver"
	"github.com/smartlic/reconciler/internal/redisserver/redistest"
	"github.com/smartlic/reconciler/internal/testspec"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
)

// doctorScene is a simulated project for doctor: the sandbox (a deployed
// backend), optionally a Redis service already in place, and a spec.
type doctorScene struct {
	sim       *railwaytest.Server
	env       map[string]string
	pid, eid  string
	backendID string
	statePath string
	redis     *redisserver.Server
}

func newDoctorScene(t *testing.T) *doctorScene {
	t.Helper()
	sim := railwaytest.NewT(t, railwaytest.Options{DeployDuration: 100 * time.Millisecond, WorkflowDuration: 200 * time.Millisecond})
	sb := sim.SeedSandbox(cliToken, "backend")
	if d, ok := sim.LatestDeployment(sb.EnvironmentID, sb.ConsumerID); !ok || !sim.SetDeploymentStatus(d.ID, railway.StatusSuccess) {
		t.Fatal("the sandbox's backend has no deployment")
	}
	return &doctorScene{sim: sim, pid: sb.ProjectID, eid: sb.EnvironmentID, backendID: sb.ConsumerID,
		statePath: filepath.Join(t.TempDir(), "state", "state.json"),
		env:       map[string]string{"RAILWAY_PROJECT_ID": sb.ProjectID, "RAILWAY_API_TOKEN": cliToken}}
}

// addRedis adds a Redis service shaped like the redis template's, deployed,
// with backend bound to it. With a real server, its TCP proxy points there
// (REDIS_PUBLIC_URL answers from here); without, it is private only.
func (s *doctorScene) addRedis(t *testing.T, name string, real bool) string {
	t.Helper()
	id := s.sim.AddService(s.pid, name, "ghcr.io/railwayapp-templates/redis:8")
	password := "s3cr3t-redis-pw-" + name
	if real {
		s.redis = redistest.Start(t)
		password = s.redis.Password()
		s.sim.AddTCPProxy(s.eid, id, s.redis.Host(), s.redis.Port(), 6379)
	}
	s.sim.SetVariables(s.eid, id, map[string]string{
		"REDIS_PASSWORD": password, "REDISHOST": "${{RAILWAY_PRIVATE_DOMAIN}}", "REDISPORT": "6379",
		"REDISUSER": "default", "REDISPASSWORD": "${{REDIS_PASSWORD}}",
		"REDIS_URL":        "redis://${{REDISUSER}}:${{REDISPASSWORD}}@${{REDISHOST}}:${{REDISPORT}}",
		"REDIS_PUBLIC_URL": "redis://default:${{REDIS_PASSWORD}}@${{RAILWAY_TCP_PROXY_DOMAIN}}:${{RAILWAY_TCP_PROXY_PORT}}",
	})
	s.sim.SetDeploymentStatus(s.sim.Deploy(s.eid, id), railway.StatusSuccess) // up at once: no waiting
	s.sim.SetVariables(s.eid, s.backendID, map[string]string{"REDIS_URL": "${{" + name + ".REDIS_URL}}"})
	return id
}

// spec writes a spec for the scene with health as its health section.
func (s *doctorScene) spec(t *testing.T, health, extra string) string {
	t.Helper()
	body := testspec.Doc(testspec.Options{Endpoint: s.sim.URL(), ProjectID: "${RAILWAY_PROJECT_ID}",
		StatePath: s.statePath, Health: health, Extra: extra})
	return writeSpec(t, body)
}

// doctor runs doctor --output json on path and returns the exit code,
// the checks by name and the whole result.
func (s *doctorScene) doctor(t *testing.T, path string, args ...string) (int, map[string]doctorCheck, result) {
	t.Helper()
	got := run(t, s.env, append([]string{"doctor", "-f", path, "--output", "json"}, args...)...)
	var list []doctorCheck
	if err := json.Unmarshal([]byte(got.stdout), &list); err != nil {
		t.Fatalf("doctor json (%v):\n%s\nstderr:\n%s", err, got.stdout, got.stderr)
	}
	checks := map[string]doctorCheck{}
	for _, c := range list {
		if _, dup := checks[c.Check]; dup {
			t.Fatalf("check %s printed twice:\n%s", c.Check, got.stdout)
		}
		if c.OK != (c.Fix == "") {
			t.Errorf("check %s: ok %v with fix %q", c.Check, c.OK, c.Fix)
		}
		checks[c.Check] = c
	}
	return got.code, checks, got
}

// healthServer answers {"redis": "connected"} on every path.
func healthServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"redis":"connected"}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// webhookServer records the bodies posted to it.
type webhookServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newWebhookServer(t *testing.T) *webhookServer {
	t.Helper()
	ws := &webhookServer{}
	ws.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ws.mu.Lock()
		ws.bodies = append(ws.bodies, string(b))
		ws.mu.Unlock()
	}))
	t.Cleanup(ws.Close)
	return ws
}

func (ws *webhookServer) posts() []string {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return append([]string(nil), ws.bodies...)
}

func assertNoSecrets(t *testing.T, got result, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(got.stdout, sec) || strings.Contains(got.stderr, sec) {
			t.Errorf("a secret (%.6s...) leaked into doctor's output", sec)
		}
	}
}

// hungListener accepts connections and never answers; it returns its
// address.
func hungListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port
}
