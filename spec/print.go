package spec

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Print writes the spec as YAML with every default applied and every secret
// masked (validate --print): fields in the contract's order, variables sorted
// by name, variable values through MaskValue, the Redis URL through
// RedactURL, webhook URLs as ***. The output is stable for a given spec.
func (s *Spec) Print(w io.Writer) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(s.tree(false)); err != nil {
		return fmt.Errorf("printing the spec: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("printing the spec: %w", err)
	}
	return nil
}

// hash is the sha256 of the canonical form of the spec, secrets included
// (they are part of the desired state), so that it changes exactly when the
// effective spec does and not with comments or formatting. The canonical form
// is the tree Print encodes, serialized with length prefixes.
func hash(s *Spec) string {
	h := sha256.New()
	var buf []byte
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		buf = append(buf[:0], byte(n.Kind))
		buf = binary.AppendUvarint(buf, uint64(len(n.Value)))
		buf = append(buf, n.Value...)
		buf = binary.AppendUvarint(buf, uint64(len(n.Content)))
		h.Write(buf)
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(s.tree(true))
	return hex.EncodeToString(h.Sum(nil))
}

// tree builds the YAML document; reveal keeps secret values (for hashing only).
func (s *Spec) tree(reveal bool) *yaml.Node {
	show := func(v string) string {
		if reveal {
			return v
		}
		return MaskValue(v)
	}
	return mapping(
		"version", num(s.Version),
		"name", str(s.Name),
		"railway", s.Railway.tree(),
		"addon", mapping(
			"service", str(s.Addon.Service),
			"template", str(s.Addon.Template),
			"create", boolean(s.Addon.Create),
			"createGrace", dur(s.Addon.CreateGrace),
		),
		"consumers", list(s.Consumers, func(c Consumer) *yaml.Node {
			return mapping("service", str(c.Service), "variables", vars(c.Variables, show), "deploy", boolean(c.Deploy))
		}),
		"health", s.Health.tree(reveal),
		"rollback", mapping(
			"enabled", boolean(s.Rollback.Enabled),
			"failureThreshold", num(s.Rollback.FailureThreshold),
			"recoveryThreshold", num(s.Rollback.RecoveryThreshold),
			"minRolledBack", dur(s.Rollback.MinRolledBack),
			"maxRollbacks", num(s.Rollback.MaxRollbacks),
			"rollbackWindow", dur(s.Rollback.RollbackWindow),
			"variables", vars(s.Rollback.Variables, show),
		),
		"schedule", mapping(
			"reconcile", str(s.Schedule.Reconcile.Expr),
			"probe", str(s.Schedule.Probe.Expr),
			"report", str(s.Schedule.Report.Expr),
		),
		"report", mapping(
			"format", str(s.Report.Format),
			"sinks", list(s.Report.Sinks, func(k Sink) *yaml.Node { return k.tree(reveal) }),
		),
		"state", s.State.tree(reveal),
		"server", mapping(
			"listen", str(s.Server.Listen),
			"auth", mapping("token", str(secretText(s.Server.Auth.Token, reveal))),
		),
	)
}

// tree prints the one way the spec names its environments.
func (r Railway) tree() *yaml.Node {
	var env []any
	switch {
	case len(r.Environments) > 0:
		env = []any{"environments", list(r.Environments, str)}
	case r.EnvironmentPattern != "":
		env = []any{"environmentPattern", str(r.EnvironmentPattern)}
	default:
		env = []any{"environment", str(r.Environment)}
	}
	kv := append([]any{"endpoint", str(r.Endpoint), "projectId", str(r.ProjectID)}, env...)
	return mapping(append(kv, "maxRequestsPerHour", num(r.MaxRequestsPerHour))...)
}

// tree prints the backend chosen: the PostgreSQL settings only with it, its
// URL with the password masked (RedactURL).
func (st State) tree(reveal bool) *yaml.Node {
	if st.Backend != StateBackendPostgres {
		return mapping("backend", str(st.Backend), "path", str(st.Path))
	}
	pg := st.Postgres
	u := pg.URL.Value()
	if !reveal && u != "" {
		u = RedactURL(u)
	}
	return mapping(
		"backend", str(st.Backend),
		"path", str(st.Path),
		"postgres", mapping(
			"url", str(u),
			"leaseDuration", dur(pg.LeaseDuration),
			"renewDeadline", dur(pg.RenewDeadline),
			"retryPeriod", dur(pg.RetryPeriod),
		),
	)
}

// secretText is a secret as Print shows it (masked) or hash reads it.
func secretText(s Secret, reveal bool) string {
	if reveal {
		return s.Value()
	}
	return s.String()
}

func (h Health) tree(reveal bool) *yaml.Node {
	redisURL, endpointURL := h.Redis.URL.Value(), RedactURL
	if !reveal && redisURL != "" {
		redisURL = RedactURL(redisURL)
	}
	if reveal {
		endpointURL = func(s string) string { return s }
	}
	return mapping(
		"probeTimeout", dur(h.ProbeTimeout),
		"redis", mapping(
			"url", str(redisURL),
			"maxLatency", dur(h.Redis.MaxLatency),
			"maxMemory", &yaml.Node{Kind: yaml.ScalarNode, Value: h.Redis.MaxMemory.String()},
			"pubsub", boolean(h.Redis.PubSub),
			"expectKeys", str(h.Redis.ExpectKeys),
		),
		"endpoints", list(h.Endpoints, func(e Endpoint) *yaml.Node {
			return mapping(
				"name", str(e.Name),
				"url", str(endpointURL(e.URL)),
				"status", num(e.Status),
				"expect", list(e.Expect, Expectation.tree),
			)
		}),
		"logs", list(h.Logs, func(l LogExpectation) *yaml.Node {
			return mapping("service", str(l.Service), "contains", str(l.Contains), "within", dur(l.Within))
		}),
	)
}

func (x Expectation) tree() *yaml.Node {
	var op string
	var v *yaml.Node
	switch {
	case x.LessThan != nil:
		op, v = "lessThan", float(*x.LessThan)
	case x.GreaterThan != nil:
		op, v = "greaterThan", float(*x.GreaterThan)
	case x.Exists != nil:
		op, v = "exists", boolean(*x.Exists)
	default:
		op = "equals"
		switch e := x.Equals.(type) {
		case float64:
			v = float(e)
		case bool:
			v = boolean(e)
		default:
			v = str(fmt.Sprint(e))
		}
	}
	return mapping("field", str(x.Field), op, v)
}

func (k Sink) tree(reveal bool) *yaml.Node {
	switch k.Kind {
	case SinkFile:
		return mapping("file", str(k.Dir))
	case SinkWebhook:
		url := k.URL.String()
		if reveal {
			url = k.URL.Value()
		}
		return mapping("webhook", str(url))
	}
	return str(string(k.Kind))
}

func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, str(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}

func list[T any](items []T, fn func(T) *yaml.Node) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	if len(items) == 0 {
		n.Style = yaml.FlowStyle
	}
	for _, it := range items {
		n.Content = append(n.Content, fn(it))
	}
	return n
}

func vars(m map[string]string, show func(string) string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if len(m) == 0 {
		n.Style = yaml.FlowStyle
	}
	for _, k := range sortedKeys(m) {
		n.Content = append(n.Content, str(k), str(show(m[k])))
	}
	return n
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func num(i int) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.Itoa(i)} }

func float(f float64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(f, 'g', -1, 64)}
}

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatBool(b)}
}

func dur(d time.Duration) *yaml.Node { return str(FormatDuration(d)) }

// FormatDuration prints d as a spec writes it: Duration.String without
// its zero units ("5m0s" → "5m", "1h0m0s" → "1h").
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
