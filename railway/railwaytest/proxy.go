package railwaytest

import "fmt"

// AddTCPProxy gives a service instance a public TCP proxy at domain:port
// (forwarding to applicationPort, 6379 when 0), as the dashboard's "Public
// Access" does: RAILWAY_TCP_PROXY_DOMAIN, RAILWAY_TCP_PROXY_PORT and
// RAILWAY_TCP_APPLICATION_PORT then render, and with them a Redis
// template's REDIS_PUBLIC_URL. Point it at a real redis-server to make the
// service reachable from here. It never deploys.
func (s *Server) AddTCPProxy(envID, serviceID, domain string, port, applicationPort int) {
	s.lock()
	defer s.unlock()
	_, in, err := s.m.instanceOf(envID, serviceID)
	if err != nil {
		panic(fmt.Sprintf("railwaytest: AddTCPProxy: %v", err))
	}
	if applicationPort == 0 {
		applicationPort = 6379
	}
	in.proxy = &tcpProxy{id: s.m.newID(kindProxy), domain: domain, port: port, targetPort: applicationPort}
}

// qTCPProxies lists a service instance's TCP proxies (none or one).
func (s *Server) qTCPProxies(c *call, args map[string]any) (any, error) {
	s.lock()
	defer s.unlock()
	svc, in, err := s.findInstance(c, argString(args, "environmentId"), argString(args, "serviceId"))
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	if p := in.proxy; p != nil {
		out = append(out, map[string]any{
			typenameKey: "TCPProxy", "id": p.id, "domain": p.domain, "proxyPort": p.port, "applicationPort": p.targetPort,
			"environmentId": in.envID, "serviceId": svc.id, "syncStatus": "ACTIVE",
			"createdAt": dateTime(in.createdAt), "updatedAt": dateTime(in.createdAt), "deletedAt": nil,
		})
	}
	return out, nil
}
