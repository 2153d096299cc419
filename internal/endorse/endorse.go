// Package endorse owns the rules of the endorsement service (S1.6): a token
// owner's endorsement policy (mints above a threshold need M of N
// endorsements), the mint request a mint above the threshold becomes, and the
// request's life:
//
//	open → executed (the M-th endorsement ran the mint)
//	     → refused  (the M-th endorsement ran the mint, which was refused)
//	     → cancelled (by its minter or the token's owner)
//	     → lapsed   (its deadline passed first; a state of block time, never written)
//
// It is pure: block time comes in as Unix nanoseconds, nothing is read or
// written; internal/state sequences the checks, runs the mint and keeps the
// records.
package endorse

import (
	"fmt"
	"slices"
	"time"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// Limits on policies and requests.
const (
	// MaxEndorsers bounds a policy's endorsers: a request copies them and
	// is read and written whole on every endorsement.
	MaxEndorsers = 16
	// MinWindow is the shortest time a request stays open: endorsers must
	// have time to look at it.
	MinWindow = time.Minute
	// MaxWindow bounds how long a request stays open, and so how long an
	// unendorsed request holds a place among a token's open requests.
	MaxWindow = 30 * 24 * time.Hour
	// MaxOpenRequests bounds a token's open requests: a new request looks
	// at every open one, dropping those that lapsed.
	MaxOpenRequests = 64
)

// Policy is a token's endorsement policy: a mint of more than Threshold
// waits for Required of Endorsers to endorse it within Window.
type Policy struct {
	Threshold money.Amount     `json:"threshold"`
	Endorsers []ledger.Address `json:"endorsers"`
	Required  uint32           `json:"required"`
	Window    time.Duration    `json:"window"`
}

// Validate checks a policy: 1 to MaxEndorsers endorsers, none twice, none
// zero; Required from 1 to their number; Window from MinWindow to MaxWindow.
func (p Policy) Validate() error {
	n := len(p.Endorsers)
	if n == 0 || n > MaxEndorsers {
		return fmt.Errorf("endorse: %d endorsers; a policy names 1 to %d", n, MaxEndorsers)
	}
	for i, a := range p.Endorsers {
		if a.IsZero() {
			return fmt.Errorf("endorse: endorser %d is the zero address", i)
		}
		if slices.Index(p.Endorsers, a) != i {
			return fmt.Errorf("endorse: endorser %s is named twice", a)
		}
	}
	if p.Required == 0 || int(p.Required) > n {
		return fmt.Errorf("endorse: %d endorsements required of %d endorsers; want 1 to %d", p.Required, n, n)
	}
	if p.Window < MinWindow || p.Window > MaxWindow {
		return fmt.Errorf("endorse: window %s is outside %s to %s", p.Window, MinWindow, MaxWindow)
	}
	return nil
}

// Needs reports whether a mint of amount needs endorsement: it is above the
// threshold.
func (p *Policy) Needs(amount money.Amount) bool {
	return p != nil && amount.Cmp(p.Threshold) > 0
}

// Status is where a request stands.
type Status string

// A request's statuses. Lapsed is never written: an open request lapses by
// block time alone (Request.StatusAt).
const (
	Open      Status = "open"
	Executed  Status = "executed"
	Refused   Status = "refused"
	Cancelled Status = "cancelled"
	Lapsed    Status = "lapsed"
)

// Request is a mint waiting for endorsement. ID is the mint transaction's
// id; Endorsers, Required and Deadline are fixed by the policy in force when
// it opened, so that a later policy changes no open request.
type Request struct {
	ID        ledger.TxID      `json:"id"`
	Token     ledger.TokenID   `json:"token"`
	Minter    ledger.Address   `json:"minter"`
	To        ledger.Address   `json:"to"`
	Amount    money.Amount     `json:"amount"`
	Endorsers []ledger.Address `json:"endorsers"`
	Required  uint32           `json:"required"`
	Height    uint64           `json:"height"`
	Opened    int64            `json:"opened"`   // block time, Unix nanoseconds
	Deadline  int64            `json:"deadline"` // Opened + the policy's window
	// Endorsed lists the endorsers who endorsed it, in order.
	Endorsed []ledger.Address `json:"endorsed"`
	Status   Status           `json:"status"`
	// Closed, ClosedBy and Closer record the transaction that executed,
	// refused or cancelled it; Code and Log a refused mint's result.
	Closed   int64          `json:"closed,omitempty"`
	ClosedBy ledger.TxID    `json:"closed_by,omitzero"`
	Closer   ledger.Address `json:"closer,omitzero"`
	Code     ledger.Code    `json:"code,omitempty"`
	Log      string         `json:"log,omitempty"`
}

// Open makes the request a mint above p's threshold becomes.
func (p *Policy) Open(id ledger.TxID, tok ledger.TokenID, minter, to ledger.Address, amount money.Amount, height uint64, now int64) *Request {
	return &Request{ID: id, Token: tok, Minter: minter, To: to, Amount: amount,
		Endorsers: slices.Clone(p.Endorsers), Required: p.Required, Height: height,
		Opened: now, Deadline: now + int64(p.Window), Endorsed: []ledger.Address{}, Status: Open}
}

// StatusAt is the request's status at block time now: an open request
// whose deadline has come is lapsed.
func (r *Request) StatusAt(now int64) Status {
	if r.Status == Open && now >= r.Deadline {
		return Lapsed
	}
	return r.Status
}

// isOpen refuses a step on a request that is no longer open.
func (r *Request) isOpen(now int64) *ledger.Rejection {
	switch s := r.StatusAt(now); s {
	case Open:
		return nil
	case Lapsed:
		return ledger.Reject(ledger.CodeMintRequestLapsed, "mint request %s lapsed at %s", r.ID,
			time.Unix(0, r.Deadline).UTC().Format(time.RFC3339))
	default:
		return ledger.Reject(ledger.CodeMintRequestClosed, "mint request %s is %s", r.ID, s)
	}
}

// CheckEndorse checks that signer may endorse r at now, in order: r is
// open (MINT_REQUEST_CLOSED, MINT_REQUEST_LAPSED), signer is one of its
// endorsers (NOT_ENDORSER) and not its minter (ENDORSE_OWN_REQUEST), and
// has not endorsed it yet (ENDORSED_TWICE).
func (r *Request) CheckEndorse(signer ledger.Address, now int64) *ledger.Rejection {
	if rej := r.isOpen(now); rej != nil {
		return rej
	}
	if !slices.Contains(r.Endorsers, signer) {
		return ledger.Reject(ledger.CodeNotEndorser, "%s is not among the endorsers of mint request %s", signer, r.ID)
	}
	if signer == r.Minter {
		return ledger.Reject(ledger.CodeEndorseOwnRequest, "%s made mint request %s and may not endorse it", signer, r.ID)
	}
	if slices.Contains(r.Endorsed, signer) {
		return ledger.Reject(ledger.CodeEndorsedTwice, "%s has endorsed mint request %s already", signer, r.ID)
	}
	return nil
}

// Endorse records signer's endorsement, which CheckEndorse allowed, and
// reports whether the request now has the endorsements it needs.
func (r *Request) Endorse(signer ledger.Address) bool {
	r.Endorsed = append(r.Endorsed, signer)
	return len(r.Endorsed) >= int(r.Required)
}

// CheckCancel checks that signer may cancel r at now, in order: r is open
// (MINT_REQUEST_CLOSED, MINT_REQUEST_LAPSED) and signer is its minter or the
// token's owner (NOT_REQUEST_PARTY).
func (r *Request) CheckCancel(signer, owner ledger.Address, now int64) *ledger.Rejection {
	if rej := r.isOpen(now); rej != nil {
		return rej
	}
	if signer != r.Minter && signer != owner {
		return ledger.Reject(ledger.CodeNotRequestParty, "%s is neither the minter of mint request %s nor the owner of %s", signer, r.ID, r.Token)
	}
	return nil
}

// Close records the transaction id that closed r at now, signed by closer,
// with status s and, for a refused mint, its code and log.
func (r *Request) Close(s Status, id ledger.TxID, closer ledger.Address, now int64, code ledger.Code, log string) {
	r.Status, r.ClosedBy, r.Closer, r.Closed, r.Code, r.Log = s, id, closer, now, code, log
}
