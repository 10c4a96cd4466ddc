package spec

import "testing"

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"redis://default:hunter2@redis.railway.internal:6379", "redis://default:***@redis.railway.internal:6379"},
		{"rediss://default:hunter2@proxy.rlwy.net:12345/0", "rediss://default:***@proxy.rlwy.net:12345/0"},
		{"redis://:hunter2@host:6379", "redis://:***@host:6379"},
		{"redis://hunter2@host:6379", "redis://***@host:6379"},
		{"redis://host:6379", "redis://host:6379"},
		{"redis://default:p@ss/w:rd@host:6379/1", "redis://default:***@host:6379/1"},
		{"redis://default:pw@host:6379/0?password=x&db=1", "redis://default:***@host:6379/0?***"},
		{"https://backend.example.com/v1/health#frag", "https://backend.example.com/v1/health#***"},
		{"https://host/a b", "https://host/***"},
		{"not a url", "***"},
		{"", "***"},
		{"redis://default:pw@ho st:1", "***"},
		{"host:6379", "***"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"${{Redis.REDIS_URL}}", "${{Redis.REDIS_URL}}"},
		{"${{Redis.REDISHOST}}${{Redis.REDISPORT}}", "${{Redis.REDISHOST}}${{Redis.REDISPORT}}"},
		{"redis://default:hunter2@redis.railway.internal:6379", "redis://default:***@redis.railway.internal:6379"},
		{"redis://default:${{Redis.REDISPASSWORD}}@${{Redis.RAILWAY_PRIVATE_DOMAIN}}:6379",
			"redis://default:${{Redis.REDISPASSWORD}}@${{Redis.RAILWAY_PRIVATE_DOMAIN}}:6379"},
		{"REDIS://default:pw@host:1", "REDIS://default:***@host:1"},
		{"redis://default:pw@bad host:1", "***"},
		{"https://hooks.slack.com/services/T/B/secret", "***"},
		{"hunter2", "***"},
		{"true", "***"},
		{"prefix-${{Redis.REDIS_URL}}", "***"},
		{"${{unterminated", "***"},
	}
	for _, tt := range tests {
		if got := MaskValue(tt.in); got != tt.want {
			t.Errorf("MaskValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLooksLikeToken(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"6f1c2a4e-0b7d-4c3e-9a8f-2d5e7b9c1a3f", true},
		{"a1b2c3d4e5f6a7b8c9d0e1f2", true},
		{"production", false},
		{"production-eu-west-staging", false},
		{"pr-1234-feature-branch-x", false},
		{"a long environment name", false},
		{"short1234abcd", false},
	}
	for _, tt := range tests {
		if got := looksLikeToken(tt.in); got != tt.want {
			t.Errorf("looksLikeToken(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRedactURLsIn(t *testing.T) {
	tests := []struct{ in, want string }{
		{"no url here", "no url here"},
		{"plain https://example.com/health is fine", "plain https://example.com/health is fine"},
		{"dial redis://default:hunter2@10.0.0.5:6379: refused", "dial redis://default:***@10.0.0.5:6379: refused"},
		{`{"url":"redis://u:p4ss@h:1"}`, `{"url":"redis://u:***@h:1"}`},
		{"hook https://hooks.example.com/x?token=abc.", "hook https://hooks.example.com/x?***."},
		{"two redis://a:b1@h:1 and rediss://c:d2@h:2", "two redis://a:***@h:1 and rediss://c:***@h:2"},
	}
	for _, tt := range tests {
		if got := RedactURLsIn(tt.in); got != tt.want {
			t.Errorf("RedactURLsIn(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
