package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

const initLong = `Write a starting spec from a live Railway project: it reads the environment
(its services, their images and raw variables; nothing is changed) and finds

  - the addon: the service running a Redis or Valkey image. With none,
    the spec has apply create one from Railway's redis template. With
    several, the only one other services use is chosen; otherwise init
    stops and lists them: choose with --addon NAME.
  - the consumers: the services whose variables reference the addon
    (${{Redis.REDIS_URL}} and friends), copied as written. A reference to
    a service that no longer exists (renamed or deleted) is pointed at the
    addon, and init says so. With no reference at all, the services with a
    REDIS... variable, else the only application service; otherwise init
    stops: name them with --consumer NAME.

The spec validates, is commented, interpolates the project id
(projectId: ${RAILWAY_PROJECT_ID}, never a literal), and holds no secret: a
value with literal text that may be a password is not copied. A health
endpoint is written only with --health-url. An existing file is kept unless
--force is given. --out defaults to the spec path (-f, desired.yaml).

Exit 0 written, 1 Railway could not be read, 3 a flag is missing or wrong,
the file exists, or a choice needs --addon or --consumer.`

// initFlags are init's flags.
type initFlags struct {
	project, environment, out, healthURL, endpoint, addon string
	consumers                                             []string
	force                                                 bool
}

func newInitCmd(a *App) *cobra.Command {
	var f initFlags
	cmd := &cobra.Command{
		Use:     "init",
		Short:   "Write a starting spec from a live Railway project",
		Long:    initLong,
		Example: "  reconciler init --project $RAILWAY_PROJECT_ID --environment production",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(cmd, a); err != nil {
				return err
			}
			return runInit(cmd.Context(), a, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.project, "project", "", "the Railway project id (default $RAILWAY_PROJECT_ID)")
	fl.StringVar(&f.environment, "environment", "", "the environment's name (or id)")
	fl.StringVar(&f.out, "out", "", "the file to write (default: the spec path, -f)")
	fl.BoolVar(&f.force, "force", false, "overwrite the file if it exists")
	fl.StringVar(&f.healthURL, "health-url", "", "a consumer's health endpoint, to probe (http or https)")
	fl.StringVar(&f.addon, "addon", "", "the Redis service to manage, when the environment has several")
	fl.StringArrayVar(&f.consumers, "consumer", nil, "a service that uses Redis (repeatable); default: found from the variables")
	fl.StringVar(&f.endpoint, "endpoint", spec.DefaultEndpoint, "Railway's GraphQL endpoint")
	return cmd
}

// check completes and checks the flags before anything is read: a problem
// exits 3 with the usage line, an existing file exits 3.
func (f *initFlags) check(cmd *cobra.Command, a *App) error {
	if f.project == "" {
		f.project, _ = a.LookupEnv("RAILWAY_PROJECT_ID")
	}
	if f.out == "" {
		f.out = a.File
	}
	var problem string
	switch {
	case f.project == "":
		problem = "--project is required (or RAILWAY_PROJECT_ID in the environment)"
	case f.environment == "":
		problem = "--environment is required: the environment's name, e.g. production"
	case f.healthURL != "" && !httpURL(f.healthURL):
		problem = "--health-url must be an http or https URL"
	}
	if problem != "" {
		return &usageError{cmd: cmd, err: errors.New(problem)}
	}
	if _, err := os.Lstat(f.out); err == nil && !f.force {
		return WithExitCode(ExitInvalid, fmt.Errorf("%s exists: init never overwrites a file without --force (or write elsewhere with --out FILE)", f.out))
	}
	return nil
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// runInit reads the environment, writes the spec and says what it found.
func runInit(ctx context.Context, a *App, f initFlags) error {
	client, err := initClient(a, f.endpoint)
	if err != nil {
		return failure(err)
	}
	if err := client.CheckAccessTo(ctx, f.project, f.environment); err != nil {
		return failure(err)
	}
	p, err := client.Project(ctx, f.project)
	if err != nil {
		return failure(fmt.Errorf("reading project %s: %w", f.project, err))
	}
	env, ok := p.Environment(f.environment)
	if !ok {
		return failure(fmt.Errorf("environment %q not found in project %q (%s)", f.environment, p.Name, p.ID))
	}
	obs, err := client.ObserveAll(ctx, p.ID, env.ID)
	if err != nil {
		return failure(fmt.Errorf("reading the services of %q: %w", env.Name, err))
	}
	found, err := initDiscover(obs, env.Name, initChoice{Addon: f.addon, Consumers: f.consumers})
	if errors.Is(err, errInitAmbiguous) {
		return WithExitCode(ExitInvalid, err)
	}
	if err != nil {
		return failure(err)
	}
	doc := initDoc{Name: specName(p.Name + "-" + env.Name), Project: p.Name, Environment: env.Name,
		Endpoint: f.endpoint, HealthURL: f.healthURL, Found: found, Now: a.Now()}
	if doc.Name == "" {
		doc.Name = "reconciler"
	}
	data := doc.render()
	if err := checkWritten(f.out, data, p.ID); err != nil {
		return failure(err)
	}
	if err := state.WriteFileAtomic(f.out, data, 0o644); err != nil {
		return failure(fmt.Errorf("writing %s: %w", f.out, err))
	}
	return writeInitSummary(a.Stdout, f, doc, p.ID)
}

// initClient builds a Railway client from the environment's token.
func initClient(a *App, endpoint string) (*railway.Client, error) {
	creds, err := railway.CredentialsFromEnv(a.LookupEnv)
	if err != nil {
		return nil, err
	}
	return railway.New(railway.Options{Endpoint: endpoint, Credentials: creds, Version: Build().Version,
		Logger: a.Logger, Now: a.Now, LogAttempts: true})
}

// checkWritten parses what init is about to write, as validate would with
// RAILWAY_PROJECT_ID set: init writes only specs that validate.
func checkWritten(path string, data []byte, projectID string) error {
	lookup := func(k string) (string, bool) {
		if k == "RAILWAY_PROJECT_ID" {
			return projectID, true
		}
		return "", false
	}
	if _, err := spec.Parse(path, data, lookup); err != nil {
		return fmt.Errorf("init made a spec that does not validate, and wrote nothing (a bug; please report it): %w", err)
	}
	return nil
}

// writeInitSummary says what was written and what to run next.
func writeInitSummary(w io.Writer, f initFlags, doc initDoc, projectID string) error {
	var b strings.Builder
	found := doc.Found
	fmt.Fprintf(&b, "wrote %s from project %q, environment %q:\n", f.out, doc.Project, doc.Environment)
	if found.Exists {
		fmt.Fprintf(&b, "  addon     %s (found, image %s)\n", found.Addon, imageOrUnknown(found.AddonImage))
	} else {
		fmt.Fprintf(&b, "  addon     %s (not found: apply creates it)\n", found.Addon)
	}
	for _, c := range found.Consumers {
		fmt.Fprintf(&b, "  consumer  %s: %s\n", c.Service, strings.Join(varList(c.Vars), ", "))
	}
	if len(found.Notes) > 0 {
		b.WriteString("notes (also in the file):\n")
		for _, n := range found.Notes {
			fmt.Fprintf(&b, "  - %s\n", n)
		}
	}
	fmt.Fprintf(&b, "next:\n  export RAILWAY_PROJECT_ID=%s\n  reconciler validate -f %s\n  reconciler doctor -f %s\n  reconciler plan -f %s\n",
		projectID, f.out, f.out, f.out)
	_, err := io.WriteString(w, b.String())
	return err
}

func varList(vars map[string]string) []string {
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+" = "+v)
	}
	slices.Sort(out)
	return out
}
