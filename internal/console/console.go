// Package console owns Peg's web console: the explorer, the issuer's view of a
// token, an account's view, the analytics and the sign-in, served as HTML
// pages at /console/ by the node's API process.
//
// The console is a client of the API like any other (internal/client): it
// reads what it shows through the API of the process that serves it, so every
// number on a page is one the API answers, and it never writes state nor
// submits a transaction. Pages are html/template, charts are SVG drawn here,
// and the one script, htmx, only improves pages that work without it. Every
// list is one page of the API's, with a link to the next: no page reads an
// unbounded list.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pegledger/peg/internal/client"
)

// Limits of the console.
const (
	// PageSize is how many rows a list shows at a time.
	PageSize = 25
	// MaxBlocksListed bounds the blocks the explorer's front page reads
	// from the chain itself (one request each) when the node has no index.
	MaxBlocksListed = 10
	// RequestTimeout bounds the API calls one page makes, together.
	RequestTimeout = 20 * time.Second
)

//go:embed templates/*.html
var templateFS embed.FS

// static holds the stylesheet and htmx 2.0.11 (htmx.min.js, unmodified from
// the npm package htmx.org@2.0.11, dist/htmx.min.js; licence 0BSD, Copyright
// Big Sky Software).
//
//go:embed static
var static embed.FS

// Config is how a console reaches what it shows.
type Config struct {
	// API is the base URL of the API the console reads ("http://127.0.0.1:8080").
	// Empty means the API that serves the console itself, reached at the
	// local address the request came in on: the console is then mounted
	// beside the API in one process.
	API string
	// AliasKeyFile is the platform's alias key (internal/aliaskey), with
	// which the console turns a phone or ID number into the alias
	// directory's hash. Empty, or a file that is not there, means the
	// console cannot resolve aliases, and says so.
	AliasKeyFile string
	// Log receives the console's failures; nil discards them.
	Log *slog.Logger
}

// Console is the console's http.Handler, to mount at Prefix.
type Console struct {
	cfg      Config
	log      *slog.Logger
	pages    map[string]*template.Template
	mux      *http.ServeMux
	sessions *sessions

	mu      sync.Mutex
	clients map[string]*client.Client // by base URL
}

// Prefix is the path the console is served under.
const Prefix = "/console/"

// New returns the console.
func New(cfg Config) *Console {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Console{cfg: cfg, log: log, pages: parsedPages(), sessions: newSessions(), clients: map[string]*client.Client{}}
	c.mux = c.routes()
	return c
}

func (c *Console) routes() *http.ServeMux {
	m := http.NewServeMux()
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded directory is there
	}
	m.Handle("GET /console/static/", http.StripPrefix("/console/static/", cacheStatic(http.FileServerFS(sub))))
	page := func(pattern string, h pageFunc) { m.Handle(pattern, c.page(h)) }
	page("GET /console/{$}", c.explorer)
	page("GET /console/blocks/{height}", c.block)
	page("GET /console/txs/{id}", c.tx)
	page("GET /console/coins/{id}", c.coin)
	page("GET /console/search", c.search)
	page("GET /console/tokens/{$}", c.tokens)
	page("GET /console/tokens/{id}", c.token)
	page("GET /console/accounts/{address}", c.account)
	page("GET /console/analytics", c.analytics)
	page("GET /console/signin", c.signinPage)
	page("GET /console/signin/complete", c.signinComplete)
	page("GET /console/me", c.me)
	m.HandleFunc("POST /console/signin/challenge", c.challenge)
	m.HandleFunc("POST /console/signin/verify", c.verify)
	m.HandleFunc("POST /console/signout", c.signout)
	page("/console/", func(r *http.Request) (*view, error) {
		return nil, notFoundf("no console page at %s", r.URL.Path)
	})
	return m
}

// cacheStatic lets browsers keep the static files for an hour.
func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP answers a console request, with headers that keep the pages
// from being framed, sniffed or made to load anything from elsewhere.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'")
	c.mux.ServeHTTP(w, r)
}

// api is the client of the API the console reads for r.
func (c *Console) api(r *http.Request) (*client.Client, error) {
	base := c.cfg.API
	if base == "" {
		addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		if !ok {
			return nil, errors.New("console: no API configured and no local address to reach the serving one")
		}
		base = "http://" + addr.String()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.clients[base]
	if !ok {
		cl = client.New(base)
		c.clients[base] = cl
	}
	return cl, nil
}

// view is what a page handler gives to render: the template's name and its
// data, or a redirect.
type view struct {
	name     string
	title    string
	data     any
	redirect string
	// cookie is set with the answer (signing in and out).
	cookie *http.Cookie
}

// pageFunc reads what a page shows.
type pageFunc func(r *http.Request) (*view, error)

// pageError is an error a page answers with its status.
type pageError struct {
	status int
	msg    string
}

func (e *pageError) Error() string { return e.msg }

func notFoundf(format string, args ...any) error {
	return &pageError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

func badRequestf(format string, args ...any) error {
	return &pageError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// layoutData is what every page's layout reads.
type layoutData struct {
	Title    string
	SignedIn string // the signed-in address, if any
	Page     any
	Nav      string
}

func (c *Console) page(h pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		v, err := h(r)
		if err != nil {
			c.renderError(w, r, err)
			return
		}
		if v.cookie != nil {
			http.SetCookie(w, v.cookie)
		}
		if v.redirect != "" {
			http.Redirect(w, r, v.redirect, http.StatusSeeOther)
			return
		}
		c.render(w, r, http.StatusOK, v)
	})
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, v *view) {
	t, ok := c.pages[v.name]
	if !ok {
		panic("console: no template " + v.name)
	}
	d := layoutData{Title: v.title, Page: v.data, Nav: navOf(r.URL.Path)}
	if s := c.sessions.of(r); s != nil {
		d.SignedIn = s.addr.String()
	}
	// htmx asks for the part of a page that changes (a list's next page)
	// with HX-Request; a browser without it gets the whole page.
	var b strings.Builder
	var err error
	if r.Header.Get("HX-Request") == "true" && t.Lookup("rows") != nil {
		err = t.ExecuteTemplate(&b, "rows", v.data)
	} else {
		err = t.ExecuteTemplate(&b, "layout", d)
	}
	if err != nil {
		c.log.Error("console: rendering", "page", v.name, "err", err)
		http.Error(w, "the console could not draw this page; the node's log has the cause", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprint(w, b.String())
}

// errorData is the error page's.
type errorData struct {
	Status  int
	Message string
}

// renderError answers err: an API's error with its status and message, a
// page's own with its, and anything else (an API that cannot be reached) as
// 502 with its text.
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, err error) {
	d := errorData{Status: http.StatusBadGateway, Message: err.Error()}
	var pe *pageError
	var ae *client.APIError
	switch {
	case errors.As(err, &pe):
		d = errorData{Status: pe.status, Message: pe.msg}
	case errors.As(err, &ae):
		d = errorData{Status: ae.Status, Message: fmt.Sprintf("%s: %s", ae.Name, ae.Message)}
	default:
		c.log.Warn("console: page failed", "path", r.URL.Path, "err", err)
	}
	c.render(w, r, d.Status, &view{name: "error", title: http.StatusText(d.Status), data: d})
}

// navOf names the section of the menu a path is in.
func navOf(path string) string {
	for _, s := range []string{"tokens", "accounts", "analytics", "signin", "me"} {
		if strings.HasPrefix(path, Prefix+s) {
			return s
		}
	}
	return "explorer"
}
