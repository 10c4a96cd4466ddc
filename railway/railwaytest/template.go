package railwaytest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
)

// The redis template's ids (stable, UUID-shaped).
const (
	RedisTemplateID        = "7a000000-0000-4000-8000-00000000ed15"
	redisTemplateServiceID = "7a5e0000-0000-4000-8000-00000000ed15"
	redisVolumeID          = "7a0f0000-0000-4000-8000-00000000ed15"
)

// redisConfig is the redis template's serializedConfig, shaped like
// Railway's (services keyed by template service id; each variable a
// {defaultValue, description, isOptional}; generators as ${{secret(N)}}).
const redisConfig = `{
  "services": {
    "` + redisTemplateServiceID + `": {
      "name": "Redis",
      "icon": "https://devicons.railway.app/i/redis.svg",
      "source": {"image": "ghcr.io/railwayapp-templates/redis:8"},
      "variables": {
        "REDIS_PASSWORD": {"defaultValue": "${{secret(32, \"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\")}}", "description": "Password for the default user.", "isOptional": false},
        "REDISHOST": {"defaultValue": "${{RAILWAY_PRIVATE_DOMAIN}}", "description": "Private host of the Redis server.", "isOptional": false},
        "REDISPORT": {"defaultValue": "6379", "description": "Port of the Redis server.", "isOptional": false},
        "REDISUSER": {"defaultValue": "default", "description": "User to connect as.", "isOptional": false},
        "REDISPASSWORD": {"defaultValue": "${{REDIS_PASSWORD}}", "description": "Password for the default user.", "isOptional": false},
        "REDIS_URL": {"defaultValue": "redis://${{REDISUSER}}:${{REDISPASSWORD}}@${{REDISHOST}}:${{REDISPORT}}", "description": "Private connection URL.", "isOptional": false},
        "REDIS_PUBLIC_URL": {"defaultValue": "redis://default:${{REDIS_PASSWORD}}@${{RAILWAY_TCP_PROXY_DOMAIN}}:${{RAILWAY_TCP_PROXY_PORT}}", "description": "Public connection URL (needs a TCP proxy).", "isOptional": true}
      },
      "networking": {"tcpProxies": {"6379": {}}},
      "volumeMounts": {"` + redisVolumeID + `": {"mountPath": "/data"}},
      "deploy": {
        "startCommand": "/bin/sh -c \"exec docker-entrypoint.sh redis-server --requirepass $REDIS_PASSWORD --save 60 1 --dir /data\"",
        "restartPolicyType": "ON_FAILURE",
        "restartPolicyMaxRetries": 10
      }
    }
  },
  "volumes": {"` + redisVolumeID + `": {"name": "redis-volume"}}
}`

// templateObj is the redis Template object (a fresh copy of its config).
func templateObj() (map[string]any, error) {
	var cfg map[string]any
	if err := json.Unmarshal([]byte(redisConfig), &cfg); err != nil {
		return nil, fmt.Errorf("simulator: redis template config: %w", err)
	}
	return map[string]any{
		typenameKey: "Template", "id": RedisTemplateID, "code": "redis", "name": "Redis",
		"description": "An in-memory key-value database", "category": "Storage",
		"image": "ghcr.io/railwayapp-templates/redis:8", "isApproved": true, "isV2Template": true,
		"isVerified": true, "serializedConfig": cfg,
	}, nil
}

// templateService is one service of a serializedConfig, ready to create.
type templateService struct {
	key, name, icon string
	image, repo     string
	startCommand    string
	vars            map[string]string
}

// serializedConfig is the part of a template config the simulator uses.
type serializedConfig struct {
	Services map[string]struct {
		Name   string `json:"name"`
		Icon   string `json:"icon"`
		Source struct {
			Image string `json:"image"`
			Repo  string `json:"repo"`
		} `json:"source"`
		Variables map[string]struct {
			Value        *string `json:"value"`
			DefaultValue *string `json:"defaultValue"`
		} `json:"variables"`
		Deploy struct {
			StartCommand string `json:"startCommand"`
		} `json:"deploy"`
	} `json:"services"`
}

// parseTemplate reads the services of a serializedConfig argument (a JSON
// object, or a string holding one). Each variable takes its value, else its
// defaultValue; ${{secret(...)}} generators become random strings.
func parseTemplate(v any) ([]templateService, error) {
	raw, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("serializedConfig: %w", err)
		}
		raw = string(b)
	}
	var cfg serializedConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return nil, fmt.Errorf("serializedConfig: %w", err)
	}
	if len(cfg.Services) == 0 {
		return nil, fmt.Errorf("serializedConfig: no services")
	}
	var out []templateService
	for _, key := range slices.Sorted(maps.Keys(cfg.Services)) {
		sc := cfg.Services[key]
		ts := templateService{key: key, name: sc.Name, icon: sc.Icon, image: sc.Source.Image, repo: sc.Source.Repo,
			startCommand: sc.Deploy.StartCommand, vars: map[string]string{}}
		for name, tv := range sc.Variables {
			switch {
			case tv.Value != nil:
				ts.vars[name] = generate(*tv.Value)
			case tv.DefaultValue != nil:
				ts.vars[name] = generate(*tv.DefaultValue)
			}
		}
		out = append(out, ts)
	}
	return out, nil
}

// secretPattern matches a secret generator: ${{secret(N)}} or
// ${{secret(N, "alphabet")}}.
var secretPattern = regexp.MustCompile(`\$\{\{\s*secret\(\s*(\d*)\s*(?:,\s*"([^"]*)"\s*)?\)\s*\}\}`)

// generate replaces every secret generator in s with a random string.
func generate(s string) string {
	return secretPattern.ReplaceAllStringFunc(s, func(expr string) string {
		m := secretPattern.FindStringSubmatch(expr)
		n, err := strconv.Atoi(m[1])
		if err != nil || n <= 0 {
			n = 32
		}
		alphabet := m[2]
		if alphabet == "" {
			alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		}
		return randomString(n, alphabet)
	})
}

// randomString returns n characters drawn uniformly from alphabet.
func randomString(n int, alphabet string) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf) // crypto/rand.Read never fails
	out := make([]byte, n)
	for i, b := range buf {
		out[i] = alphabet[int(b)%len(alphabet)]
	}
	return string(out)
}
