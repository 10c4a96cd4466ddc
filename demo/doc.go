// Package demo is `reconciler demo` (CONTRACT section 10): the whole
// product, in one process, with no network and no account.
//
// Run starts, on loopback addresses only:
//
//   - the Railway simulator (railway/railwaytest) holding a project
//     "smartlic-demo" whose production environment has one service,
//     "backend", deployed once without REDIS_URL;
//   - a Redis: redis-server from PATH when installed, else an embedded Go
//     Redis (miniredis), both password protected; the simulator's redis
//     template is bound to it, so the addon the controller creates renders a
//     REDIS_URL that reaches it;
//   - the sample consumer app (demo/consumer), restarted with the rendered
//     variables of every simulated deployment of backend; its start-up lines
//     go to the deployment's logs, where the spec's log expectation finds
//     "Redis pool connected";
//   - the real controller (package controller, the code of `reconciler run`)
//     with a generated spec (probe every 1s, reconcile every 2s, roll back
//     after 3 unhealthy rounds, forward after 3 healthy ones and 5s) and a
//     throwaway token registered in the simulator, handed over through an
//     in-process environment (the user's RAILWAY_API_TOKEN is never read).
//
// It then narrates the story on Options.Out, one stamped line per thing
// that happens (phase changes and events come from the reconciler's hooks,
// the app's lines from its restarts), and drives it: the empty project, the
// addon created, the backend bound and healthy, Redis stopped, the rollback
// (REDIS_URL="" and the app on its in-memory cache), Redis back, the roll
// forward, and a drift report. Each step waits on a condition with a
// deadline (Options.StepTimeout) and never on a fixed sleep; a step that does
// not happen fails Run with ErrStuck and says which. A full run takes about
// 15 seconds (the rollback waits out minRolledBack, 5s).
//
// With Options.Keep, everything stays up after the story, and Run prints the
// addresses (the controller's /status and /metrics, the app's /v1/health,
// the simulator's endpoint), the spec file and the commands to try, then
// waits for its context to end (Ctrl-C).
//
// No secret is printed: Redis URLs are shown through spec.RedactURL. The
// demo's Railway token is a random throwaway valid only for the in-process
// simulator; --keep prints it so that `plan` can be tried.
package demo
