package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/pegledger/peg/internal/api"
	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	pegregion "github.com/pegledger/peg/internal/region"
	"github.com/pegledger/peg/internal/tx"
)

// Handler is the gateway's HTTP API: the node API's submit endpoints, its
// reads forwarded to the region they concern, GET /v1/regions (the
// gateway's view of its regions) and GET /healthz. Mount a metrics handler
// beside it if wanted.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("GET /v1/regions", func(w http.ResponseWriter, r *http.Request) {
		api.WriteJSON(w, http.StatusOK, map[string]any{"regions": g.Regions()})
	})
	mux.HandleFunc("POST /v1/txs", g.submit)
	mux.HandleFunc("POST /v1/txs/batch", g.submitBatch)
	mux.HandleFunc("GET /v1/txs/{id}", g.txByID)
	mux.HandleFunc("GET /v1/aliases/{hash}", g.aliasByHash)
	mux.HandleFunc("GET /v1/accounts/{value}", g.account)
	mux.HandleFunc("GET /v1/accounts/{value}/{rest...}", g.account)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		g.forwardTo(w, r, g.homeRegion(), "read")
	})
	return mux
}

// newProxy is the reverse proxy that forwards requests to the endpoint
// their context names (forwardKey), within ForwardTimeout, and answers
// REGION_DOWN when the endpoint cannot be reached.
func (g *Gateway) newProxy() *httputil.ReverseProxy {
	transport := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: DialTimeout}).DialContext,
		ResponseHeaderTimeout: ForwardTimeout,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			f := pr.In.Context().Value(forwardKey{}).(*forward)
			pr.SetURL(f.base)
			pr.Out.Host = f.base.Host
		},
		// An event stream (text/event-stream) is flushed at each write by
		// the proxy itself; other answers are copied in full buffers,
		// taken from a pool rather than allocated (and cleared) for each.
		Transport:  transport,
		BufferPool: &copyBuffers{},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return // the client went away; the region is not to blame
			}
			f := r.Context().Value(forwardKey{}).(*forward)
			g.refuse(w, f.region.code, g.failed(f.region, f.endpoint, err))
		},
	}
}

// copyBuffers is the reverse proxy's pool of buffers to copy answers
// through: without one it allocates 32 KiB for every answer it copies,
// which for the small reads a gateway forwards (a status, a block) was
// half of their cost.
type copyBuffers struct{ pool sync.Pool }

// copyBufferSize is the size of the buffers, the proxy's own.
const copyBufferSize = 32 << 10

func (b *copyBuffers) Get() []byte {
	if p, ok := b.pool.Get().(*[]byte); ok {
		return *p
	}
	return make([]byte, copyBufferSize)
}

func (b *copyBuffers) Put(buf []byte) { b.pool.Put(&buf) }

// forward is where one request goes, carried in its context to the proxy.
type forward struct {
	region   *region
	endpoint string
	base     *url.URL
}

type forwardKey struct{}

// forwardTo hands r to region rg's current endpoint, or answers
// REGION_DOWN; kind labels the metric. The proxy's transport bounds the
// connection (DialTimeout) and the wait for the answer's header
// (ForwardTimeout); an event stream then lasts as long as its client.
func (g *Gateway) forwardTo(w http.ResponseWriter, r *http.Request, rg *region, kind string) {
	_, endpoint, base, rej := rg.targetURL()
	if rej != nil {
		g.refuse(w, rg.code, rej)
		return
	}
	g.metrics.forwarded.WithLabelValues(string(rg.code), kind).Inc()
	ctx := context.WithValue(r.Context(), forwardKey{}, &forward{region: rg, endpoint: endpoint, base: base})
	g.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// refuse answers rej without forwarding anything and counts it.
func (g *Gateway) refuse(w http.ResponseWriter, c ledger.Region, rej *ledger.Rejection) {
	g.metrics.refused.WithLabelValues(string(c), rej.Code.Name()).Inc()
	e := api.Rejection(rej)
	api.WriteJSON(w, e.Status, e)
}

// writeError answers an error of the API's own codes.
func writeError(w http.ResponseWriter, e *client.APIError) { api.WriteJSON(w, e.Status, e) }

// account forwards GET /v1/accounts/{value}/... to the region of the
// account: value is an address, or a phone or ID number the alias
// directories resolve, in which case the region is asked about the address.
func (g *Gateway) account(w http.ResponseWriter, r *http.Request) {
	value := r.PathValue("value")
	a, err := ledger.ParseAddress(value)
	if err != nil {
		var rej *ledger.Rejection
		a, rej = g.resolve(r.Context(), value)
		if rej != nil {
			g.refuse(w, "", rej)
			return
		}
		r = r.Clone(r.Context())
		r.URL.Path = "/v1/accounts/" + a.String()
		if rest := r.PathValue("rest"); rest != "" {
			r.URL.Path += "/" + rest
		}
		r.URL.RawPath = ""
	}
	rg, rej := g.regionOf(a)
	if rej != nil {
		g.refuse(w, a.Region(), rej)
		return
	}
	g.forwardTo(w, r, rg, "read")
}

// resolve resolves a value that is not an address: a phone or ID number,
// hashed under the alias key as its registrar hashed it, is looked up in
// the directory of the region the routing table gives it.
func (g *Gateway) resolve(ctx context.Context, value string) (ledger.Address, *ledger.Rejection) {
	al := g.cfg.Aliases
	if al == nil {
		return ledger.Address{}, ledger.Reject(ledger.CodeUnroutable, "%q is not a Peg address, and this gateway resolves no other values", trunc(value))
	}
	v, err := pegregion.ParseValue(value)
	if err != nil {
		return ledger.Address{}, ledger.Reject(ledger.CodeUnroutable, "%q is neither a Peg address nor a phone or ID number: %v", trunc(value), err)
	}
	code, err := al.Routes.Route(v)
	if err != nil {
		return ledger.Address{}, ledger.Reject(ledger.CodeUnroutable, "%s: %v", v, err)
	}
	rg, ok := g.region(code)
	if !ok {
		return ledger.Address{}, ledger.Reject(ledger.CodeRegionUnknown, "%s routes to region %s, which this gateway's network does not have", v, code)
	}
	c, endpoint, rej := rg.target()
	if rej != nil {
		return ledger.Address{}, rej
	}
	ctx, cancel := context.WithTimeout(ctx, ForwardTimeout)
	defer cancel()
	a, err := c.Alias(ctx, pegregion.Hash(al.Key, v))
	var e *client.APIError
	switch {
	case err == nil:
		return a.Address, nil
	case errors.As(err, &e) && e.Status == http.StatusNotFound:
		return ledger.Address{}, ledger.Reject(ledger.CodeAliasUnknown, "no address is bound to %s in region %s", v, code)
	case errors.As(err, &e):
		return ledger.Address{}, ledger.Reject(ledger.Code(e.Code), "region %s, looking up %s: %s", code, v, e.Message)
	default:
		return ledger.Address{}, g.failed(rg, endpoint, err)
	}
}

func trunc(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// admit routes and authenticates one transaction: its signer's region,
// then its decoding and signatures with that region's chain id. It returns
// the parsed transaction and its region, or the rejection the node would
// give (REGION_UNKNOWN for a region the network lacks).
func (g *Gateway) admit(raw []byte) (*tx.Tx, *region, *ledger.Rejection) {
	rg, rej := g.route(raw)
	if rej != nil {
		return nil, nil, rej
	}
	t, rej := tx.Parse(raw, rg.chainID)
	if rej != nil {
		return nil, rg, rej
	}
	return t, rg, nil
}

// route is the region of raw's signer.
func (g *Gateway) route(raw []byte) (*region, *ledger.Rejection) {
	signer, rej := tx.PeekSigner(raw)
	if rej != nil {
		return nil, rej
	}
	return g.regionOf(signer)
}

// submit answers POST /v1/txs: the transaction is routed and verified here
// and, if it holds, forwarded as it came to its signer's region, whose
// answer is the answer.
func (g *Gateway) submit(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, api.MaxRequestBody))
	if err != nil {
		writeError(w, bodyError(err))
		return
	}
	var req client.SubmitRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, api.Error(api.CodeBadRequest, "request body: %v", err))
		return
	}
	if len(req.Tx) == 0 {
		writeError(w, api.Error(api.CodeBadRequest, "request body: tx is required"))
		return
	}
	t, rg, rej := g.admit(req.Tx)
	if rej == nil {
		rej = t.Verify()
	}
	if rej != nil {
		code := ledger.Region("")
		if rg != nil {
			code = rg.code
		}
		g.refuse(w, code, rej)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	g.forwardTo(w, r, rg, "tx")
}

// bodyError is the answer to a request body that could not be read.
func bodyError(err error) *client.APIError {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return api.Error(api.CodeRequestTooLarge, "request body over %d bytes", tooBig.Limit)
	}
	return api.Error(api.CodeBadRequest, "request body: %v", err)
}

// txByID answers GET /v1/txs/{id}: an id names no region, so the regions
// are asked in turn (firstFound).
func (g *Gateway) txByID(w http.ResponseWriter, r *http.Request) {
	id, err := ledger.ParseTxID(r.PathValue("id"))
	if err != nil {
		writeError(w, api.Error(api.CodeBadRequest, "%v", err))
		return
	}
	g.firstFound(w, r, "/v1/txs/"+id.String(), api.Error(api.CodeNotFound, "no region's blocks have included transaction %s", id))
}

// aliasByHash answers GET /v1/aliases/{hash}: a keyed hash names no region
// (only the number it hides does, which the gateway is not given here), and
// a registrar binds a number only to an address of its own region, so the
// regions are asked in turn (firstFound).
func (g *Gateway) aliasByHash(w http.ResponseWriter, r *http.Request) {
	h, err := ledger.ParseAliasHash(r.PathValue("hash"))
	if err != nil {
		writeError(w, api.Error(api.CodeBadRequest, "%v", err))
		return
	}
	g.firstFound(w, r, "/v1/aliases/"+h.String(), api.Rejection(ledger.Reject(ledger.CodeAliasUnknown, "no region's directory binds alias hash %s", h)))
}

// firstFound asks the regions in turn for path, the home region first,
// then the others in the network file's order, and answers with the first
// answer found, its JSON passed on as it came. Regions that are down are
// skipped; if one was, what none has is REGION_DOWN rather than notFound.
func (g *Gateway) firstFound(w http.ResponseWriter, r *http.Request, path string, notFound *client.APIError) {
	var down *ledger.Rejection
	var downAt ledger.Region
	for _, rg := range g.homeFirst() {
		c, endpoint, rej := rg.target()
		if rej != nil {
			down, downAt = rej, rg.code
			continue
		}
		ctx, cancel := context.WithTimeout(r.Context(), ForwardTimeout)
		body, err := c.Raw(ctx, path)
		cancel()
		var e *client.APIError
		switch {
		case err == nil:
			g.metrics.forwarded.WithLabelValues(string(rg.code), "read").Inc()
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Write(body)
			return
		case errors.As(err, &e) && e.Status == http.StatusNotFound:
			continue
		case errors.As(err, &e):
			writeError(w, e)
			return
		default:
			down, downAt = g.failed(rg, endpoint, err), rg.code
		}
	}
	if down != nil {
		g.refuse(w, downAt, down)
		return
	}
	writeError(w, notFound)
}
