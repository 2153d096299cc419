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
	"time"

	"github.com/pegledger/peg/internal/api"
	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
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
		writeJSON(w, http.StatusOK, map[string]any{"regions": g.Regions()})
	})
	mux.HandleFunc("POST /v1/txs", g.submit)
	mux.HandleFunc("POST /v1/txs/batch", g.submitBatch)
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
		Transport:     transport,
		FlushInterval: -1, // the event stream flushes each event
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return // the client went away; the region is not to blame
			}
			f := r.Context().Value(forwardKey{}).(*forward)
			g.refuse(w, f.region.code, f.region.fail(f.endpoint, err, time.Now()))
		},
	}
}

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
	_, endpoint, rej := rg.target()
	if rej != nil {
		g.refuse(w, rg.code, rej)
		return
	}
	base, err := url.Parse(endpoint) // validated by network.Parse
	if err != nil {
		panic(fmt.Sprintf("gateway: endpoint %q: %v", endpoint, err))
	}
	g.metrics.forwarded.WithLabelValues(string(rg.code), kind).Inc()
	ctx := context.WithValue(r.Context(), forwardKey{}, &forward{region: rg, endpoint: endpoint, base: base})
	g.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// refuse answers rej without forwarding anything and counts it.
func (g *Gateway) refuse(w http.ResponseWriter, c ledger.Region, rej *ledger.Rejection) {
	g.metrics.refused.WithLabelValues(string(c), rej.Code.Name()).Inc()
	e := api.Rejection(rej)
	writeJSON(w, e.Status, e)
}

// writeJSON answers v with status, as the API does.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("gateway: encoding %T: %v", v, err)) // the gateway's answers always encode
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError answers an error of the API's own codes.
func writeError(w http.ResponseWriter, e *client.APIError) { writeJSON(w, e.Status, e) }

// account forwards GET /v1/accounts/{value}/... to the region of the
// account: value is an address, or a characteristic value the Resolver
// resolves, in which case the region is asked about the address.
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

// resolve resolves a value that is not an address.
func (g *Gateway) resolve(ctx context.Context, value string) (ledger.Address, *ledger.Rejection) {
	if g.cfg.Resolver == nil {
		return ledger.Address{}, ledger.Reject(ledger.CodeUnroutable, "%q is not a Peg address, and this gateway resolves no other values", trunc(value))
	}
	return g.cfg.Resolver.Resolve(ctx, value)
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
	signer, rej := tx.PeekSigner(raw)
	if rej != nil {
		return nil, nil, rej
	}
	rg, rej := g.regionOf(signer)
	if rej != nil {
		return nil, nil, rej
	}
	t, rej := tx.Parse(raw, rg.chainID)
	if rej != nil {
		return nil, rg, rej
	}
	return t, rg, nil
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
