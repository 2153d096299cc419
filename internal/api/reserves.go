package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
)

// reserves answers GET /v1/reserves.
func (s *server) reserves(w http.ResponseWriter, r *http.Request) error {
	toks, now, err := s.allTokens()
	if err != nil {
		return err
	}
	l := client.ReserveList{Reserves: make([]client.TokenReserve, len(toks))}
	for i := range toks {
		c := toks[i].Contract
		l.Reserves[i] = client.TokenReserve{Token: c.ID, Symbol: c.Symbol, Reserve: reserveView(&toks[i], now)}
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// attestations answers GET /v1/tokens/{id}/attestations[?limit=N].
func (s *server) attestations(w http.ResponseWriter, r *http.Request) error {
	limit := DefaultAttestationsPage
	if q := r.URL.Query().Get("limit"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > MaxAttestationsPage {
			return badRequest("limit %q: want a whole number from 1 to %d", q, MaxAttestationsPage)
		}
		limit = n
	}
	tr, err := s.openToken(r)
	if err != nil {
		return err
	}
	defer tr.snap.Close()
	rs, err := state.Readings(tr.snap, tr.t.Contract.ID, limit) // oldest first
	if err != nil {
		return err
	}
	slices.Reverse(rs)
	l := client.AttestationList{Attestations: make([]client.Reading, len(rs))}
	for i, rd := range rs {
		l.Attestations[i] = readingView(rd, tr.t.Contract.Fiat.Currency, tr.now)
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// blockTime is the time of the block whose state snap holds: the "now" at
// which reserves are judged and ages measured, never the wall clock. Zero at
// genesis, when there are no tokens to judge.
func (s *server) blockTime(snap *store.Snapshot) (time.Time, error) {
	if snap.Height == 0 {
		return time.Time{}, nil
	}
	t, ok, err := s.chain.BlockTime(int64(snap.Height))
	if err != nil {
		return time.Time{}, err
	}
	if !ok {
		return time.Time{}, fmt.Errorf("api: the node has no block at the committed height %d", snap.Height)
	}
	return t.UTC(), nil
}
