package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/endorse"
	"github.com/pegledger/peg/internal/kyc"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/reserve"
	"github.com/pegledger/peg/internal/token"
)

// Genesis is the chain's initial application state, carried in the consensus
// genesis file's app_state.
type Genesis struct {
	// Operator is the platform operator: it authorises issuers and registers
	// accounts.
	Operator ledger.Address `json:"operator"`
	// Issuers may deploy token contracts from the first block.
	Issuers []ledger.Address `json:"issuers"`
	// Registered accounts satisfy "registered accounts only" rules.
	Registered []ledger.Address `json:"registered"`
	// Registrars bind phone and ID numbers to addresses in the alias
	// directory from the first block; the operator grants and withdraws the
	// role with set_registrar.
	Registrars []ledger.Address `json:"registrars,omitempty"`
	Params     Params           `json:"params"`
	// Fees, if set, is the fee policy and schedule from the first block;
	// the operator replaces it with set_fee_schedule. Without it nothing is
	// charged.
	Fees *Fees `json:"fees,omitempty"`
	// Network, if set, lists every region of the network this chain
	// belongs to, itself included (NetworkRegion); without it the chain
	// stands alone.
	Network []NetworkRegion `json:"network,omitempty"`
	// CA, if set, is the DER certificate of the operator's certificate
	// authority, which issues the identity certificates holders register
	// (S4.8). Without it no certificate can be registered.
	CA []byte `json:"ca,omitempty"`
}

// Params are the platform's rules, fixed at genesis.
type Params struct {
	// MinReserve is the smallest declared reserve a contract may have, in whole
	// units of its fiat currency, unless MinReserveByCurrency names the currency.
	MinReserve           uint64            `json:"min_reserve"`
	MinReserveByCurrency map[string]uint64 `json:"min_reserve_by_currency,omitempty"`
	// Banks are the BICs of banks the platform accepts as reserve holders.
	Banks []string `json:"banks"`
	// MaxExpiryDelta is how far past the current height a transaction's expiry
	// may be. It bounds how long a signed transaction stays usable.
	MaxExpiryDelta uint64 `json:"max_expiry_delta"`
}

// MaxExpiryDeltaLimit bounds MaxExpiryDelta: about a week of one-second blocks.
const MaxExpiryDeltaLimit = 1_000_000

// TokenParams are the issuance rules token.Build checks a contract against.
func (p Params) TokenParams() token.Params {
	return token.Params{MinReserve: p.MinReserve, MinReserveByCurrency: p.MinReserveByCurrency, Banks: p.Banks}
}

// Validate checks the parameters before a chain starts with them.
func (p Params) Validate() error {
	if p.MaxExpiryDelta == 0 || p.MaxExpiryDelta > MaxExpiryDeltaLimit {
		return fmt.Errorf("state: max_expiry_delta %d must be 1 to %d", p.MaxExpiryDelta, MaxExpiryDeltaLimit)
	}
	return p.TokenParams().Validate()
}

// Validate checks a genesis before a chain starts with it.
func (g Genesis) Validate() error {
	if g.Operator.IsZero() {
		return errors.New("state: genesis has no operator")
	}
	if g.Fees != nil {
		if err := g.Fees.Validate(); err != nil {
			return fmt.Errorf("state: genesis fees: %w", err)
		}
	}
	if err := ValidateNetwork(g.Network); err != nil {
		return err
	}
	if g.CA != nil {
		if _, err := cert.ParseCA(g.CA); err != nil {
			return fmt.Errorf("state: genesis ca: %w", err)
		}
	}
	return g.Params.Validate()
}

// Token is a published contract and its live state.
type Token struct {
	Contract token.Contract `json:"contract"`
	// Hash is the SHA-256 of the contract's canonical encoding; Address derives
	// from it (S0.7).
	Hash    ledger.TxID    `json:"hash"`
	Address ledger.Address `json:"address"`
	Issuer  ledger.Address `json:"issuer"`
	// Home is the region that deployed the token, for a token imported
	// from it (token_import); empty for a token deployed here. An imported
	// token is never minted, redeemed or attested here.
	Home ledger.Region `json:"home,omitempty"`
	// DeployTx and DeployHeight record the publishing transaction.
	DeployTx     ledger.TxID `json:"deploy_tx"`
	DeployHeight uint64      `json:"deploy_height"`
	DeployTime   int64       `json:"deploy_time"` // block time, Unix nanoseconds

	Supply   money.Amount `json:"supply"`
	Minted   money.Amount `json:"minted"`
	Redeemed money.Amount `json:"redeemed"`
	Paused   bool         `json:"paused"`
	// Frozen counts the accounts frozen for this token, so that movements of
	// a token with none skip the lookups.
	Frozen uint64 `json:"frozen"`
	// KYC is the token's KYC tiers, level 0 first; none for a token that
	// has not set any, whose movements no level limits (kyc.go).
	KYC kyc.Tiers `json:"kyc,omitempty"`
	// Owner and Minters start as the contract's roles and change by transaction.
	Owner        ledger.Address `json:"owner"`
	PendingOwner ledger.Address `json:"pending_owner"`
	Minters      []token.Minter `json:"minters"`
	// Endorsement is the owner's endorsement policy (S1.6), nil for none:
	// a mint above its threshold waits for endorsements. It is replaced
	// whole, never changed in place, so clones share it.
	Endorsement *endorse.Policy `json:"endorsement,omitempty"`

	// Reading is the last accepted attestation of the reserve's bank balance;
	// ReserveStatus is the reserve's state as of the last block that judged it,
	// since ReserveSince (block time, Unix nanoseconds).
	Reading       *reserve.Reading `json:"reading,omitempty"`
	ReserveStatus reserve.Status   `json:"reserve_status"`
	ReserveSince  int64            `json:"reserve_since"`
}

// RoleOf is the role a holds now.
func (t *Token) RoleOf(a ledger.Address) token.Role {
	r := t.Contract.Roles
	switch {
	case a == t.Owner:
		return token.RoleOwner
	case a == r.Pauser:
		return token.RolePauser
	case a == r.Freezer:
		return token.RoleFreezer
	case a == r.Attestor:
		return token.RoleAttestor
	case t.minter(a) >= 0:
		return token.RoleMinter
	}
	return token.RoleNone
}

func (t *Token) minter(a ledger.Address) int {
	return slices.IndexFunc(t.Minters, func(m token.Minter) bool { return m.Address == a })
}

// Coin is an unspent output.
type Coin struct {
	ID     ledger.CoinID
	Token  ledger.TokenID
	Owner  ledger.Address
	Amount money.Amount
}

// coin value: amount (16) | token length (1) | token | owner address bytes.
func (c Coin) encode() []byte {
	a := c.Amount.Bytes()
	b := make([]byte, 0, 17+len(c.Token)+32)
	b = append(b, a[:]...)
	b = append(b, byte(len(c.Token)))
	b = append(b, c.Token...)
	return append(b, c.Owner.Bytes()...)
}

func decodeCoin(id ledger.CoinID, b []byte) Coin {
	if len(b) < 17 || len(b) < 17+int(b[16]) {
		panic(fmt.Sprintf("state: coin %s record is corrupt", id))
	}
	amt, _ := money.FromBytes(b[:16])
	n := int(b[16])
	owner, err := ledger.AddressFromBytes(b[17+n:])
	if err != nil {
		panic(fmt.Sprintf("state: coin %s owner: %v", id, err))
	}
	return Coin{ID: id, Token: ledger.TokenID(b[17 : 17+n]), Owner: owner, Amount: amt}
}

// Attr is one key/value of an event (ledger.Attr).
type Attr = ledger.Attr

// Event is something a transaction did, for clients and indexers
// (ledger.Event).
type Event = ledger.Event

func event(typ string, kv ...string) Event {
	e := Event{Type: typ}
	if len(kv) >= 2 {
		e.Attrs = make([]Attr, 0, len(kv)/2)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Attrs = append(e.Attrs, Attr{Key: kv[i], Value: kv[i+1]})
	}
	return e
}

// Result is the outcome of one transaction.
type Result struct {
	Code   ledger.Code
	Log    string
	Events []Event
	// Recorded says that Deliver wrote the transaction's receipt: false
	// for a replay, whose first receipt stands.
	Recorded bool
}

// Receipt records a transaction included in a block, accepted or not. Its
// existence also marks the id as used, so the same transaction is never
// applied twice.
type Receipt struct {
	TxID   ledger.TxID    `json:"tx_id"`
	Height uint64         `json:"height"`
	Index  uint32         `json:"index"`
	Time   int64          `json:"time"` // block time, Unix nanoseconds
	Kind   string         `json:"kind"`
	Signer ledger.Address `json:"signer"`
	Code   ledger.Code    `json:"code"`
	Log    string         `json:"log"`
	Events []Event        `json:"events"`
}

// Redemption is a holder's claim on the reserve: coins returned to the issuer,
// to be paid out at par from the named fiat account.
type Redemption struct {
	TxID     ledger.TxID       `json:"tx_id"`
	Token    ledger.TokenID    `json:"token"`
	Holder   ledger.Address    `json:"holder"`
	Amount   money.Amount      `json:"amount"`
	Fiat     token.FiatAccount `json:"fiat"`
	FiatOwed money.Amount      `json:"fiat_owed"` // fiat minor units, rounded down
	Height   uint64            `json:"height"`
	Time     int64             `json:"time"`
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("state: encoding %T: %v", v, err))
	}
	return b
}

func decode(key, b []byte, v any) {
	if err := json.Unmarshal(b, v); err != nil {
		panic(fmt.Sprintf("state: record %q is corrupt: %v", key, err))
	}
}

// violations renders a contract's violations as one log line.
func violations(vs []token.Violation) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("%s %s: %s", v.Code.Name(), v.Field, v.Message)
	}
	return strings.Join(parts, "; ")
}
