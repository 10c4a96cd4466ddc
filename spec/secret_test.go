package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"gopkg.in/yaml.v3"
)

const hidden = "redis://default:hunter2@redis.internal:6379"

// leakChecks renders v every way a value can leave the process.
func leakChecks(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%T"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	out["Sprint"] = fmt.Sprint(v)
	out["Sprintln"] = fmt.Sprintln(v)
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	out["json"] = string(j)
	y, err := yaml.Marshal(v)
	if err != nil {
		t.Fatalf("yaml: %v", err)
	}
	out["yaml"] = string(y)
	for name, enc := range map[string]zapcore.Encoder{
		"zap json":    zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
		"zap console": zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()),
	} {
		var buf bytes.Buffer
		log := zap.New(zapcore.NewCore(enc, zapcore.AddSync(&buf), zap.DebugLevel))
		log.Info("value", zap.Any("any", v), zap.Reflect("reflect", v))
		if s, ok := v.(fmt.Stringer); ok {
			log.Info("value", zap.Stringer("stringer", s))
		}
		log.Sugar().Infow("value", "kv", v)
		log.Sugar().Infof("value %v %+v", v, v)
		out[name] = buf.String()
	}
	core, logs := observer.New(zap.DebugLevel)
	zap.New(core).Info("value", zap.Any("any", v), zap.Reflect("reflect", v))
	for _, e := range logs.All() {
		for k, f := range e.ContextMap() {
			out["zap observer "+k] = fmt.Sprint(f)
		}
	}
	return out
}

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret(hidden)
	for _, v := range []any{s, &s, []Secret{s}, map[string]Secret{"k": s}, struct{ URL Secret }{s}} {
		for how, got := range leakChecks(t, v) {
			if strings.Contains(got, "hunter2") || strings.Contains(got, "redis.internal") {
				t.Errorf("%T through %s leaks: %s", v, how, got)
			}
		}
	}
	if s.Value() != hidden || s.IsZero() || !NewSecret("").IsZero() {
		t.Error("Value/IsZero broken")
	}
	if got := fmt.Sprint(NewSecret("")); got != "" {
		t.Errorf("empty secret prints %q", got)
	}
}

func TestSpecNeverPrintsSecrets(t *testing.T) {
	s, err := Load("testdata/valid-full.yaml", lookup(testEnv))
	if err != nil {
		t.Fatal(err)
	}
	for how, got := range leakChecks(t, s) {
		for _, secret := range []string{redisPassword, webhookToken} {
			if strings.Contains(got, secret) {
				t.Errorf("spec through %s leaks %q", how, secret)
			}
		}
	}
}

// TestErrorsNeverPrintSecrets checks that the errors about a Redis URL, a
// webhook, an endpoint URL or a sink do not quote a secret, wherever it came
// from, while still naming the field.
func TestErrorsNeverPrintSecrets(t *testing.T) {
	env := map[string]string{"RAILWAY_PROJECT_ID": "p", "URL": "http://x:" + redisPassword + "@h/" + webhookToken,
		"HOOK": "https://hooks.slack.com/services/T/B/" + webhookToken, "HEALTH": "backend/health?token=" + redisPassword,
		"TOKEN": webhookToken}
	tests := []struct{ name, yaml, path string }{
		{"redis url", "health:\n  redis:\n    url: ${URL}\n", "health.redis.url"},
		{"webhook", "report:\n  sinks:\n    - webhook: ftp://u:" + webhookToken + "@h\n", "report.sinks[0].webhook"},
		{"webhook without webhook:", "report:\n  sinks:\n    - ${HOOK}\n", "report.sinks[0]: a URL is not a sink"},
		{"sink from the environment", "report:\n  sinks:\n    - ${TOKEN}\n", `report.sinks[0]: unknown sink "${TOKEN}"`},
		{"endpoint url", "health:\n  endpoints:\n    - {name: b, url: '${HEALTH}'}\n", `health.endpoints[0].url: must be an http or https URL, got "***"`},
		{"railway endpoint", strings.Replace(minimal, "railway:\n", "railway:\n  endpoint: ftp://u:${TOKEN}@h/x\n", 1), `railway.endpoint: must be an http or https URL, got "ftp://u:***@h/x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.yaml
			if !strings.HasPrefix(doc, "version:") {
				doc = minimal + doc
			}
			_, err := Parse("d.yaml", []byte(doc), lookup(env))
			if err == nil || !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("want an error on %s, got %v", tt.path, err)
			}
			if strings.Contains(err.Error(), redisPassword) || strings.Contains(err.Error(), webhookToken) {
				t.Errorf("errors leak a secret:\n%v", err)
			}
		})
	}
}
