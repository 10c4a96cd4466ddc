package spec

import (
	"net/url"
	"strconv"
	"strings"
)

// privateURLAdvice says what to do about a Redis URL without a host or port:
// the shape Railway renders for a database's public URL when the service has
// no TCP proxy (databases are private by default).
const privateURLAdvice = "Railway renders a Redis URL this way (redis://default:***@:) when the Redis service has no TCP proxy: " +
	"enable a TCP proxy on the Redis service (Settings, Networking) and use its public URL, or run the reconciler inside the project"

// RedisURLProblem returns "" when raw is a Redis URL the reconciler can
// probe, else a one-line reason that never quotes the URL or any part of it
// (it holds the password). A URL with an empty host or an empty port is not
// usable: go-redis would read it as localhost:6379 and probe whatever Redis
// runs there, which is how Railway renders a private database's public URL
// (redis://default:PASSWORD@:). A URL with a host and no port at all
// (redis://host) uses the default port 6379 and is usable.
func RedisURLProblem(raw string) string {
	if raw == "" {
		return "the Redis URL is empty"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return "the Redis URL does not parse as a URL"
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return "the Redis URL must start with redis:// or rediss://"
	}
	host, port := u.Hostname(), u.Port()
	hasPort := strings.HasSuffix(u.Host, ":") || port != ""
	switch {
	case host == "" && hasPort && port == "":
		return "the Redis URL has an empty host and an empty port, which go-redis would read as localhost:6379; " + privateURLAdvice
	case host == "":
		return "the Redis URL has an empty host, which go-redis would read as localhost; " + privateURLAdvice
	case hasPort && port == "":
		return "the Redis URL has an empty port, which go-redis would read as 6379; " + privateURLAdvice
	case port != "":
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "the Redis URL's port must be a number from 1 to 65535"
		}
	}
	return ""
}
