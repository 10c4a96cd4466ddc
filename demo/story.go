package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/smartlic/reconciler/demo/consumer"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/report"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// chapters is the number of steps of the story.
const chapters = 6

// story drives the sandbox through the six steps, each waiting on what it
// announces.
func (s *sandbox) story(ctx context.Context) error {
	steps := []func(context.Context) error{
		s.emptyProject, s.bound, s.redisDown, s.rolledBack, s.redisBack, s.driftReport,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	took := s.opts.Now().Sub(s.started)
	s.n.raw(fmt.Sprintf("\nDone in %.1fs. Phases: %s.\n", took.Seconds(), joinPhases(s.track.Phases())))
	return nil
}

// wait waits for cond, failing early when the controller stopped.
func (s *sandbox) wait(ctx context.Context, what string, cond func() bool) error {
	var stopped error
	err := s.track.waitFor(ctx, s.opts.StepTimeout, what, func() bool {
		if s.ctrl != nil {
			if stopped = s.ctrl.failed(); stopped != nil {
				return true
			}
		}
		return cond()
	})
	if stopped != nil {
		return stopped
	}
	return err
}

// 1. The empty project: the controller creates the addon.
func (s *sandbox) emptyProject(ctx context.Context) error {
	s.n.chapter(1, chapters, "An empty project: the controller creates the Redis addon")
	s.n.say("railway", "services in the project: %s (no Redis)", strings.Join(s.sim.Services(s.projectID), ", "))
	s.showHealth(ctx)
	if err := s.startController(ctx); err != nil {
		return err
	}
	err := s.wait(ctx, "the Redis addon is created and deployed", func() bool {
		return s.deploymentOf(addonName) == railway.StatusSuccess
	})
	if err != nil {
		return err
	}
	s.n.say("railway", "services in the project: %s; Redis deployed (SUCCESS) from the redis template", strings.Join(s.sim.Services(s.projectID), ", "))
	return nil
}

// 2. The backend is bound and healthy.
func (s *sandbox) bound(ctx context.Context) error {
	s.n.chapter(2, chapters, "The backend is bound to Redis and healthy")
	err := s.wait(ctx, "the backend bound to Redis, connected and Healthy", func() bool {
		return s.track.Phase() == state.Healthy && s.backendURL() == desiredURL &&
			s.app.Health(ctx).Redis == consumer.RedisConnected
	})
	if err != nil {
		return err
	}
	s.n.say("railway", "backend REDIS_URL=%s (a reference: the password never passes through the reconciler)", s.backendURL())
	s.showHealth(ctx)
	s.showProbe()
	s.showCache(ctx, "session:42", "cached in Redis")
	return nil
}

// 3. Redis goes down: the app keeps serving, the controller degrades.
func (s *sandbox) redisDown(ctx context.Context) error {
	s.n.chapter(3, chapters, "Redis goes down")
	if err := s.redis.Down(); err != nil {
		return fmt.Errorf("demo: stopping redis: %w", err)
	}
	s.n.say("redis", "%s: connections are refused", s.redis.DownVerb())
	s.showHealth(ctx)
	s.showCache(ctx, "session:43", "the app falls back to memory")
	return s.wait(ctx, fmt.Sprintf("a rollback after %d unhealthy rounds", failures), func() bool {
		return s.track.Phase() == state.RolledBack
	})
}

// 4. Rolled back: REDIS_URL="" and the app on its in-memory cache.
func (s *sandbox) rolledBack(ctx context.Context) error {
	s.n.chapter(4, chapters, `The rollback: backend redeployed with REDIS_URL="", on its in-memory cache`)
	err := s.wait(ctx, `the backend redeployed with REDIS_URL=""`, func() bool {
		return s.backendURL() == "" && s.app.Health(ctx).Redis == consumer.RedisDisabled
	})
	if err != nil {
		return err
	}
	s.n.say("railway", `backend REDIS_URL="" (the documented rollback: no deployment rollback, nothing deleted)`)
	s.showHealth(ctx)
	s.showCache(ctx, "session:44", "in memory: Redis is not configured")
	return nil
}

// 5. Redis comes back: recovery, then the roll forward.
func (s *sandbox) redisBack(ctx context.Context) error {
	s.n.chapter(5, chapters, "Redis comes back: the controller rolls forward")
	if err := s.redis.Up(ctx); err != nil {
		return fmt.Errorf("demo: restarting redis: %w", err)
	}
	s.n.say("redis", "back on the same port (%s)", redactedRedis(s.redis))
	err := s.wait(ctx, "the roll forward: backend bound again and Healthy", func() bool {
		return s.track.seen(state.EventRolledForward) && s.track.Phase() == state.Healthy &&
			s.backendURL() == desiredURL && s.app.Health(ctx).Redis == consumer.RedisConnected
	})
	if err != nil {
		return err
	}
	s.n.say("railway", "backend REDIS_URL=%s", s.backendURL())
	s.showHealth(ctx)
	s.showCache(ctx, "session:45", "back in Redis")
	return nil
}

// 6. A drift report, built after a pass that found everything in sync.
func (s *sandbox) driftReport(ctx context.Context) error {
	s.n.chapter(6, chapters, "The drift report")
	from := s.track.okPasses()
	err := s.wait(ctx, "a reconcile pass in sync", func() bool { return s.track.okPasses() > from })
	if err != nil {
		return err
	}
	rec := s.ctrl.reconciler()
	r := report.Build(report.Input{Spec: rec.Spec(), State: rec.State(), Now: s.opts.Now(),
		Secrets: []spec.Secret{spec.NewSecret(s.token), spec.NewSecret(s.redis.Password())}})
	s.n.raw("\n" + demoMarkdown(r))
	return nil
}

// demoMarkdown is the report as the demo shows it: its Railway line keeps
// the request count only, since the sandbox's budget and the simulator's
// rate limit are set high for its short intervals and would mean nothing
// to a reader ("budget 36000/hour; rate-limit headroom 999972").
func demoMarkdown(r *report.Report) string {
	lines := strings.Split(r.Markdown(), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "Railway: ") {
			lines[i] = fmt.Sprintf("Railway: %d requests to the simulated Railway during the demo.", r.Railway.Requests)
		}
	}
	return strings.Join(lines, "\n")
}

// deploymentOf is the status of a service's latest deployment, "" when
// the service or its deployment does not exist.
func (s *sandbox) deploymentOf(service string) railway.DeploymentStatus {
	id, ok := s.sim.ServiceByName(s.projectID, service)
	if !ok {
		return ""
	}
	d, ok := s.sim.LatestDeployment(s.envID, id)
	if !ok {
		return ""
	}
	return d.Status
}

// backendURL is backend's raw REDIS_URL in the simulator.
func (s *sandbox) backendURL() string {
	return s.sim.Variables(s.envID, s.backendID)["REDIS_URL"]
}

func joinPhases(ps []state.Phase) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return strings.Join(out, " → ")
}
