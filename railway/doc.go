// Package railway is the one client through which the reconciler talks to
// Railway's public GraphQL API (CONTRACT sections 3, 6 and 9).
//
// It offers exactly the operations the reconciler needs, each a typed method
// on Client: the token and project access check, the project's environments
// and services, one batched observation of an environment (service instances
// plus the unrendered variables of chosen services, as GraphQL aliases in a
// single HTTP request), the addon's rendered variables, addon creation from a
// template (template, templateDeployV2, workflowStatus), variable upserts that
// never deploy by themselves and never replace, service deploys, deployment
// status and deployment logs. No other mutation exists here: nothing deletes,
// nothing rolls a deployment back.
//
// Every request goes through one transport that classifies failures into
// typed errors (ErrNotFound, ErrUnauthorized, *RateLimitedError,
// *TransientError, *GraphQLError, ErrBudgetExhausted), retries transient ones
// with jittered exponential backoff (cenkalti/backoff v4) and waits out
// Retry-After, and never sends more than Options.MaxRequestsPerHour requests
// in any hour. Mutations that are not idempotent (templateDeployV2,
// serviceInstanceDeployV2) are retried only when the request surely never
// reached Railway; after an ambiguous failure the caller must observe again
// before it decides to repeat them.
//
// The token and rendered variable values never appear in an error, a log
// line or the printed form of a Client, Options or Credentials.
//
// Operations returns every GraphQL document the client can send, so that tests
// (here and in the simulator, package railwaytest) validate them against
// Railway's real schema.
package railway
