package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/report"
	"github.com/smartlic/reconciler/spec"
)

// endpointChecks fetches each health endpoint once, concurrently, within
// probeTimeout, as a probe round does.
func (d *doctor) endpointChecks(ctx context.Context) []doctorCheck {
	eps := d.sp.Health.Endpoints
	out := make([]doctorCheck, len(eps))
	p := probes.NewEndpointProbe(probes.EndpointOptions{Logger: d.log})
	defer p.CloseIdleConnections()
	var wg sync.WaitGroup
	for i, ep := range eps {
		wg.Go(func() { out[i] = d.endpointCheck(ctx, p, i, ep) })
	}
	wg.Wait()
	return out
}

func (d *doctor) endpointCheck(ctx context.Context, p *probes.EndpointProbe, i int, ep spec.Endpoint) doctorCheck {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	c := p.Probe(ctx, ep, false)
	name, shown := "endpoint/"+ep.Name, spec.RedactURL(ep.URL)
	want := ep.Status
	if want == 0 {
		want = spec.DefaultEndpointStatus
	}
	switch {
	case c.OK:
		return doctorOK(name, fmt.Sprintf("%s answers %d in %s", shown, want, fmtLatency(c.Latency.Seconds()*1000)))
	case c.Step == probes.StepExpect:
		return doctorOK(name, fmt.Sprintf("%s answers %d; its expect checks do not pass now (%s): they count once the consumer is bound to Redis", shown, want, c.Message))
	case c.Step == probes.StepStatus:
		return doctorFail(name, fmt.Sprintf("%s: %s", shown, c.Message), fmt.Sprintf("check health.endpoints[%d].url and .status against what the app serves", i))
	case c.Step == probes.StepBody:
		return doctorFail(name, fmt.Sprintf("%s: %s", shown, c.Message), fmt.Sprintf("point health.endpoints[%d].url at the app's JSON health report, or remove its expect checks", i))
	}
	return doctorFail(name, fmt.Sprintf("%s does not answer from here: %s", shown, c.Message),
		fmt.Sprintf("check health.endpoints[%d].url: the app must be up and reachable from where the reconciler runs (a Railway public domain, or its private domain from inside the project)", i))
}

// webhooks returns the spec's webhook sinks, in order.
func (d *doctor) webhooks() []spec.Sink {
	var out []spec.Sink
	for _, s := range d.sp.Report.Sinks {
		if s.Kind == spec.SinkWebhook {
			out = append(out, s)
		}
	}
	return out
}

// webhookChecks checks that each webhook's URL parses and, with
// --send-test, posts one test message to it. The URL is never shown.
func (d *doctor) webhookChecks(ctx context.Context) []doctorCheck {
	hooks := d.webhooks()
	out := make([]doctorCheck, len(hooks))
	var wg sync.WaitGroup
	for i, s := range hooks {
		wg.Go(func() { out[i] = d.webhookCheck(ctx, i+1, s) })
	}
	wg.Wait()
	return out
}

func (d *doctor) webhookCheck(ctx context.Context, n int, s spec.Sink) doctorCheck {
	name := fmt.Sprintf("webhook/%d", n)
	u, err := url.Parse(s.URL.Value())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return doctorFail(name, fmt.Sprintf("webhook #%d's URL is not an http or https URL (not shown: it is a secret)", n),
			"fix the webhook URL in report.sinks (or the variable it interpolates, e.g. SLACK_WEBHOOK_URL)")
	}
	parsed := fmt.Sprintf("webhook #%d: an %s URL that parses (not shown: it is a secret)", n, u.Scheme)
	if !d.sendTest {
		return doctorOK(name, parsed+"; --send-test posts a test message to it")
	}
	if err := d.sendTestMessage(ctx, s); err != nil {
		return doctorFail(name, fmt.Sprintf("%s, but the test message failed: %v", parsed, err),
			"check the webhook in Slack (or the receiving service): a 404 or 410 means it was removed; 403, that it is not allowed to post there")
	}
	return doctorOK(name, parsed+"; a test message was posted and accepted")
}

// sendTestMessage posts one notification through the report package's
// webhook sink (one attempt).
func (d *doctor) sendTestMessage(ctx context.Context, s spec.Sink) error {
	ctx, cancel := context.WithTimeout(ctx, d.slowTimeout())
	defer cancel()
	sinks, err := report.NewSinks([]spec.Sink{s}, report.SinkOptions{HTTPClient: &http.Client{}, Logger: d.log, Now: d.now, MaxAttempts: 1})
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("reconciler doctor: a test message for %q. Reports and notifications of this reconciler will arrive here.", d.sp.Name)
	return sinks.Webhooks()[0].Send(ctx, nil, []byte(msg))
}
