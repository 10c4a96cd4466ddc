package spec

import (
	"strings"
	"testing"
)

func TestRedisURLProblem(t *testing.T) {
	const pw = "hunter2-secret"
	tests := []struct {
		url  string
		want string // a substring of the reason; "" means usable
	}{
		{"redis://default:" + pw + "@proxy.rlwy.net:12345", ""},
		{"rediss://default:" + pw + "@redis.railway.internal:6379/0", ""},
		{"redis://localhost", ""}, // no port at all: the default 6379, on purpose
		{"redis://[::1]:6380", ""},
		{"redis://default:" + pw + "@:", "empty host and an empty port, which go-redis would read as localhost:6379"},
		{"redis://default:" + pw + "@:6379", "empty host, which go-redis would read as localhost"},
		{"redis://:6379", "empty host"},
		{"redis://", "empty host"},
		{"redis://default:" + pw + "@proxy.rlwy.net:", "empty port, which go-redis would read as 6379"},
		{"redis://default:" + pw + "@host:0", "port must be a number from 1 to 65535"},
		{"redis://default:" + pw + "@host:99999", "port must be a number from 1 to 65535"},
		{"redis://default:" + pw + "@host:port", "does not parse"},
		{"http://default:" + pw + "@host:6379", "must start with redis:// or rediss://"},
		{"default:" + pw + "@host", "does not parse"},
		{"", "empty"},
	}
	for _, tt := range tests {
		got := RedisURLProblem(tt.url)
		switch {
		case tt.want == "" && got != "":
			t.Errorf("RedisURLProblem(%q) = %q, want usable", RedactURL(tt.url), got)
		case tt.want != "" && !strings.Contains(got, tt.want):
			t.Errorf("RedisURLProblem(%q) = %q, want it to contain %q", RedactURL(tt.url), got, tt.want)
		}
		if strings.Contains(got, pw) || strings.Contains(got, "\n") {
			t.Errorf("RedisURLProblem(%q) = %q: leaks the password or spans lines", RedactURL(tt.url), got)
		}
		if strings.Contains(got, "empty host") || strings.Contains(got, "empty port") {
			if !strings.Contains(got, "enable a TCP proxy on the Redis service") {
				t.Errorf("RedisURLProblem(%q) = %q: does not say what to do", RedactURL(tt.url), got)
			}
		}
	}
}

// TestRedisURLInSpec checks health.redis.url after interpolation: Railway's
// public URL of a private database is an error with its position, and the
// message never quotes the URL.
func TestRedisURLInSpec(t *testing.T) {
	const pw = "p4ss-from-env"
	env := map[string]string{"RAILWAY_PROJECT_ID": "p", "REDIS_PUBLIC_URL": "redis://default:" + pw + "@:"}
	doc := minimal + "health:\n  redis:\n    url: ${REDIS_PUBLIC_URL}\n"
	_, err := Parse("desired.yaml", []byte(doc), lookup(env))
	if err == nil {
		t.Fatal("want an error for an empty host and port")
	}
	if !strings.HasPrefix(err.Error(), "desired.yaml:14:10: health.redis.url: the Redis URL has an empty host and an empty port") || strings.Contains(err.Error(), pw) {
		t.Errorf("error = %v", err)
	}
	// Empty after interpolation: the addon's own URL, no error.
	env["REDIS_PUBLIC_URL"] = ""
	if _, err := Parse("desired.yaml", []byte(minimal+"health:\n  redis:\n    url: ${REDIS_PUBLIC_URL:-}\n"), lookup(env)); err != nil {
		t.Errorf("empty url: %v", err)
	}
}
