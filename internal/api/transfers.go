package api

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
)

// Limits of GET /v1/transfers.
const (
	// DefaultTransferLimit is how many transfers a page holds unless the
	// request says otherwise.
	DefaultTransferLimit = 100
	// MaxTransferLimit bounds a page, so that one request reads and writes
	// a bounded amount however many transfers a chain holds.
	MaxTransferLimit = 1000
)

// transferDirections are the directions in the order a listing gives them.
var transferDirections = []string{state.TransferOut, state.TransferIn}

// transferStatuses are the statuses of each direction.
var transferStatuses = map[string][]string{
	state.TransferOut: {state.TransferPending, state.TransferDelivered, state.TransferRefunded},
	state.TransferIn:  {state.TransferDelivered, state.TransferReturned},
}

// cursorSize is a cursor's length before base64: a direction byte, the
// height (8 bytes) and the id of the last transfer listed.
const cursorSize = 1 + 8 + ledger.HashSize

// encodeCursor writes position p as an opaque cursor.
func encodeCursor(p state.TransferPos) string {
	b := make([]byte, 0, cursorSize)
	b = append(b, p.Direction[0])
	b = binary.BigEndian.AppendUint64(b, p.Height)
	b = append(b, p.ID[:]...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor that encodeCursor wrote.
func decodeCursor(s string) (*state.TransferPos, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != cursorSize {
		return nil, fmt.Errorf("cursor %q is not a cursor of this list: pass the next_cursor of the page before", s)
	}
	p := &state.TransferPos{Height: binary.BigEndian.Uint64(b[1:9]), ID: ledger.CoinID(b[9:])}
	for _, d := range transferDirections {
		if d[0] == b[0] {
			p.Direction = d
		}
	}
	if p.Direction == "" {
		return nil, fmt.Errorf("cursor %q is not a cursor of this list: pass the next_cursor of the page before", s)
	}
	return p, nil
}

// transferQuery is a validated GET /v1/transfers request.
type transferQuery struct {
	status, dir string
	limit       int
	after       *state.TransferPos
}

func parseTransferQuery(r *http.Request) (transferQuery, error) {
	v := r.URL.Query()
	q := transferQuery{status: v.Get("status"), dir: v.Get("direction"), limit: DefaultTransferLimit}
	if q.dir != "" && transferStatuses[q.dir] == nil {
		return q, badRequest("direction %q: want out or in", q.dir)
	}
	if q.status != "" && !slices.Contains(transferStatuses[state.TransferOut], q.status) && !slices.Contains(transferStatuses[state.TransferIn], q.status) {
		return q, badRequest("status %q: want pending, delivered, refunded or returned", q.status)
	}
	if q.dir != "" && q.status != "" && !slices.Contains(transferStatuses[q.dir], q.status) {
		return q, badRequest("status %q: no %s transfer has it (want one of %v)", q.status, q.dir, transferStatuses[q.dir])
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxTransferLimit {
			return q, badRequest("limit %q: want a whole number from 1 to %d", l, MaxTransferLimit)
		}
		q.limit = n
	}
	if c := v.Get("cursor"); c != "" {
		p, err := decodeCursor(c)
		if err != nil {
			return q, badRequest("%v", err)
		}
		if q.dir != "" && p.Direction != q.dir {
			return q, badRequest("cursor is of the %s transfers; this list is of the %s ones", p.Direction, q.dir)
		}
		q.after = p
	}
	return q, nil
}

// transfers answers GET /v1/transfers?status=&direction=&limit=&cursor=:
// a page of the chain's cross-region transfers that match, outbound then
// inbound, each direction in the order of the height that recorded them
// then id, so that blocks arriving between pages only add at the end; the
// cursor of the next page, empty after the last; and every token's books,
// as of the page's height.
func (s *server) transfers(w http.ResponseWriter, r *http.Request) error {
	q, err := parseTransferQuery(r)
	if err != nil {
		return err
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
			Supply: t.Supply, Sent: b.Sent, Received: b.Received, Refunded: b.Refunded, Delivered: b.Delivered, Held: t.Held(b)})
	}
	page, more, err := listTransfers(snap, q)
	if err != nil {
		return err
	}
	for _, t := range page {
		l.Transfers = append(l.Transfers, transferView(t, decimals[t.Token]))
	}
	if more {
		last := page[len(page)-1]
		l.NextCursor = encodeCursor(state.TransferPos{Direction: last.Direction, Height: last.Height, ID: last.ID})
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// listTransfers reads up to q.limit transfers after q.after, and whether
// more follow.
func listTransfers(snap *store.Snapshot, q transferQuery) ([]state.Transfer, bool, error) {
	var page []state.Transfer
	more := false
	started := q.after == nil
	for _, d := range transferDirections {
		if q.after != nil && d == q.after.Direction {
			started = true
		}
		if !started || (q.dir != "" && d != q.dir) || (q.status != "" && !slices.Contains(transferStatuses[d], q.status)) {
			continue
		}
		err := state.ListTransfers(snap, d, q.status, q.after, func(t state.Transfer) bool {
			if len(page) == q.limit {
				more = true
				return false
			}
			page = append(page, t)
			return true
		})
		if err != nil || more {
			return page, more, err
		}
	}
	return page, false, nil
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
	for _, d := range transferDirections {
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

// trust answers GET /v1/network/trust: the validator set this chain
// trusts for each other region of its network, which a relayer compares
// with that region's current set before it carries a proof.
func (s *server) trust(w http.ResponseWriter, _ *http.Request) error {
	snap := s.chain.Snapshot()
	defer snap.Close()
	regions, trusts, err := state.Trusted(snap, s.chain.Region())
	if err != nil {
		return err
	}
	v := client.NetworkTrust{Height: snap.Height, Region: s.chain.Region(), Regions: []client.RegionTrust{}}
	for i, rt := range trusts {
		v.Regions = append(v.Regions, client.RegionTrust{Region: regions[i], ChainID: rt.ChainID, Height: rt.Height,
			Validators: len(rt.Validators), ValidatorsHash: fmt.Sprintf("%X", rt.ValidatorsHash())})
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func tokenDecimals(snap *store.Snapshot, id ledger.TokenID) uint8 {
	if t := state.TokenByID(snap, id); t != nil {
		return t.Contract.Decimals
	}
	return 0
}

func transferView(t state.Transfer, decimals uint8) client.Transfer {
	v := client.Transfer{ID: t.ID, Direction: t.Direction, Status: t.Status, Token: t.Token, Value: value(t.Amount, decimals),
		Payer: t.Payer, Payee: t.Payee, From: t.From, To: t.To, Tx: t.Tx, Height: t.Height,
		ClosedHeight: t.ClosedHeight, InHeight: t.InHeight}
	if t.Coin != (ledger.CoinID{}) {
		v.Coin = &t.Coin
	}
	if t.Reason != 0 {
		v.Reason = t.Reason.Name()
	}
	if t.Closed != (ledger.TxID{}) {
		v.Closed = &t.Closed
	}
	if t.InTx != (ledger.TxID{}) {
		v.InTx = &t.InTx
	}
	return v
}
