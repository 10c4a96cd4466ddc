// Package chaos holds the reconciler's chaos tests: two (or more) real
// `reconciler run` processes sharing a real PostgreSQL as their state and
// lease, against the in-process Railway simulator and a real redis-server,
// with leaders killed (SIGKILL), frozen (SIGSTOP) and PostgreSQL stopped.
// It has no code outside its tests.
package chaos
