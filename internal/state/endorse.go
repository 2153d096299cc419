package state

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/endorse"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
)

// OpenMintRequest is one entry of a token's open mint requests: the
// request's id and its deadline, so that lapsed ones are dropped without
// reading them.
type OpenMintRequest struct {
	ID       ledger.TxID `json:"id"`
	Deadline int64       `json:"deadline"` // block time, Unix nanoseconds
}

// MintRequestOf returns mint request id, or nil.
func MintRequestOf(r Reader, id ledger.TxID) *endorse.Request {
	k := mintRequestKey(id)
	b := r.Get(k)
	if b == nil {
		return nil
	}
	var q endorse.Request
	decode(k, b, &q)
	return &q
}

// OpenMintRequestsOf lists tok's open mint requests, oldest first, lapsed
// ones included until a new request of tok drops them (see
// endorse.Request.StatusAt).
func OpenMintRequestsOf(r Reader, tok ledger.TokenID) []OpenMintRequest {
	k := mintOpenKey(tok)
	b := r.Get(k)
	if b == nil {
		return nil
	}
	var open []OpenMintRequest
	decode(k, b, &open)
	return open
}

func (x *exec) saveOpenMintRequests(tok ledger.TokenID, open []OpenMintRequest) {
	if len(open) == 0 {
		x.w.Delete(mintOpenKey(tok))
		return
	}
	x.w.Set(mintOpenKey(tok), encode(open))
}

func (x *exec) saveMintRequest(q *endorse.Request) { x.w.Set(mintRequestKey(q.ID), encode(q)) }

func (x *exec) setEndorsePolicy(m tx.SetEndorsePolicy) *ledger.Rejection {
	t, rej := x.roleToken(m.Token, token.RoleOwner)
	if rej != nil {
		return rej
	}
	if rej := atHome(t, "set its endorsement policy"); rej != nil {
		return rej
	}
	if p := m.Policy; p != nil {
		if err := p.Validate(); err != nil {
			return ledger.Reject(ledger.CodeEndorsePolicy, "%v", err)
		}
		for i, a := range p.Endorsers {
			if rej := x.home(a, "endorser %d", i); rej != nil {
				return rej
			}
		}
	}
	t.Endorsement = m.Policy
	x.saveToken(t)
	if p := m.Policy; p == nil {
		x.emit("endorse.policy", "token", string(m.Token), "cleared", "true")
	} else {
		x.emit("endorse.policy", "token", string(m.Token), "threshold", p.Threshold.String(),
			"required", strconv.FormatUint(uint64(p.Required), 10), "endorsers", strconv.Itoa(len(p.Endorsers)),
			"window", p.Window.String())
	}
	return nil
}

// openMintRequest turns m, a mint above t's endorsement threshold by its
// signer (a minter), into a mint request, after the checks that hold
// whatever happens before it executes: t is at home here, the recipient
// too, and the amount is a multiple of the minimum unit. The mint's other
// checks run when it executes. Requests that lapsed are dropped from t's
// open ones; MaxOpenRequests open ones refuse another.
func (x *exec) openMintRequest(t *Token, m tx.Mint) *ledger.Rejection {
	if rej := atHome(t, "mint"); rej != nil {
		return rej
	}
	if rej := x.home(m.To, "recipient"); rej != nil {
		return rej
	}
	c := t.Contract
	if !m.Amount.IsMultipleOf(c.MinUnit) {
		return ledger.Reject(ledger.CodeNotMinUnitMultiple, "%s %s is not a multiple of the minimum unit %s",
			c.FormatAmount(m.Amount), c.Symbol, c.FormatAmount(c.MinUnit))
	}
	now := x.blockNanos()
	open := slices.DeleteFunc(OpenMintRequestsOf(x.w, m.Token), func(o OpenMintRequest) bool { return now >= o.Deadline })
	if len(open) >= endorse.MaxOpenRequests {
		return ledger.Reject(ledger.CodeMintRequestLimit, "%s has %d open mint requests, the most allowed; endorse or cancel one first", m.Token, len(open))
	}
	q := t.Endorsement.Open(x.tx.ID, m.Token, x.tx.Signer, m.To, m.Amount, x.env.Height, now)
	x.saveMintRequest(q)
	x.saveOpenMintRequests(m.Token, append(open, OpenMintRequest{ID: q.ID, Deadline: q.Deadline}))
	x.emit("mint_request.opened", "request", q.ID.String(), "token", string(m.Token), "minter", q.Minter.String(),
		"to", q.To.String(), "amount", q.Amount.String(), "required", strconv.FormatUint(uint64(q.Required), 10),
		"deadline", time.Unix(0, q.Deadline).UTC().Format(time.RFC3339), "endorsers", endorserList(q))
	return nil
}

// loadMintRequest reads request id, refusing one that does not exist.
func (x *exec) loadMintRequest(id ledger.TxID) (*endorse.Request, *ledger.Rejection) {
	q := MintRequestOf(x.w, id)
	if q == nil {
		return nil, ledger.Reject(ledger.CodeMintRequestUnknown, "no mint request %s", id)
	}
	return q, nil
}

// endorseMint records the signer's endorsement of a request
// (endorse.Request.CheckEndorse); the one that makes the request's required
// count runs the mint, whose refusal, if it is refused, closes the request
// as refused with the mint's code: the endorsement stands either way.
func (x *exec) endorseMint(m tx.EndorseMint) *ledger.Rejection {
	q, rej := x.loadMintRequest(m.Request)
	if rej != nil {
		return rej
	}
	now := x.blockNanos()
	if rej := q.CheckEndorse(x.tx.Signer, now); rej != nil {
		return rej
	}
	done := q.Endorse(x.tx.Signer)
	x.emit("mint_request.endorsed", "request", q.ID.String(), "token", string(q.Token), "endorser", x.tx.Signer.String(),
		"endorsements", strconv.Itoa(len(q.Endorsed)), "required", strconv.FormatUint(uint64(q.Required), 10),
		"minter", q.Minter.String(), "endorsers", endorserList(q))
	if done {
		x.executeMintRequest(q, now)
	}
	x.saveMintRequest(q)
	return nil
}

// executeMintRequest runs q's mint by its minter, who must hold the role
// still, and closes q as executed or refused.
func (x *exec) executeMintRequest(q *endorse.Request, now int64) {
	t, rej := x.loadToken(q.Token)
	if rej == nil && t.RoleOf(q.Minter) != token.RoleMinter {
		rej = ledger.Reject(ledger.CodeUnauthorized, "%s is no longer a minter of %s", q.Minter, q.Token)
	}
	if rej == nil {
		rej = x.mintAs(t, q.Minter, tx.Mint{Token: q.Token, To: q.To, Amount: q.Amount})
	}
	if rej != nil {
		q.Close(endorse.Refused, x.tx.ID, x.tx.Signer, now, rej.Code, rej.Message)
		x.emit("mint_request.refused", "request", q.ID.String(), "token", string(q.Token), "code", rej.Code.Name(), "log", rej.Message,
			"minter", q.Minter.String(), "endorsers", endorserList(q))
	} else {
		q.Close(endorse.Executed, x.tx.ID, x.tx.Signer, now, ledger.OK, "")
		x.emit("mint_request.executed", "request", q.ID.String(), "token", string(q.Token), "amount", q.Amount.String(),
			"minter", q.Minter.String(), "endorsers", endorserList(q))
	}
	x.closeOpen(q)
}

// closeOpen takes q out of its token's open requests.
func (x *exec) closeOpen(q *endorse.Request) {
	open := OpenMintRequestsOf(x.w, q.Token)
	x.saveOpenMintRequests(q.Token, slices.DeleteFunc(open, func(o OpenMintRequest) bool { return o.ID == q.ID }))
}

func (x *exec) cancelMintRequest(m tx.CancelMintRequest) *ledger.Rejection {
	q, rej := x.loadMintRequest(m.Request)
	if rej != nil {
		return rej
	}
	t, rej := x.viewToken(q.Token)
	if rej != nil {
		return rej
	}
	now := x.blockNanos()
	if rej := q.CheckCancel(x.tx.Signer, t.Owner, now); rej != nil {
		return rej
	}
	q.Close(endorse.Cancelled, x.tx.ID, x.tx.Signer, now, ledger.OK, "")
	x.saveMintRequest(q)
	x.closeOpen(q)
	x.emit("mint_request.cancelled", "request", q.ID.String(), "token", string(q.Token), "by", x.tx.Signer.String(),
		"minter", q.Minter.String(), "endorsers", endorserList(q))
	return nil
}

// endorserList is the "endorsers" attribute of a request's events: its
// endorsers' addresses joined by commas, so that the information service
// tells each of them (an address holds no comma).
func endorserList(q *endorse.Request) string {
	s := make([]string, len(q.Endorsers))
	for i, a := range q.Endorsers {
		s[i] = a.String()
	}
	return strings.Join(s, ",")
}
