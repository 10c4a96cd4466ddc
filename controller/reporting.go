package controller

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/addon"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/report"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// notifierDrain bounds how long a replaced notifier may take to deliver
// what it still holds.
const notifierDrain = 30 * time.Second

// startReporting builds the report sinks and the notifier of sp. Sinks
// and notifier are replaced on reload when report.sinks changes.
func (c *Controller) startReporting(sp *spec.Spec) error {
	sinks, err := c.newSinks(sp)
	if err != nil {
		return err
	}
	c.sinks.Store(sinks)
	c.notifier.Store(c.newNotifier(sp, sinks))
	return nil
}

func (c *Controller) newSinks(sp *spec.Spec) (*report.Sinks, error) {
	sinks, err := report.NewSinks(sp.Report.Sinks, report.SinkOptions{
		Stdout: c.opts.Stdout, Logger: c.opts.Logger, Now: c.opts.Now,
		OnSinkError: func(sink string) { c.m.sinkFailures.WithLabelValues(sink).Inc() },
	})
	if err != nil {
		return nil, fmt.Errorf("building the report sinks: %w", err)
	}
	for _, k := range sinks.List() {
		c.m.sinkFailures.WithLabelValues(k.Name())
	}
	for _, k := range sinks.Webhooks() {
		c.m.notifyFailures.WithLabelValues(k.Name())
	}
	return sinks, nil
}

func (c *Controller) newNotifier(sp *spec.Spec, sinks *report.Sinks) *report.Notifier {
	return report.NewNotifier(report.NotifierOptions{
		Sinks: sinks.Webhooks(), Name: sp.Name, Addon: addon.Redis.Name, Logger: c.opts.Logger, Secrets: report.SecretsOf(sp, c.secrets()...),
		OnSinkError: func(sink string) { c.m.notifyFailures.WithLabelValues(sink).Inc() },
	})
}

// notify hands an event to the notifier; it only enqueues (safe under the
// reconciler's lock).
func (c *Controller) notify(e state.Event) {
	if n := c.notifier.Load(); n != nil {
		n.Notify(e)
	}
}

// reloadReporting replaces the sinks (and the notifier, whose webhooks
// they are) when report.sinks changed. The old notifier delivers what it
// holds in the background.
func (c *Controller) reloadReporting(old, sp *spec.Spec) {
	if reflect.DeepEqual(old.Report.Sinks, sp.Report.Sinks) {
		return
	}
	sinks, err := c.newSinks(sp)
	if err != nil {
		c.log.Error("report sinks unchanged after a reload", zap.Error(err))
		return
	}
	c.sinks.Store(sinks)
	prev := c.notifier.Swap(c.newNotifier(sp, sinks))
	go c.closeNotifier(prev, notifierDrain)
	c.log.Info("report sinks changed", zap.Int("sinks", len(sinks.List())), zap.Int("webhooks", len(sinks.Webhooks())))
}

// closeNotifier drains n within d.
func (c *Controller) closeNotifier(n *report.Notifier, d time.Duration) {
	if n == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := n.Close(ctx); err != nil {
		c.log.Warn("notifications not delivered before closing", zap.Error(err))
	}
}

// deliverReport builds the report from rec's state (after the report
// job's fresh pass), delivers it to every sink, and starts the next
// report's period in the state, whatever the sinks answered.
func (c *Controller) deliverReport(ctx context.Context, rec *reconcile.Reconciler) error {
	sp := rec.Spec()
	format, err := report.ParseFormat(sp.Report.Format)
	if err != nil {
		return err
	}
	r := report.Build(report.Input{Spec: sp, State: rec.State(), Now: c.opts.Now(), Secrets: c.secrets()})
	derr := c.sinks.Load().Deliver(ctx, r, format) // each failure already logged and counted
	c.history.ObserveReport(r.GeneratedAt, string(r.Status), r.Verdict)
	merr := rec.Update(func(st *state.State) { report.MarkDelivered(st, r) })
	c.log.Info("drift report written", zap.String("status", string(r.Status)), zap.String("verdict", r.Verdict),
		zap.Bool("allSinks", derr == nil))
	if merr != nil {
		merr = fmt.Errorf("recording the report in the state: %w", merr)
	}
	return errors.Join(derr, merr)
}

// secrets are the values every report and message masks besides the
// spec's own: the Railway token.
func (c *Controller) secrets() []spec.Secret {
	var out []spec.Secret
	for _, env := range []string{railway.EnvAPIToken, railway.EnvProjectToken} {
		if v, ok := c.opts.LookupEnv(env); ok && v != "" {
			out = append(out, spec.NewSecret(v))
		}
	}
	return out
}
