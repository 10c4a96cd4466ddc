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
func (u *unit) startReporting(sp *spec.Spec) error {
	sinks, err := u.newSinks(sp)
	if err != nil {
		return err
	}
	u.sinks.Store(sinks)
	u.notifier.Store(u.newNotifier(sp, sinks))
	return nil
}

func (u *unit) newSinks(sp *spec.Spec) (*report.Sinks, error) {
	c := u.c
	sinks, err := report.NewSinks(sp.Report.Sinks, report.SinkOptions{
		Stdout: c.opts.Stdout, Logger: c.opts.Logger, Now: c.opts.Now,
		OnSinkError: u.m.sinkFailed,
	})
	if err != nil {
		return nil, fmt.Errorf("building the report sinks: %w", err)
	}
	for _, k := range sinks.List() {
		u.m.initSink(k.Name())
	}
	for _, k := range sinks.Webhooks() {
		u.m.initNotify(k.Name())
	}
	return sinks, nil
}

// newNotifier builds the unit's notifier: its messages name the unit.
func (u *unit) newNotifier(sp *spec.Spec, sinks *report.Sinks) *report.Notifier {
	return report.NewNotifier(report.NotifierOptions{
		Sinks: sinks.Webhooks(), Name: u.name, Addon: addon.Redis.Name, Logger: u.c.opts.Logger,
		Secrets: report.SecretsOf(sp, u.c.secrets()...), OnSinkError: u.m.notifyFailed,
	})
}

// reloadReporting replaces the sinks (and the notifier, whose webhooks
// they are) when report.sinks changed. The old notifier delivers what it
// holds in the background.
func (u *unit) reloadReporting(old, sp *spec.Spec) {
	if reflect.DeepEqual(old.Report.Sinks, sp.Report.Sinks) {
		return
	}
	sinks, err := u.newSinks(sp)
	if err != nil {
		u.log.Error("report sinks unchanged after a reload", zap.Error(err))
		return
	}
	u.sinks.Store(sinks)
	prev := u.notifier.Swap(u.newNotifier(sp, sinks))
	go u.c.drainNotifier(prev, notifierDrain)
	u.log.Info("report sinks changed", zap.Int("sinks", len(sinks.List())), zap.Int("webhooks", len(sinks.Webhooks())))
}

// closeNotifier drains the unit's notifier within d.
func (u *unit) closeNotifier(d time.Duration) { u.c.drainNotifier(u.notifier.Load(), d) }

// drainNotifier drains n within d.
func (c *Controller) drainNotifier(n *report.Notifier, d time.Duration) {
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
func (u *unit) deliverReport(ctx context.Context, rec *reconcile.Reconciler) error {
	sp := rec.Spec()
	format, err := report.ParseFormat(sp.Report.Format)
	if err != nil {
		return err
	}
	r := report.Build(report.Input{Spec: sp, State: rec.State(), Now: u.c.opts.Now(), Secrets: u.c.secrets()})
	derr := u.sinks.Load().Deliver(ctx, r, format) // each failure already logged and counted
	u.history.ObserveReport(r.GeneratedAt, string(r.Status), r.Verdict)
	merr := rec.Update(func(st *state.State) { report.MarkDelivered(st, r) })
	u.log.Info("drift report written", zap.String("status", string(r.Status)), zap.String("verdict", r.Verdict),
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
