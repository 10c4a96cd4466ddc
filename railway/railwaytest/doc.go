// Package railwaytest is an in-process, stateful simulator of Railway's public
// GraphQL API (https://backboard.railway.com/graphql/v2), served by an
// httptest server. Every test above the railway client, and the `reconciler
// demo` command, run against it.
//
// Each request is parsed and, when Railway's schema is available, validated
// with github.com/vektah/gqlparser/v2 against the real schema
// ($RAILWAY_SCHEMA, or <repo>/../shared/railway/schema.graphql); an invalid
// operation is answered 400 with a GraphQL error and recorded. Valid
// operations are executed generically (aliases, variables, inline and named
// fragments, __typename, @skip/@include): root fields dispatch to resolvers
// that return plain Go values, and a projector applies the sub-selection. A
// field the simulator does not implement answers "simulator: unsupported
// field X" and is recorded, so gaps are visible rather than silently null.
//
// The model holds projects, environments, services, per-environment service
// instances, variables with Railway reference rendering, TCP proxies,
// deployments whose status is computed lazily from an injectable clock,
// template deployment workflows (the redis template), tokens, a request log
// attributed to the sending instance, and injectable faults (5xx, 429 with
// Retry-After, an HTML 403 page, latency, execute-then-fail for any mutation
// with a 500, a 502 or a dropped connection, Cloudflare's 1015 edge block,
// and a full 503 outage).
//
// Use New in programs (the demo) and NewT in tests. The seeding and
// inspection methods (CreateProject, AddService, SetVariables, Variables,
// LatestDeployment, ...) act on the model directly, without HTTP.
//
// # Fidelity
//
// As Railway does (per the CLI, docs and schema): errors are HTTP 200 with
// {"data": null, "errors": [...]} for non-null root fields ("Not Authorized",
// "Project Token not found", "... not found", `A service named "X" already
// exists in this project`); template(code) needs no token; variables render
// ${{Service.VAR}}, ${{VAR}}, ${{shared.VAR}} and RAILWAY_* references, and
// unknown ones render to ""; a variable change deploys unless skipDeploys;
// templateDeployV2 returns a workflow id and not the service id, and the
// service is listed only when the workflow completes (Options.WorkflowDuration,
// default 12 s), workflowStatus answering NotFound for the first moments
// (Options.WorkflowNotFoundFor); databases are private by default (a Redis
// without a TCP proxy renders REDIS_PUBLIC_URL as redis://default:PASSWORD@:
// and REDIS_URL on <name>.railway.internal; AddTCPProxy or BindRedisTo make
// it public); project tokens are bound to one environment (and, assumed for
// want of any evidence that they can, cannot deploy templates:
// Options.ProjectTokensCanCreate models the opposite); `me`
// answers account tokens only; the edge block is a 429 "error code: 1015"
// without Retry-After or X-RateLimit-*; a superseded SUCCESS deployment
// becomes REMOVED; X-RateLimit-* headers on every answer from Railway
// itself.
//
// Simplified or inferred: validation failures answer 400 (as Apollo-style
// servers do; Railway's code is unverified); a variable write deploys only
// when a value changed; a shared-variable change deploys the services that
// reference it; a deployment superseded while in progress becomes REMOVED;
// CRASHED is reached directly after DEPLOYING; serviceCreate never deploys;
// deploymentRollback, volumeDelete, projectDelete and environmentDelete change
// nothing; X-RateLimit-Reset is a Unix time; a template's deployment is dated
// from the workflow's start; a second template deployment of a name still
// pending is accepted and its service suffixed ("Redis-2"); a failed workflow
// creates nothing; a log filter with unbalanced quotes or parentheses is
// refused ("Invalid log filter"); the outage answers a plain-text 503.
package railwaytest
