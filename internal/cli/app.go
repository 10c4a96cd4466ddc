package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/redis/go-redis/v9"

	"github.com/smartlic/reconciler/spec"
)

// Options is what Run takes from the process. Tests fill it with buffers and
// a fake environment.
type Options struct {
	// Args are the command-line arguments without the program name.
	Args []string
	// Stdout and Stderr are the process streams; logs go to Stderr,
	// command results to Stdout.
	Stdout, Stderr io.Writer
	// LookupEnv reads the environment (os.LookupEnv); nil is an empty one.
	LookupEnv func(string) (string, bool)
	// Now is the clock (time.Now); nil means time.Now.
	Now func() time.Time
	// Logger, when set, replaces the logger built from --log-format and
	// --log-level (tests pass zaptest.NewLogger(t)).
	Logger *zap.Logger
}

// App is what every command gets: the process's streams, environment and
// clock, the spec path and the logger, both resolved from the global flags
// before the command's RunE is called.
type App struct {
	// Stdout and Stderr are the process streams: results go to Stdout,
	// logs and errors to Stderr. Never nil.
	Stdout, Stderr io.Writer
	// LookupEnv reads the environment (spec interpolation, tokens, PORT).
	LookupEnv func(string) (string, bool)
	// Now is the clock; pass it on instead of calling time.Now.
	Now func() time.Time

	// Logger is built once from --log-format and --log-level.
	Logger *zap.Logger
	// File is the spec path: --file, else $RECONCILER_FILE, else
	// desired.yaml; the first of Files.
	File string
	// Files are the -f paths (files or directories of a fleet).
	Files []string

	files          []string
	logFormat      *enumValue
	logLevel       *enumValue
	loggerOverride *zap.Logger
	ran            bool // a command's RunE was reached (see report)
}

// Run executes the command line in o.Args and returns the exit code. ctx is
// handed to the command (cmd.Context()); cancel it on SIGINT/SIGTERM.
func Run(ctx context.Context, o Options) int {
	app := &App{
		Stdout: o.Stdout, Stderr: o.Stderr,
		LookupEnv: o.LookupEnv, Now: o.Now, loggerOverride: o.Logger,
	}
	if app.Stdout == nil {
		app.Stdout = io.Discard
	}
	if app.Stderr == nil {
		app.Stderr = io.Discard
	}
	if app.LookupEnv == nil {
		app.LookupEnv = func(string) (string, bool) { return "", false }
	}
	if app.Now == nil {
		app.Now = time.Now
	}
	root := newRoot(app)
	root.SetArgs(o.Args)
	cmd, err := root.ExecuteContextC(ctx)
	code := exitCode(app.Stderr, cmd, err, app.ran)
	if app.Logger != nil {
		_ = app.Logger.Sync() // stderr often cannot sync; nothing is lost
	}
	return code
}

// setup resolves the spec path and builds the logger; the root calls it once
// before a command runs. Its errors carry their exit code.
func (app *App) setup(flags interface{ Changed(string) bool }) error {
	app.Files = app.files
	if len(app.Files) == 0 {
		app.Files = []string{"desired.yaml"}
	}
	switch {
	case flags.Changed("file") && slices.Contains(app.files, ""):
		return WithExitCode(ExitInvalid, errors.New("the spec file path is empty: pass -f FILE or set RECONCILER_FILE"))
	case !flags.Changed("file"):
		if v, ok := app.LookupEnv("RECONCILER_FILE"); ok && v != "" {
			app.Files = []string{v}
		}
	}
	app.File = app.Files[0]
	if app.loggerOverride != nil {
		app.Logger = app.loggerOverride
		return nil
	}
	log, err := newLogger(app.format(), app.logLevel.value, app.Stderr, app.Now)
	if err != nil {
		return WithExitCode(ExitFailure, fmt.Errorf("building the logger: %w", err))
	}
	app.Logger = log
	// go-redis logs every failed dial through its own global logger,
	// straight to stderr: a flood that breaks JSON logs while Redis is
	// down. This process is ours: route it to the logger (debug level).
	// Tests, which share a process, pass their own logger and skip this.
	redis.SetLogger(redisLogger{log})
	return nil
}

// format is --log-format, else console on a terminal and json otherwise.
func (app *App) format() string {
	switch {
	case app.logFormat.value != "":
		return app.logFormat.value
	case isTerminal(app.Stderr):
		return "console"
	}
	return "json"
}

// redisLogger adapts zap to go-redis's internal logger, at debug level (a
// dial error names host:port, never the password).
type redisLogger struct{ log *zap.Logger }

// Printf implements go-redis's internal.Logging.
func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	if ce := l.log.Check(zap.DebugLevel, "go-redis"); ce != nil {
		ce.Write(zap.String("message", fmt.Sprintf(format, v...)))
	}
}

// loadSpec loads the spec at app.File; any problem with it exits 3.
func loadSpec(app *App) (*spec.Spec, error) {
	s, err := spec.Load(app.File, app.LookupEnv)
	if err != nil {
		return nil, WithExitCode(ExitInvalid, err)
	}
	app.Logger.Debug("spec loaded", zap.String("file", s.File), zap.String("hash", s.Hash))
	return s, nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// newLogger builds the process logger: JSON or console lines on w at level.
func newLogger(format, level string, w io.Writer, now func() time.Time) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	cfg := zap.NewProductionEncoderConfig()
	cfg.TimeKey = "ts"
	cfg.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	var enc zapcore.Encoder
	if format == "console" {
		cfg.EncodeLevel = zapcore.CapitalLevelEncoder
		cfg.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		enc = zapcore.NewConsoleEncoder(cfg)
	} else {
		enc = zapcore.NewJSONEncoder(cfg)
	}
	sink := zapcore.Lock(zapcore.AddSync(w))
	return zap.New(zapcore.NewCore(enc, sink, lvl), zap.ErrorOutput(sink), zap.WithClock(clock(now))), nil
}

// clock adapts a now function to zapcore.Clock.
type clock func() time.Time

func (c clock) Now() time.Time                         { return c() }
func (c clock) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }
