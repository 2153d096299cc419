package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/index/query"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
)

// Option configures the API beyond what every node has.
type Option func(*server)

// WithIndex serves the index endpoints (/v1/history…, /v1/analytics/…,
// /v1/published…) from r, which the API gives the tokens of its chain so
// that amounts are written in whole units. Without it they answer 503.
func WithIndex(r *query.Reader) Option {
	return func(s *server) {
		if r != nil {
			s.index = r.WithTokens(s.tokenInfo)
		}
	}
}

// tokenInfo looks a token up in the committed state.
func (s *server) tokenInfo(id string) (query.Token, bool) {
	snap := s.chain.Snapshot()
	defer snap.Close()
	t := state.TokenByID(snap, ledger.TokenID(id))
	if t == nil {
		return query.Token{}, false
	}
	return query.Token{Symbol: t.Contract.Symbol, Decimals: t.Contract.Decimals}, true
}

// reader is the index's Reader, or the 503 of a node without one.
func (s *server) reader() (*query.Reader, error) {
	if s.index == nil {
		return nil, apiError(CodeUnavailable, "this node has no index configured: set [index] database in its config (docs/queries.md) and run peg index")
	}
	return s.index, nil
}

// indexError answers a Reader's error: 400 for a refused request, 404 for
// what the index does not hold, 503 for a query cut off at
// query.QueryTimeout. Anything else is the index database failing (not yet
// created by peg index, unreachable, its disk): logged, and answered 503,
// since the node itself is well and the index may come back.
func (s *server) indexError(r *http.Request, err error) error {
	var inv *query.InvalidError
	var refused *client.APIError
	switch {
	case errors.As(err, &refused):
		return refused
	case errors.As(err, &inv):
		return badRequest("%s", inv.Msg)
	case errors.Is(err, query.ErrNotFound):
		return notFound("%s", err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return apiError(CodeUnavailable, "the index did not answer within %s; narrow the query", query.QueryTimeout)
	}
	s.log.Error("api: the index database failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return apiError(CodeUnavailable, "the index database cannot answer now (is peg index running?); the node's log has the cause")
}

// limitParam reads the limit parameter (0 when absent; the validator has
// checked it is an integer in range).
func limitParam(v url.Values) (int, error) {
	s := v.Get("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, badRequest("limit: %q is not a number", s)
	}
	return n, nil
}

func (s *server) history(w http.ResponseWriter, r *http.Request) error {
	ix, err := s.reader()
	if err != nil {
		return err
	}
	v := r.URL.Query()
	limit, err := limitParam(v)
	if err != nil {
		return err
	}
	q := client.HistoryQuery{
		Account: v.Get("account"), Counterparty: v.Get("counterparty"), Token: v.Get("token"), Kind: v.Get("kind"),
		From: v.Get("from"), To: v.Get("to"), Min: v.Get("min"), Max: v.Get("max"), Region: v.Get("region"),
		TradeStatus: v.Get("trade_status"), Code: v.Get("code"), Limit: limit, Cursor: v.Get("cursor"),
	}
	page, err := ix.History(r.Context(), q)
	if err != nil {
		return s.indexError(r, err)
	}
	if v.Get("format") != "csv" {
		writeJSON(w, http.StatusOK, page)
		return nil
	}
	var b bytes.Buffer
	if err := query.WriteCSV(&b, page.Items, true); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Next-Cursor", page.NextCursor)
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
	return nil
}

// indexed is a handler of an index endpoint that answers JSON: the
// Reader's answer to the request, or its refusal (indexError).
func (s *server) indexed(answer func(ix *query.Reader, r *http.Request) (any, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ix, err := s.reader()
		if err != nil {
			return err
		}
		out, err := answer(ix, r)
		if err != nil {
			return s.indexError(r, err)
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

func (s *server) historyBlocks() handlerFunc {
	return s.indexed(func(ix *query.Reader, r *http.Request) (any, error) {
		v := r.URL.Query()
		limit, err := limitParam(v)
		if err != nil {
			return nil, err
		}
		return ix.Blocks(r.Context(), v.Get("chain_id"), v.Get("cursor"), limit)
	})
}

func (s *server) historyTx() handlerFunc {
	return s.indexed(func(ix *query.Reader, r *http.Request) (any, error) {
		return ix.Tx(r.Context(), r.PathValue("id"))
	})
}

func (s *server) historyCoin() handlerFunc {
	return s.indexed(func(ix *query.Reader, r *http.Request) (any, error) {
		return ix.Coin(r.Context(), r.PathValue("id"))
	})
}

func (s *server) indexStatus() handlerFunc {
	return s.indexed(func(ix *query.Reader, r *http.Request) (any, error) {
		return ix.Status(r.Context())
	})
}
