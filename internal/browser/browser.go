// Package browser starts a headless Chromium for the tests that drive the
// status page through chromedp. It finds the Debian `chromium` package's
// binary, launches it with the flags a machine without Internet access
// needs (no background networking, no component updates, no QUIC), in a
// fresh profile directory, and hands back a chromedp context.
package browser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/chromedp"
)

// ErrNotInstalled says that no Chromium binary was found.
var ErrNotInstalled = errors.New("chromium is not installed (Debian: apt-get install -y chromium)")

// candidates are the binaries Find tries, in order: the Debian package's
// launcher first, then names looked up in PATH.
var candidates = []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// Flags are passed to every browser started here. Without the ones that
// stop background traffic, a closed network refuses many connections and
// the browser stalls.
var Flags = []string{
	"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
	"disable-background-networking", "disable-component-update", "disable-sync",
	// Steadier runs and screenshots: no extensions, no shared-memory
	// limits of containers, no scrollbars, one colour profile.
	"disable-extensions", "disable-dev-shm-usage", "hide-scrollbars", "mute-audio",
	"no-default-browser-check", "disable-default-apps",
}

// Find returns the path of a Chromium binary, or ErrNotInstalled.
func Find() (string, error) {
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", ErrNotInstalled
}

// Options configure Start.
type Options struct {
	// ExecPath is the browser binary; default Find's answer.
	ExecPath string
	// DataDir is the profile directory: it must be fresh (empty or absent)
	// and is left for the caller to remove. Required.
	DataDir string
	// Width and Height are the window size; default 1280×900.
	Width, Height int
	// Output receives the browser's stdout and stderr; default discarded.
	Output io.Writer
	// StartTimeout bounds the launch; default DefaultStartTimeout.
	StartTimeout time.Duration
}

// DefaultStartTimeout bounds a launch on a loaded machine.
const DefaultStartTimeout = 60 * time.Second

// Start launches the browser and opens one tab. The returned context
// drives that tab (derive per-step deadlines from it with
// context.WithTimeout); stop closes the browser and waits for it to exit.
// ctx bounds the whole browser's life.
func Start(ctx context.Context, o Options) (tab context.Context, stop func(), err error) {
	if o.DataDir == "" {
		return nil, nil, errors.New("browser: no profile directory")
	}
	if o.ExecPath == "" {
		if o.ExecPath, err = Find(); err != nil {
			return nil, nil, err
		}
	}
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 1280, 900
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.Output == nil {
		o.Output = io.Discard
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("browser: profile directory: %w", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(o.ExecPath), chromedp.UserDataDir(o.DataDir),
		chromedp.WindowSize(o.Width, o.Height), chromedp.CombinedOutput(o.Output),
	}
	for _, f := range Flags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	stop = func() { cancelTab(); cancelAlloc() }
	timer := time.AfterFunc(o.StartTimeout, cancelTab)
	err = chromedp.Do(tab) // starts the browser and the tab
	if !timer.Stop() {
		err = fmt.Errorf("no answer within %s: %w", o.StartTimeout, context.DeadlineExceeded)
	}
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("browser: starting %s: %w", o.ExecPath, err)
	}
	return tab, stop, nil
}
