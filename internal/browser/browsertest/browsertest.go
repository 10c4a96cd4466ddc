// Package browsertest starts a headless Chromium for a test and closes it
// in t.Cleanup. It is the only part of internal/browser that imports
// testing.
package browsertest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/smartlic/reconciler/internal/browser"
)

// startTimeout bounds the browser's start on a loaded machine.
const startTimeout = 90 * time.Second

// Start launches a browser for t (window width×height; 0 for the default)
// and returns the chromedp context of its tab. Without Chromium the test
// is skipped, unless CI=true, where it fails: CI must run the real thing.
// The browser's output is logged when the test fails.
func Start(t testing.TB, width, height int) context.Context {
	t.Helper()
	path, err := browser.Find()
	if errors.Is(err, browser.ErrNotInstalled) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	out := &syncBuffer{}
	tab, stop, err := browser.Start(context.Background(), browser.Options{ExecPath: path,
		DataDir: t.TempDir() + "/profile", Width: width, Height: height, Output: out, StartTimeout: startTimeout})
	if err != nil {
		t.Fatalf("start chromium: %v\n%s", err, out.String())
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("chromium output:\n%s", out.String())
		}
	})
	return tab
}

// syncBuffer is a bytes.Buffer safe for the browser's writer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
