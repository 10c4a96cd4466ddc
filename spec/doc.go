// Package spec reads the reconciler's desired state: one YAML file, version 1
// (CONTRACT section 4). It interpolates the environment, decodes strictly
// (unknown fields, duplicate keys and wrong types are errors with their line
// and column), applies the documented defaults and checks every cross-field
// rule, reporting all problems at once as "FILE:LINE:COL: PATH: MESSAGE".
//
// Anything that may carry a credential (the Redis URL to probe, webhook URLs)
// is held in a Secret, which never prints its value.
package spec
