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
// instances, variables with Railway reference rendering, deployments whose
// status is computed lazily from an injectable clock, template deployment
// workflows (the redis template), tokens, a request log, and injectable faults
// (5xx, 429 with Retry-After, an HTML 403 page, latency, and a 500 answered
// after a mutation was executed).
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
// templateDeployV2 returns a workflow id and not the service id; a superseded
// SUCCESS deployment becomes REMOVED; X-RateLimit-* headers on every answer.
//
// Simplified or inferred: validation failures answer 400 (as Apollo-style
// servers do; Railway's code is unverified); a variable write deploys only
// when a value changed; a shared-variable change deploys the services that
// reference it; a deployment superseded while in progress becomes REMOVED;
// CRASHED is reached directly after DEPLOYING; serviceCreate never deploys;
// deploymentRollback, volumeDelete, projectDelete and environmentDelete change
// nothing; X-RateLimit-Reset is a Unix time; the service a template creates is
// visible at once (not only when the workflow completes); a failed workflow
// creates nothing.
package railwaytest
