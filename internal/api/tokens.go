package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
)

// tokens answers GET /v1/tokens.
func (s *server) tokens(w http.ResponseWriter, r *http.Request) error {
	toks, now, err := s.allTokens()
	if err != nil {
		return err
	}
	l := client.TokenList{Tokens: make([]client.TokenSummary, len(toks))}
	for i := range toks {
		l.Tokens[i] = tokenSummary(&toks[i], now)
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// token answers GET /v1/tokens/{id}.
func (s *server) token(w http.ResponseWriter, r *http.Request) error {
	tr, err := s.openToken(r)
	if err != nil {
		return err
	}
	defer tr.snap.Close()
	writeJSON(w, http.StatusOK, tokenView(tr.t, tr.now))
	return nil
}

// allTokens reads every token from one snapshot, with the time of the block
// that snapshot holds.
func (s *server) allTokens() ([]state.Token, time.Time, error) {
	snap := s.chain.Snapshot()
	defer snap.Close()
	toks, err := state.Tokens(snap)
	if err != nil {
		return nil, time.Time{}, err
	}
	now, err := s.blockTime(snap)
	return toks, now, err
}

// tokenRequest is the token a request's path names, read from one snapshot,
// with the time of the block that snapshot holds.
type tokenRequest struct {
	snap *store.Snapshot
	t    *state.Token
	now  time.Time
}

// openToken loads the token of the request's {id}; the caller closes snap.
func (s *server) openToken(r *http.Request) (*tokenRequest, error) {
	id, err := tokenParam("token id", r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	snap := s.chain.Snapshot()
	t, err := loadToken(snap, id)
	if err != nil {
		snap.Close()
		return nil, err
	}
	now, err := s.blockTime(snap)
	if err != nil {
		snap.Close()
		return nil, err
	}
	return &tokenRequest{snap: snap, t: t, now: now}, nil
}

// redemptions answers GET /v1/tokens/{id}/redemptions.
func (s *server) redemptions(w http.ResponseWriter, r *http.Request) error {
	id, err := tokenParam("token id", r.PathValue("id"))
	if err != nil {
		return err
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	t, err := loadToken(snap, id)
	if err != nil {
		return err
	}
	rs, err := state.Redemptions(snap, id)
	if err != nil {
		return err
	}
	l := client.RedemptionList{Redemptions: make([]client.Redemption, len(rs))}
	for i, rd := range rs {
		l.Redemptions[i] = redemptionView(rd, t.Contract)
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// tokenParam parses a token id from the request; what names the parameter.
func tokenParam(what, s string) (ledger.TokenID, error) {
	id, err := ledger.ParseTokenID(s)
	if err != nil {
		return "", badRequest("%s: %v", what, err)
	}
	return id, nil
}

// loadToken reads a token, answering UNKNOWN_TOKEN (404) if there is none.
func loadToken(snap *store.Snapshot, id ledger.TokenID) (*state.Token, error) {
	t := state.TokenByID(snap, id)
	if t == nil {
		return nil, rejection(ledger.CodeUnknownToken, fmt.Sprintf("no token %q (as of height %d)", id, snap.Height))
	}
	return t, nil
}
