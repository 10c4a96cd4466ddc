package browsertest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smartlic/reconciler/internal/browser/browsertest"
)

// TestStartDrivesAPage: the launcher's flags give a browser that loads a
// local page and runs its script.
func TestStartDrivesAPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`<!doctype html><title>t</title><p id="p">static</p><script>document.getElementById('p').textContent='scripted'</script>`))
	}))
	defer srv.Close()
	tab := browsertest.Start(t, 0, 0)
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("p")))
	if err != nil || got != "scripted" {
		t.Errorf("text = %q, %v; want the script's", got, err)
	}
}
