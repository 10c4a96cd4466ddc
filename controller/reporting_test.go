package controller_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartlic/reconciler/state"
)

func TestReportJobDeliversAndRecords(t *testing.T) {
	h := newHarness(t)
	dir := filepath.Join(h.dir, "reports")
	doc := strings.Replace(specText(t, h), `report: "@every 1h"`, `report: "@every 2s"`, 1)
	h.writeRaw(doc + "report:\n  format: json\n  sinks:\n    - file: " + dir + "\n")
	h.converge()

	var files []os.DirEntry
	h.waitFor(5*time.Second, "a report file", func() bool {
		files, _ = os.ReadDir(dir)
		return len(files) > 0
	})
	b, err := os.ReadFile(filepath.Join(dir, files[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	if rep["name"] != "smartlic-test" {
		t.Errorf("report name = %v", rep["name"])
	}
	h.waitFor(5*time.Second, "the delivery recorded in the state", func() bool {
		st, err := state.Read(h.statePath)
		return err == nil && !st.Report.LastAt.IsZero()
	})
	if v, _ := value(h.scrape(), "reconciler_reports_total", map[string]string{"result": "ok"}); v < 1 {
		t.Errorf("reconciler_reports_total{result=ok} = %v", v)
	}
}

func TestRollbackIsNotifiedToWebhooks(t *testing.T) {
	var (
		mu   sync.Mutex
		msgs []string
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		msgs = append(msgs, string(b))
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	h := newHarness(t)
	h.writeRaw(specText(t, h) + "report:\n  sinks:\n    - webhook: " + hook.URL + "/hook\n")
	h.converge()
	h.redis.Kill()
	h.waitFor(10*time.Second, "a rollback notification", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			if strings.Contains(strings.ToLower(m), "roll") {
				return true
			}
		}
		return false
	})
	if v, ok := value(h.scrape(), "reconciler_notification_failures_total", map[string]string{"sink": "webhook #1"}); !ok || v != 0 {
		t.Errorf("reconciler_notification_failures_total{sink=webhook #1} = %v, %v", v, ok)
	}
}
