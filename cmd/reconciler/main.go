// Command reconciler keeps a Redis addon on Railway in its declared state.
// See README.md and docs/spec.md; the commands live in internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // CRON_TZ= schedules work in images without zoneinfo

	"github.com/smartlic/reconciler/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, cli.Options{
		Args:      os.Args[1:],
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		LookupEnv: os.LookupEnv,
		Now:       time.Now,
	})
	stop()
	os.Exit(code)
}
