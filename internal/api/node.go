package api

import (
	"encoding/hex"
	"net/http"

	"github.com/pegledger/peg/internal/client"
)

// status answers GET /v1/status.
func (s *server) status(w http.ResponseWriter, r *http.Request) error {
	snap := s.chain.Snapshot()
	height, appHash := snap.Height, snap.AppHash
	snap.Close()
	st := client.Status{
		ChainID: s.chain.ChainID(), Region: s.chain.Region(),
		Height: height, AppHash: hex.EncodeToString(appHash),
		Operator: s.genesis.Operator,
		Params: client.Params{
			MinReserve:           s.genesis.Params.MinReserve,
			MinReserveByCurrency: s.genesis.Params.MinReserveByCurrency,
			Banks:                s.genesis.Params.Banks,
			MaxExpiryDelta:       s.genesis.Params.MaxExpiryDelta,
		},
	}
	if st.Params.Banks == nil {
		st.Params.Banks = []string{}
	}
	if height > 0 {
		// The block of the state read, not the latest, so that height and
		// time agree even if a block commits meanwhile.
		t, ok, err := s.chain.BlockTime(int64(height))
		if err != nil {
			return err
		}
		if ok {
			st.BlockTime = t.UTC()
		}
		sg, ok, err := s.chain.Signing(r.Context(), int64(height))
		if err != nil {
			return err
		}
		if ok {
			st.LastCommit = &sg
		}
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// codes answers GET /v1/codes.
func (s *server) codes(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, codeList())
	return nil
}
