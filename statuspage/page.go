package statuspage

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	"go.uber.org/zap"
	g "maragu.dev/gomponents"

	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// pageBuffers recycles the buffers pages are rendered into (a unit's page
// with a full History is about 70 KB); one larger than maxPooledBuffer is
// dropped.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBuffer = 1 << 20

// DefaultRefresh is the page's auto-refresh interval.
const DefaultRefresh = 10 * time.Second

// Options configure a Page. Source is required.
type Options struct {
	Source Source
	// Status serves the /status document: a request for `/` that accepts
	// JSON gets its answer. When nil, `/` answers the single unit's
	// document (or the listing of a fleet).
	Status http.Handler
	// Auth guards the page; nil leaves it open.
	Auth *Auth
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Refresh is the auto-refresh interval; default DefaultRefresh,
	// negative for none.
	Refresh time.Duration
	Logger  *zap.Logger
}

// Page serves the status page. Build it with New and Register it on a mux.
type Page struct {
	opts Options
	log  *zap.Logger
}

// New returns a page.
func New(o Options) (*Page, error) {
	if o.Source == nil {
		return nil, errors.New("statuspage: no source")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Refresh == 0 {
		o.Refresh = DefaultRefresh
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return &Page{opts: o, log: o.Logger.Named("statuspage")}, nil
}

// Register adds the page's routes to mux: GET / (the page, or the status
// document for JSON), GET /units/{name} (one unit of a fleet), and the
// login form (GET and POST /login, POST /logout). `/` and the unit pages
// are behind the Auth.
func (p *Page) Register(mux *http.ServeMux) {
	mux.Handle("GET /{$}", p.opts.Auth.Protect(http.HandlerFunc(p.serveIndex)))
	mux.Handle("GET /units/{name...}", p.opts.Auth.Protect(http.HandlerFunc(p.serveUnit)))
	mux.HandleFunc("GET /login", p.serveLoginForm)
	mux.HandleFunc("POST /login", p.serveLogin)
	mux.HandleFunc("POST /logout", p.serveLogout)
}

func (p *Page) serveIndex(w http.ResponseWriter, r *http.Request) {
	units := p.opts.Source.Units()
	if wantsJSON(r) {
		if p.opts.Status != nil {
			p.opts.Status.ServeHTTP(w, r)
			return
		}
		p.indexJSON(w, units)
		return
	}
	if len(units) == 1 {
		p.renderUnit(w, r, units[0], false)
		return
	}
	p.renderList(w, r, units)
}

func (p *Page) serveUnit(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if wantsJSON(r) {
		v, ok := p.opts.Source.Unit(name)
		if !ok {
			http.Error(w, "no such unit", http.StatusNotFound)
			return
		}
		writeJSON(w, v.Status)
		return
	}
	p.renderUnit(w, r, name, len(p.opts.Source.Units()) > 1)
}

// indexJSON answers `/` for JSON without a Status handler: the single
// unit's document, or the fleet's listing.
func (p *Page) indexJSON(w http.ResponseWriter, units []string) {
	if len(units) == 1 {
		if v, ok := p.opts.Source.Unit(units[0]); ok {
			writeJSON(w, v.Status)
			return
		}
	}
	list := make([]UnitSummary, 0, len(units))
	for _, n := range units {
		if v, ok := p.opts.Source.Unit(n); ok {
			list = append(list, Summarize(n, v))
		}
	}
	writeJSON(w, map[string]any{"units": list})
}

func (p *Page) renderUnit(w http.ResponseWriter, r *http.Request, name string, fleet bool) {
	v, ok := p.opts.Source.Unit(name)
	if !ok {
		http.Error(w, "no such unit", http.StatusNotFound)
		return
	}
	now := p.opts.Now()
	u := buildUnit(v, now)
	m := p.base(r, u.Name+" · "+u.Phase, now)
	m.Heading, m.Unit, m.Fleet = u.Name, &u, fleet
	render(w, http.StatusOK, m, unitContent(m), p.log)
}

// listRow is one unit of the fleet listing.
type listRow struct {
	Name, Link, Phase, Class, Ready, ReadyClass string
	Since                                       stamp
}

func (p *Page) renderList(w http.ResponseWriter, r *http.Request, units []string) {
	now := p.opts.Now()
	m := p.base(r, "reconciler · units", now)
	for _, n := range units {
		v, ok := p.opts.Source.Unit(n)
		if !ok {
			continue
		}
		s := Summarize(n, v)
		m.Units = append(m.Units, listRow{Name: clean(n), Link: UnitPath(clean(n)), Phase: string(s.Phase),
			Class: phaseClass(s.Phase), Ready: s.Ready, ReadyClass: condClass(state.Condition{Type: state.CondReady, Status: s.Ready}),
			Since: stampOf(s.Since, now)})
	}
	render(w, http.StatusOK, m, listContent(m), p.log)
}

// UnitPath is the path of a unit's page; a name holding "/" (NAME/ENV) is
// escaped into one path segment.
func UnitPath(name string) string { return "/units/" + url.PathEscape(name) }

// pageModel is the data of every page.
type pageModel struct {
	Title, Heading string
	Nonce          string
	Refresh        int
	SignedIn       bool
	Fleet          bool
	Now            stamp
	Unit           *unitModel
	Units          []listRow
	Next           string
	LoginError     string
}

func (p *Page) base(r *http.Request, title string, now time.Time) pageModel {
	m := pageModel{Title: title, Now: stampOf(now, now), SignedIn: p.opts.Auth.viaCookie(r)}
	if p.opts.Refresh > 0 {
		m.Refresh = max(int(p.opts.Refresh/time.Second), 1)
	}
	return m
}

// render writes the page of content (a <main>) into memory first, so that
// a failure is a clean 500, and then with the page's security headers.
func render(w http.ResponseWriter, code int, m pageModel, content g.Node, log *zap.Logger) {
	m.Nonce = nonce()
	buf := pageBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			pageBuffers.Put(buf)
		}
	}()
	if err := document(m, content).Render(buf); err != nil {
		log.Error("rendering the status page failed", zap.String("title", m.Title), zap.Error(err))
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-"+m.Nonce+
		"'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hdr.Add("Vary", "Accept")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes()) // the client may be gone; nothing to do
}

// writeJSON writes v as indented JSON, with every URL in it that carries
// a secret redacted (the documents are masked upstream; this is the last
// guard, as on the HTML page).
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err == nil {
		b = []byte(spec.RedactURLsIn(string(b)))
		if !json.Valid(b) {
			err = errors.New("redaction broke the document")
		}
	}
	if err != nil {
		http.Error(w, "encoding the document failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Add("Vary", "Accept")
	_, _ = w.Write(append(b, '\n')) // the client may be gone; nothing to do
}

// nonce returns a fresh CSP nonce for the page's inline script.
func nonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
