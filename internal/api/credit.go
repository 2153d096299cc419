package api

import (
	"encoding/hex"
	"net/http"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
)

// Credit request pages: GET /v1/accounts/{address}/credit/history?limit=N.
const (
	DefaultCreditPage = 20
	MaxCreditPage     = state.MaxCreditHistory
)

// certificate answers GET /v1/accounts/{address}/certificate: the
// certificate the address registered, judged at the latest block's time.
func (s *server) certificate(w http.ResponseWriter, r *http.Request) error {
	addr, err := addressParam("address", r.PathValue("address"))
	if err != nil {
		return err
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	now, err := s.blockTime(snap)
	if err != nil {
		return err
	}
	c, rej := state.CertificateStatus(snap, &s.genesis, addr, now)
	if c == nil {
		return notFound("%s has registered no certificate (as of height %d)", addr, snap.Height)
	}
	v := client.Certificate{Serial: c.Serial, Address: c.Address.String(), Name: c.Identity.Name, Registration: c.Identity.Registration,
		Country: c.Identity.Country, NotBefore: c.NotBefore, NotAfter: c.NotAfter, Valid: rej == nil}
	if rej != nil {
		v.Problem, v.Message = rej.Code.Name(), rej.Message
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// creditNodeParam reads the node of a /v1/credit/nodes/{address} path and
// the token it lends.
func creditNodeParam(snap *store.Snapshot, r *http.Request) (*state.CreditNode, uint8, error) {
	addr, err := addressParam("address", r.PathValue("address"))
	if err != nil {
		return nil, 0, err
	}
	n := state.CreditNodeOf(snap, addr)
	if n == nil {
		return nil, 0, notFound("%s is not a credit node (as of height %d)", addr, snap.Height)
	}
	t := state.TokenByID(snap, n.Token)
	if t == nil {
		return nil, 0, notFound("credit node %s lends %s, which does not exist", addr, n.Token)
	}
	return n, t.Contract.Decimals, nil
}

// creditNode answers GET /v1/credit/nodes/{address}.
func (s *server) creditNode(w http.ResponseWriter, r *http.Request) error {
	snap := s.chain.Snapshot()
	defer snap.Close()
	n, dec, err := creditNodeParam(snap, r)
	if err != nil {
		return err
	}
	p := n.Params
	writeJSON(w, http.StatusOK, client.CreditNode{Node: n.Node.String(), Token: string(n.Token), Pool: n.Pool.String(),
		Params: client.CreditParams{Cap: value(p.Cap, dec), Base: value(p.Base, dec), RepaidPermille: p.RepaidPermille,
			VolumePermille: p.VolumePermille, LatePermille: p.LatePermille, Window: p.Window.String(), Term: p.Term.String(), Grace: p.Grace.String()},
		Balance: value(n.Balance, dec), Funded: value(n.Funded, dec), Paid: value(n.Paid, dec), Repaid: value(n.Repaid, dec),
		Outstanding: value(n.Outstanding(), dec), CrossPaid: value(n.CrossPaid, dec), CrossBorrowed: value(n.CrossBorrowed, dec)})
	return nil
}

// creditLimit answers GET /v1/credit/nodes/{address}/limit?payer=&payee=.
func (s *server) creditLimit(w http.ResponseWriter, r *http.Request) error {
	snap := s.chain.Snapshot()
	defer snap.Close()
	n, dec, err := creditNodeParam(snap, r)
	if err != nil {
		return err
	}
	payer, err := addressParam("payer", r.URL.Query().Get("payer"))
	if err != nil {
		return err
	}
	payee, err := addressParam("payee", r.URL.Query().Get("payee"))
	if err != nil {
		return err
	}
	now, err := s.blockTime(snap)
	if err != nil {
		return err
	}
	rec := state.CreditRecordOf(snap, n.Node, payer)
	line := state.CreditLineOf(snap, n.Node, payee, payer)
	limit := state.CreditLimitOf(snap, n, payer, payee, now)
	owed := rec.Owed()
	held := rec.ReservedAt(now.UnixNano())
	left := func(l, o money.Amount) money.Amount {
		d, ok := l.Sub(o)
		if !ok {
			return money.Amount{}
		}
		return d
	}
	avail := left(left(limit, owed), held)
	// A payee of another region keeps its line on its own chain, which
	// judges it.
	if l := left(line.Amount, line.Owed); payee.Region() == s.chain.Region() && l.Cmp(avail) < 0 {
		avail = l
	}
	_, inDefault := rec.Defaulted(n.Params, now.UnixNano())
	v := client.CreditLimit{Node: n.Node.String(), Payer: payer.String(), Payee: payee.String(),
		Limit: value(limit, dec), Owed: value(owed, dec), Line: value(line.Amount, dec), LineOwed: value(line.Owed, dec),
		Held: value(held, dec), Available: value(avail, dec), InDefault: inDefault}
	if inc := state.CreditIncreaseOf(snap, n.Node, payer); inc != nil {
		v.Increase = &client.CreditIncrease{ID: inc.ID.String(), Amount: value(inc.Amount, dec), DocumentHash: inc.DocumentHash,
			Status: inc.Status, Reason: inc.Reason}
		if inc.Status == state.IncreaseApproved {
			l, e := value(inc.Limit, dec), unixTime(inc.Expiry)
			v.Increase.Limit, v.Increase.Expiry = &l, &e
		}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// creditRequest answers GET /v1/credit/requests/{id}.
func (s *server) creditRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := ledger.ParseTxID(r.PathValue("id"))
	if err != nil {
		return badRequest("%v", err)
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	req := state.CreditRequestOf(snap, id)
	if req == nil {
		return notFound("no credit request %s (as of height %d)", id, snap.Height)
	}
	now, err := s.blockTime(snap)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, creditRequestView(snap, req, now.UnixNano()))
	return nil
}

// creditHistory answers GET /v1/accounts/{address}/credit/history
// [?before=CURSOR][&limit=N]: the credit requests the account made or was
// asked to accept, newest first, a page at a time.
func (s *server) creditHistory(w http.ResponseWriter, r *http.Request) error {
	addr, err := addressParam("address", r.PathValue("address"))
	if err != nil {
		return err
	}
	before, limit, err := partyPageParams(r, DefaultCreditPage, MaxCreditPage)
	if err != nil {
		return err
	}
	snap := s.chain.Snapshot()
	defer snap.Close()
	reqs, next, err := state.CreditHistory(snap, addr, before, limit)
	if err != nil {
		return err
	}
	now, err := s.blockTime(snap)
	if err != nil {
		return err
	}
	v := client.CreditHistory{Address: addr.String(), Requests: make([]client.CreditRequest, len(reqs)), Next: hex.EncodeToString(next)}
	for i := range reqs {
		v.Requests[i] = creditRequestView(snap, &reqs[i], now.UnixNano())
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func creditRequestView(snap *store.Snapshot, r *state.CreditRequestRecord, now int64) client.CreditRequest {
	var dec uint8
	if t := state.TokenByID(snap, r.Token); t != nil {
		dec = t.Contract.Decimals
	}
	status := r.Status
	if n := state.CreditNodeOf(snap, r.Node); n != nil {
		status = r.StatusAt(now, n.Params)
	}
	v := client.CreditRequest{ID: r.ID.String(), Node: r.Node.String(), Payer: r.Payer.String(), Payee: r.Payee.String(),
		Token: string(r.Token), Amount: value(r.Amount, dec), Description: r.Description, DocumentHash: r.DocumentHash,
		Deadline: unixTime(r.Deadline), Status: status, RecordedStatus: r.Status, Requested: unixTime(r.Requested),
		Owed: value(r.Owed, dec), Repaid: value(r.Repaid, dec), RepaidLate: r.RepaidLate}
	if r.PaidAt != 0 {
		paid, due := unixTime(r.PaidAt), unixTime(r.Due)
		v.PaidAt, v.Due = &paid, &due
	}
	v.To, v.From = string(r.To), string(r.From)
	if r.PaidBy != (ledger.TxID{}) {
		v.PaidBy = r.PaidBy.String()
	}
	for _, id := range r.Repayments {
		v.Repayments = append(v.Repayments, id.String())
	}
	return v
}

// MaxCreditAcross bounds the requests GET /v1/credit/across lists.
const MaxCreditAcross = 1000

// creditAcross answers GET /v1/credit/across.
func (s *server) creditAcross(w http.ResponseWriter, r *http.Request) error {
	snap := s.chain.Snapshot()
	defer snap.Close()
	now, err := s.blockTime(snap)
	if err != nil {
		return err
	}
	v := client.CreditAcross{Requests: []client.CreditRequest{}}
	err = state.CreditRequestsOut(snap, func(req state.CreditRequestRecord) bool {
		if len(v.Requests) == MaxCreditAcross {
			v.Truncated = true
			return false
		}
		v.Requests = append(v.Requests, creditRequestView(snap, &req, now.UnixNano()))
		return true
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
