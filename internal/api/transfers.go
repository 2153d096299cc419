package api

import (
	"net/http"
	"slices"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
)

// transferStatuses are the statuses of each direction.
var transferStatuses = map[string][]string{
	state.TransferOut: {state.TransferPending, state.TransferRefunded},
	state.TransferIn:  {state.TransferDelivered, state.TransferReturned},
}

// transfers answers GET /v1/transfers?status=&direction=: the chain's
// cross-region transfers that match, and every token's books.
func (s *server) transfers(w http.ResponseWriter, r *http.Request) error {
	status, dir := r.URL.Query().Get("status"), r.URL.Query().Get("direction")
	if dir != "" && transferStatuses[dir] == nil {
		return badRequest("direction %q: want out or in", dir)
	}
	if status != "" && !slices.Contains(transferStatuses[state.TransferOut], status) && !slices.Contains(transferStatuses[state.TransferIn], status) {
		return badRequest("status %q: want pending, refunded, delivered or returned", status)
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	toks, err := state.Tokens(snap)
	if err != nil {
		return err
	}
	decimals := make(map[ledger.TokenID]uint8, len(toks))
	l := client.TransferList{Height: snap.Height, Region: s.chain.Region(), Transfers: []client.Transfer{}, Books: []client.TransferBooks{}}
	for _, t := range toks {
		decimals[t.Contract.ID] = t.Contract.Decimals
		b := state.BooksOf(snap, t.Contract.ID)
		home := t.Home
		if home == "" {
			home = s.chain.Region()
		}
		l.Books = append(l.Books, client.TransferBooks{Token: t.Contract.ID, Home: home, Minted: t.Minted, Redeemed: t.Redeemed,
			Supply: t.Supply, Sent: b.Sent, Received: b.Received, Refunded: b.Refunded, Held: t.Held(b)})
	}
	for _, d := range []string{state.TransferOut, state.TransferIn} {
		if dir != "" && d != dir {
			continue
		}
		err := state.Transfers(snap, d, func(t state.Transfer) bool {
			if status == "" || t.Status == status {
				l.Transfers = append(l.Transfers, transferView(t, decimals[t.Token]))
			}
			return true
		})
		if err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// transfer answers GET /v1/transfers/{id}?direction=: one transfer, the
// outbound record first when the chain has both (a transfer between two
// accounts of one region never has).
func (s *server) transfer(w http.ResponseWriter, r *http.Request) error {
	id, err := ledger.ParseCoinID(r.PathValue("id"))
	if err != nil {
		return badRequest("%v", err)
	}
	dir := r.URL.Query().Get("direction")
	if dir != "" && transferStatuses[dir] == nil {
		return badRequest("direction %q: want out or in", dir)
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	for _, d := range []string{state.TransferOut, state.TransferIn} {
		if dir != "" && d != dir {
			continue
		}
		if t, ok := state.LoadTransfer(snap, d, id); ok {
			writeJSON(w, http.StatusOK, transferView(t, tokenDecimals(snap, t.Token)))
			return nil
		}
	}
	return rejection(ledger.CodeTransferUnknown, "no transfer "+id.String()+" recorded here")
}

func tokenDecimals(snap *store.Snapshot, id ledger.TokenID) uint8 {
	if t := state.TokenByID(snap, id); t != nil {
		return t.Contract.Decimals
	}
	return 0
}

func transferView(t state.Transfer, decimals uint8) client.Transfer {
	v := client.Transfer{ID: t.ID, Direction: t.Direction, Status: t.Status, Token: t.Token, Value: value(t.Amount, decimals),
		Payer: t.Payer, Payee: t.Payee, From: t.From, To: t.To, Tx: t.Tx, Height: t.Height}
	if t.Coin != (ledger.CoinID{}) {
		v.Coin = &t.Coin
	}
	if t.Reason != 0 {
		v.Reason = t.Reason.Name()
	}
	if t.Closed != (ledger.TxID{}) {
		v.Closed = &t.Closed
	}
	return v
}
