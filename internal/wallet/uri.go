package wallet

import (
	"fmt"
	"net/url"
	"time"

	"github.com/pegledger/peg/internal/ledger"
)

// MaxURILen bounds a peg: URI: a QR code a phone reads comfortably holds it.
const MaxURILen = 512

// URI is a payment request as a phone reads it from a QR code:
//
//	peg:ADDRESS?token=ID&amount=DECIMAL&ref=REFERENCE&req=REQUEST&exp=RFC3339
//
// ADDRESS is the request's one-time receiving address (a payment to it is
// the request's), amount a decimal in the token's units, ref the shop's
// reference, req the request's id at the wallet server and exp when it
// expires. token, amount and the address are required; a wallet pays
// amount of token to the address.
type URI struct {
	Address   ledger.Address
	Token     ledger.TokenID
	Amount    string
	Reference string
	Request   string
	Expires   time.Time
}

// String encodes u.
func (u URI) String() string {
	q := url.Values{}
	q.Set("token", string(u.Token))
	q.Set("amount", u.Amount)
	if u.Reference != "" {
		q.Set("ref", u.Reference)
	}
	if u.Request != "" {
		q.Set("req", u.Request)
	}
	if !u.Expires.IsZero() {
		q.Set("exp", u.Expires.UTC().Format(time.RFC3339))
	}
	return (&url.URL{Scheme: "peg", Opaque: u.Address.String(), RawQuery: q.Encode()}).String()
}

// ParseURI decodes a peg: URI.
func ParseURI(s string) (URI, error) {
	if len(s) > MaxURILen {
		return URI{}, fmt.Errorf("wallet: the URI has %d bytes; at most %d", len(s), MaxURILen)
	}
	pu, err := url.Parse(s)
	if err != nil {
		return URI{}, fmt.Errorf("wallet: the URI does not parse: %v", err)
	}
	if pu.Scheme != "peg" || pu.Opaque == "" {
		return URI{}, fmt.Errorf("wallet: %q is not a peg:ADDRESS?... URI", s)
	}
	var u URI
	if u.Address, err = ledger.ParseAddress(pu.Opaque); err != nil {
		return URI{}, fmt.Errorf("wallet: the URI's address: %v", err)
	}
	q := pu.Query()
	if u.Token, err = ledger.ParseTokenID(q.Get("token")); err != nil {
		return URI{}, fmt.Errorf("wallet: the URI's token: %v", err)
	}
	if u.Amount = q.Get("amount"); u.Amount == "" {
		return URI{}, fmt.Errorf("wallet: the URI names no amount")
	}
	u.Reference, u.Request = q.Get("ref"), q.Get("req")
	if exp := q.Get("exp"); exp != "" {
		if u.Expires, err = time.Parse(time.RFC3339, exp); err != nil {
			return URI{}, fmt.Errorf("wallet: the URI's expiry: %v", err)
		}
	}
	return u, nil
}
