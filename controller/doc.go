// Package controller is the long-running reconciler, `reconciler run`
// (CONTRACT sections 6 and 7): it keeps one reconcile.Reconciler going on
// three cron schedules, reloads the spec when its file changes, and serves
// the HTTP endpoints and the control socket.
//
// Schedules (robfig/cron v3, one entry per job, each job wrapped once in
// cron.Recover and cron.SkipIfStillRunning so that a slow run never overlaps
// the next, even across a reschedule):
//
//   - reconcile: one pass (observe, diff, act, persist) every
//     schedule.reconcile, jittered by ±10% so that a fleet of operators does
//     not hit Railway in step; while something is in progress (an addon
//     being created, a deploy the operator started) a follow-up pass is
//     requeued sooner.
//   - probe: one probe round every schedule.probe, on a fixed grid. Rounds
//     drive the health machine, and a rollback or roll forward it decides
//     is written at once by the reconciler, so the rollback reaches Railway
//     within failureThreshold × interval + probeTimeout + one round trip of
//     Redis failing.
//   - report: a pass, then a drift report built from the state after it
//     (report.Build), delivered to the spec's sinks and recorded in the
//     state (report.MarkDelivered through Reconciler.Update).
//
// The first pass and the first round run at start, not one interval later.
// Passes are serialised (the reconcile and report jobs never run one at the
// same time); rounds run beside them.
//
// Live reload: the spec's directory is watched with fsnotify (so editors
// that replace the file, and symlink swaps, are seen) and a short debounce
// gathers an editor's burst of events; Reload (SIGHUP) forces one. A valid
// edit is applied with SetSpec from the next tick, and a changed schedule
// reschedules its job; an invalid edit is logged line by line (FILE:LINE:COL)
// and the last valid spec keeps running, with specValid false on /status and
// reconciler_spec_valid 0. Fields that need a restart (name, railway
// endpoint, project and budget, state path, server.listen) keep their
// running values and say so in the log.
//
// Every recorded event also goes to a report.Notifier (the spec's webhooks),
// from the reconciler's Event hook; the hooks feed the metrics too.
//
// HTTP (bound before the first observation): /healthz, /readyz, /metrics
// (an own prometheus.Registry, every series present from the first scrape)
// and /status. The control socket (<state.path>.sock, mode 0600) lets
// `reconciler rollback` and `rollforward` reach the running controller,
// which holds the state lock; see SendControl.
//
// Shutdown (Run's context cancelled): the schedules stop, the actions in
// flight finish (bounded by Options.ShutdownTimeout), the state is
// persisted, then the socket, the lock and the server are closed.
package controller
