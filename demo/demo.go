package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/demo/consumer"
	"github.com/smartlic/reconciler/railway/railwaytest"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// DefaultStepTimeout bounds each step of the story; a healthy run needs a
// few seconds per step.
const DefaultStepTimeout = 45 * time.Second

// Options configure Run. The zero value is usable.
type Options struct {
	// Out receives the narration (stdout); io.Discard when nil.
	Out io.Writer
	// Logger receives the components' own logs (the controller, the
	// reconciler, the simulator); a no-op logger when nil: the narration
	// tells the story.
	Logger *zap.Logger
	// Keep leaves everything running after the story, prints how to explore
	// it, and waits for ctx to end.
	Keep bool
	// EmbeddedRedis uses the embedded Go Redis even when redis-server is
	// installed.
	EmbeddedRedis bool
	// Dir holds the generated spec and the state; a new temporary directory,
	// removed at the end, when empty.
	Dir string
	// StepTimeout bounds each step; DefaultStepTimeout when 0.
	StepTimeout time.Duration
	// Version is the build's version (the Railway client's User-Agent).
	Version string
	// Program is how the commands printed in Keep mode run the reconciler:
	// "reconciler" (the default) when it is on PATH, else this binary's
	// path, so that they run as printed.
	Program string
	// Now is the narration's clock; time.Now when nil.
	Now func() time.Time
	// OnPhase, when set, is called with every phase the controller enters
	// (synchronously, under the reconciler's lock: keep it fast).
	OnPhase func(state.Phase)
}

func (o *Options) defaults() {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.StepTimeout <= 0 {
		o.StepTimeout = DefaultStepTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.Program == "" {
		o.Program = "reconciler"
	}
}

// Run tells the story (see the package documentation) and returns nil when
// every step happened; with Keep it then waits for ctx to end and returns
// nil. A step that does not happen in time returns an error wrapping
// ErrStuck; a sandbox part that cannot start returns its error. Everything
// Run started is stopped before it returns.
func Run(ctx context.Context, opts Options) (err error) {
	opts.defaults()
	s := &sandbox{opts: opts, n: newNarrator(opts.Out, opts.Now), track: newTracker(), env: map[string]string{}}
	defer func() {
		if cerr := s.close(); err == nil {
			err = cerr
		}
		if d := s.n.dropped.Load(); d > 0 {
			opts.Logger.Warn("narration lines dropped", zap.Int64("lines", d))
		}
	}()
	s.n.raw("reconciler demo: the real controller against an in-process Railway, a local Redis and a sample app.\n")
	if err := s.setup(ctx); err != nil {
		return err
	}
	if err := s.story(ctx); err != nil {
		s.n.say("FAILED", "%v", err)
		s.diagnose()
		return err
	}
	if opts.Keep {
		s.keep()
		<-ctx.Done()
		s.n.say("demo", "stopping")
	}
	return nil
}

// sandbox is everything Run starts, and the story's bookkeeping.
type sandbox struct {
	opts  Options
	n     *narrator
	track *tracker

	dir, ownDir string
	specPath    string
	env         map[string]string // the in-process environment: token, project id

	sim              *railwaytest.Server
	projectID, envID string
	backendID        string
	token            string
	redis            redisBackend
	app              *consumer.App
	ctrl             *ctrlRun
	appCtx           context.Context
	cancelApp        context.CancelFunc
	started          time.Time
}

// lookupEnv is the environment handed to the controller.
func (s *sandbox) lookupEnv(k string) (string, bool) {
	v, ok := s.env[k]
	return v, ok
}

// setup starts the simulator, Redis, the app and writes the spec; the
// controller starts in the story's first step.
func (s *sandbox) setup(ctx context.Context) error {
	s.started = s.opts.Now()
	s.appCtx, s.cancelApp = context.WithCancel(context.WithoutCancel(ctx))
	if err := s.makeDir(); err != nil {
		return err
	}
	if err := s.startSimulator(); err != nil {
		return err
	}
	if err := s.startRedis(ctx); err != nil {
		return err
	}
	if err := s.startApp(); err != nil {
		return err
	}
	path, err := writeSpec(s.dir, s.sim.URL(), s.projectID, s.app.HealthURL())
	if err != nil {
		return err
	}
	s.specPath = path
	s.n.say("setup", "spec %s: probe every %s, reconcile every %s, roll back after %d unhealthy rounds, forward after %d healthy ones and at least %s",
		path, probeEvery, reconcileEvery, failures, recoveries, minRolledBack)
	return nil
}

func (s *sandbox) makeDir() error {
	s.dir = s.opts.Dir
	if s.dir != "" {
		return os.MkdirAll(s.dir, 0o700)
	}
	dir, err := os.MkdirTemp("", "reconciler-demo-")
	if err != nil {
		return fmt.Errorf("demo: creating a temporary directory: %w", err)
	}
	s.dir, s.ownDir = dir, dir
	return nil
}

func (s *sandbox) startSimulator() error {
	sim, err := railwaytest.New(railwaytest.Options{
		Logger: s.opts.Logger, DeployDuration: deployDuration, WorkflowDuration: workflowDuration,
		RateLimit: simulatorRateLimit,
		OnInvalid: func(problem string) {
			s.opts.Logger.Warn("railway simulator got an invalid request", zap.String("problem", problem))
		},
	})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	s.sim = sim
	s.projectID, s.envID = sim.CreateProject(projectName)
	s.backendID = sim.AddService(s.projectID, consumerName, "ghcr.io/smartlic/backend:latest")
	s.token = "demo-" + randomHex(16)
	sim.AddToken(s.token, railwaytest.BearerToken, s.projectID, "")
	s.env["RAILWAY_API_TOKEN"] = s.token
	s.env["RAILWAY_PROJECT_ID"] = s.projectID
	validated := ""
	if sim.SchemaLoaded() {
		validated = " (every request validated against Railway's GraphQL schema)"
	}
	s.n.say("setup", "Railway simulator at %s%s", sim.URL(), validated)
	s.n.say("setup", "project %q (%s), environment %s, services: %s", projectName, s.projectID, environment, consumerName)
	return nil
}

func (s *sandbox) startRedis(ctx context.Context) error {
	r, err := startRedis(ctx, s.opts.EmbeddedRedis, s.opts.Logger)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	s.redis = r
	s.sim.OnTemplateDeploy(func(service string) map[string]string {
		if service != addonName {
			return nil
		}
		// The addon Railway creates is this Redis: its REDIS_URL renders to
		// redis://default:PASSWORD@127.0.0.1:PORT.
		return map[string]string{
			"REDISHOST": r.Host(), "REDISPORT": fmt.Sprint(r.Port()), "REDIS_PASSWORD": r.Password(),
		}
	})
	s.n.say("setup", "Redis: %s at %s", r.Describe(), redactedRedis(r))
	return nil
}

func (s *sandbox) startApp() error {
	a, err := consumer.New(consumer.Options{Logger: s.opts.Logger})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	s.app = a
	s.sim.OnDeploy(s.onDeploy)
	s.n.say("setup", "backend: the sample app (like SmartLic's backend: 2 workers, Redis optional) at %s", a.URL())
	s.sim.Deploy(s.envID, s.backendID)
	return nil
}

// onDeploy is the simulator's OnDeploy hook: a backend deployment restarts
// the app with its variables and its start-up lines go to the
// deployment's logs. It runs in the simulator's request handler, often
// while the reconciler holds its lock, so it narrates without blocking.
func (s *sandbox) onDeploy(ev railwaytest.DeployEvent) {
	defer s.track.poke()
	if ev.ServiceName != consumerName {
		s.n.hook("railway", "%s deploying (%s)", ev.ServiceName, ev.DeploymentID)
		return
	}
	redisURL, set := ev.Variables["REDIS_URL"]
	shown := "unset"
	if set {
		shown = fmt.Sprintf("%q", spec.MaskValue(redisURL)) // CONTRACT section 9
	}
	s.n.hook("railway", "backend deploying (%s) with REDIS_URL %s", ev.DeploymentID, shown)
	for _, line := range s.app.Restart(s.appCtx, ev.Variables) {
		s.sim.AppendLog(ev.DeploymentID, line)
		s.n.hook("backend", "| %s", line)
	}
}

// close stops everything in reverse order; the first error is returned.
func (s *sandbox) close() error {
	var errs []error
	if s.ctrl != nil {
		errs = append(errs, s.ctrl.stop())
	}
	if s.app != nil {
		errs = append(errs, s.app.Close())
	}
	if s.cancelApp != nil {
		s.cancelApp()
	}
	if s.sim != nil {
		s.sim.Close()
	}
	if s.redis != nil {
		s.redis.Close()
	}
	s.n.close()
	if s.ownDir != "" {
		errs = append(errs, os.RemoveAll(s.ownDir))
	}
	return errors.Join(errs...)
}
