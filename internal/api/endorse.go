package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/endorse"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
)

// Mint request pages: GET /v1/tokens/{id}/mint-requests?limit=N.
const (
	DefaultMintRequestsPage = 20
	MaxMintRequestsPage     = endorse.MaxOpenRequests
)

// endorsePolicy answers GET /v1/tokens/{id}/endorsement.
func (s *server) endorsePolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := ledger.ParseTokenID(r.PathValue("id"))
	if err != nil {
		return badRequest("%v", err)
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	t := state.TokenByID(snap, id)
	if t == nil {
		return notFound("no token %s (as of height %d)", id, snap.Height)
	}
	p := t.Endorsement
	if p == nil {
		return notFound("%s has no endorsement policy: every mint executes at once (as of height %d)", id, snap.Height)
	}
	v := client.EndorsePolicy{Token: string(id), Threshold: value(p.Threshold, t.Contract.Decimals),
		Endorsers: addressTexts(p.Endorsers), Required: p.Required, Window: duration(p.Window)}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// mintRequest answers GET /v1/mint-requests/{id}.
func (s *server) mintRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := ledger.ParseTxID(r.PathValue("id"))
	if err != nil {
		return badRequest("%v", err)
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	q := state.MintRequestOf(snap, id)
	if q == nil {
		return notFound("no mint request %s (as of height %d)", id, snap.Height)
	}
	now, err := s.blockTime(snap)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mintRequestView(snap, q, now))
	return nil
}

// mintRequests answers GET /v1/tokens/{id}/mint-requests[?after=ID]
// [&limit=N]: the token's open requests, oldest first, a page at a time;
// lapsed ones are left out.
func (s *server) mintRequests(w http.ResponseWriter, r *http.Request) error {
	tok, err := ledger.ParseTokenID(r.PathValue("id"))
	if err != nil {
		return badRequest("%v", err)
	}
	q := r.URL.Query()
	limit := DefaultMintRequestsPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxMintRequestsPage {
			return badRequest("limit %q: want a whole number from 1 to %d", v, MaxMintRequestsPage)
		}
		limit = n
	}
	var after *ledger.TxID
	if v := q.Get("after"); v != "" {
		id, err := ledger.ParseTxID(v)
		if err != nil {
			return badRequest("after %q: want the next cursor of an earlier page: %v", v, err)
		}
		after = &id
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	if state.TokenByID(snap, tok) == nil {
		return notFound("no token %s (as of height %d)", tok, snap.Height)
	}
	now, err := s.blockTime(snap)
	if err != nil {
		return err
	}
	v := client.MintRequestList{Token: string(tok), Requests: []client.MintRequest{}}
	open := state.OpenMintRequestsOf(snap, tok)
	start := 0
	if after != nil {
		start = len(open) // a cursor no longer open starts past the end: the page is empty
		for i, o := range open {
			if o.ID == *after {
				start = i + 1
			}
		}
	}
	for _, o := range open[start:] {
		if len(v.Requests) == limit {
			v.Next = v.Requests[limit-1].ID
			break
		}
		if q := state.MintRequestOf(snap, o.ID); q != nil && q.StatusAt(now.UnixNano()) == endorse.Open {
			v.Requests = append(v.Requests, mintRequestView(snap, q, now))
		}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func addressTexts(as []ledger.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

func mintRequestView(snap *store.Snapshot, q *endorse.Request, now time.Time) client.MintRequest {
	v := client.MintRequest{ID: q.ID.String(), Token: string(q.Token), Minter: q.Minter.String(), To: q.To.String(),
		Amount: value(q.Amount, tokenDecimals(snap, q.Token)), Endorsers: addressTexts(q.Endorsers), Required: q.Required,
		Endorsed: addressTexts(q.Endorsed), Status: string(q.StatusAt(now.UnixNano())), RecordedStatus: string(q.Status),
		Height: q.Height, Opened: unixTime(q.Opened), Deadline: unixTime(q.Deadline), ClosedAt: optTime(q.Closed), Log: q.Log}
	if q.Closed != 0 {
		v.ClosedBy, v.Closer = q.ClosedBy.String(), q.Closer.String()
	}
	if q.Code != ledger.OK {
		v.Code = q.Code.Name()
	}
	return v
}
