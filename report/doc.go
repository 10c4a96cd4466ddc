// Package report builds the drift report of CONTRACT section 8 and delivers
// it, and sends the short notifications of section 5.
//
// A Report is built from the persisted state after a fresh observation pass
// (Build): the phase, every drift and blocked item, health over the period
// since the previous report, every event of the period, the Railway request
// usage and the conditions. It renders as markdown (Slack and GitHub) or as
// JSON with a stable, versioned shape documented in docs/report.md.
//
// A fleet (several units in one controller) reports together: BuildFleet
// makes one FleetReport of several units' inputs, a table of the units then
// each unit's own report, masking every unit's secrets in every section;
// BuildAll gives Build's report for one unit and BuildFleet's for more, and
// GroupSpecs says which specs' units share a report (the same schedule,
// format and sinks).
//
// Sinks deliver a rendered Document (a *Report or a *FleetReport): stdout, a directory (one file per
// report, written atomically, never overwriting another) and Slack-compatible
// webhooks (retried with backoff on 5xx and network errors). A failing sink
// is logged and counted and never stops the others.
//
// A Notifier turns the reconciler's events into short webhook messages, off
// the reconciler's goroutine, deduplicated so that a flapping Redis never
// floods a channel, and so that a rollback message is always followed by its
// recovery message.
//
// Nothing here ever shows a secret: every string of a report and of a message
// goes through a final scrub that masks the known secrets (webhook URLs, the
// Redis URL, the Railway token when given) and the userinfo of any URL, and
// errors and logs name a webhook "webhook #N", never by its URL.
package report
