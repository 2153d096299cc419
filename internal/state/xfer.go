package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/reserve"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
)

// TrustingPeriod bounds how old a header may be, against the block time,
// when it is signed by a validator set other than the one this chain
// trusts for its region (the genesis's, or the last region_update's) and
// is accepted because a third of the trusted set's power signed it too
// (proof.TrustLevel): the light client's trusting period, shorter than any
// sensible unbonding period. A header signed by the trusted set itself is
// never stale, so that a transfer's proof stays good however late a
// relayer carries it.
const TrustingPeriod = 14 * 24 * time.Hour

// Transfer statuses. An outbound transfer is pending until it is refunded
// (its payer's chain does not learn of a delivery: the payee's chain keeps
// that record); an inbound transfer is delivered or returned.
const (
	TransferPending   = "pending"
	TransferRefunded  = "refunded"
	TransferDelivered = "delivered"
	TransferReturned  = "returned"
)

// Transfer directions.
const (
	TransferOut = "out"
	TransferIn  = "in"
)

// Transfer is a cross-region transfer as one chain records it (S2.7): on
// the payer's chain the outbound record a payment wrote, on the payee's the
// inbound record a transfer_in wrote. Its id is the coin id the payment's
// output would have had, NewCoinID(payment id, output).
type Transfer struct {
	ID        ledger.CoinID  `json:"id"`
	Direction string         `json:"direction"`
	Status    string         `json:"status"`
	Token     ledger.TokenID `json:"token"`
	Amount    money.Amount   `json:"amount"`
	Payer     ledger.Address `json:"payer"`
	Payee     ledger.Address `json:"payee"`
	From      ledger.Region  `json:"from"`
	To        ledger.Region  `json:"to"`
	// Tx and Height are the transaction that wrote the record here: the
	// payment, or the transfer_in.
	Tx     ledger.TxID `json:"tx"`
	Height uint64      `json:"height"`
	// Coin is the coin a delivery or a refund created.
	Coin ledger.CoinID `json:"coin,omitzero"`
	// Reason is why the payee's region returned it.
	Reason ledger.Code `json:"reason,omitempty"`
	// Closed is the transaction that refunded an outbound transfer.
	Closed ledger.TxID `json:"closed,omitzero"`
}

// Books are a token's cross-region totals on one chain, which with its
// supply give the coins it holds: Σ unspent = Supply − Sent + Received +
// Refunded, where Supply is minted − redeemed at the token's home and zero
// elsewhere. Across the network, Σ unspent everywhere + in flight = minted
// − redeemed, in flight being Σ Sent − Σ Refunded − Σ Received.
type Books struct {
	Sent     money.Amount `json:"sent"`     // outbound transfers recorded
	Received money.Amount `json:"received"` // inbound transfers delivered
	Refunded money.Amount `json:"refunded"` // outbound transfers refunded
}

// Held is what t's unspent coins on this chain total given its books:
// Supply − Sent + Received + Refunded. It saturates, so that a broken book
// shows as a mismatch rather than a panic.
func (t *Token) Held(b Books) money.Amount {
	held, ok := t.Supply.Add(b.Received)
	if ok {
		held, ok = held.Add(b.Refunded)
	}
	if ok {
		held, ok = held.Sub(b.Sent)
	}
	if !ok {
		return money.Amount{}
	}
	return held
}

// BooksOf reads a token's cross-region books; zero if it has none.
func BooksOf(r Reader, id ledger.TokenID) Books {
	var b Books
	if v := r.Get(booksKey(id)); v != nil {
		decode(booksKey(id), v, &b)
	}
	return b
}

// LoadTransfer reads a transfer record of direction dir.
func LoadTransfer(r Reader, dir string, id ledger.CoinID) (Transfer, bool) {
	k := transferKey(dir, id)
	b := r.Get(k)
	if b == nil {
		return Transfer{}, false
	}
	var t Transfer
	decode(k, b, &t)
	return t, true
}

func (x *exec) books(id ledger.TokenID, change func(*Books) bool) {
	b := BooksOf(x.w, id)
	if !change(&b) {
		panic(fmt.Sprintf("state: the cross-region books of %s overflow", id))
	}
	x.w.Set(booksKey(id), encode(b))
}

// networkRegion checks that a, an account at home elsewhere, lives in
// another region of this chain's network: FOREIGN_REGION for a region the
// network does not list.
func (x *exec) networkRegion(a ledger.Address, field string, args ...any) *ledger.Rejection {
	for _, r := range x.env.Genesis.Network {
		if r.Region == a.Region() && r.Region != x.env.Region {
			return nil
		}
	}
	return x.home(a, field, args...)
}

// sendOut records output index of a payment, to payee in another region,
// as an outbound transfer: its amount leaves this chain's coins.
func (x *exec) sendOut(id ledger.TokenID, index uint32, payer ledger.Address, o tx.Output) {
	t := Transfer{ID: ledger.NewCoinID(x.tx.ID, index), Direction: TransferOut, Status: TransferPending,
		Token: id, Amount: o.Amount, Payer: payer, Payee: o.Owner, From: x.env.Region, To: o.Owner.Region(),
		Tx: x.tx.ID, Height: x.env.Height}
	x.w.Set(transferKey(TransferOut, t.ID), encode(t))
	x.books(id, func(b *Books) (ok bool) { b.Sent, ok = b.Sent.Add(o.Amount); return })
	add(&x.env.tally().flow(id).Exported, o.Amount)
	x.emit("transfer.out", "transfer", t.ID.String(), "token", string(id), "amount", o.Amount.String(),
		"payer", payer.String(), "payee", o.Owner.String(), "from", string(t.From), "to", string(t.To))
}

// RegionTrust is the validator set this chain trusts for another region
// after a region_update, and the header it rests on; without one, the
// genesis's set.
type RegionTrust struct {
	ChainID    string      `json:"chain_id"`
	Validators []Validator `json:"validators"`
	Height     uint64      `json:"height"`
	Time       int64       `json:"time"` // the header's, Unix nanoseconds
}

// trustOf is the trust of the network region whose chain is chainID, other
// than this one, and the height of the header it rests on (0 for the
// genesis): PROOF_WRONG_CHAIN for any other chain.
func (x *exec) trustOf(chainID string) (ledger.Region, proof.Trust, uint64, *ledger.Rejection) {
	for _, r := range x.env.Genesis.Network {
		if r.ChainID != chainID || r.Region == x.env.Region {
			continue
		}
		set, height := r.Validators, uint64(0)
		if b := x.w.Get(regionKey(r.Region)); b != nil {
			var rt RegionTrust
			decode(regionKey(r.Region), b, &rt)
			set, height = rt.Validators, rt.Height
		}
		vals := make([]*cmttypes.Validator, len(set))
		for i, v := range set {
			vals[i] = cmttypes.NewValidator(cmted25519.PubKey(v.PubKey), v.Power)
		}
		return r.Region, proof.Trust{ChainID: r.ChainID, Validators: cmttypes.NewValidatorSet(vals)}, height, nil
	}
	return "", proof.Trust{}, 0, ledger.Reject(ledger.CodeProofWrongChain, "chain %q is not another region of this chain's network", chainID)
}

// stale refuses a header signed by a set other than the trusted one and
// older than the trusting period against the block time.
func (x *exec) stale(h *cmttypes.Header, trust proof.Trust) *ledger.Rejection {
	if !bytes.Equal(h.ValidatorsHash, trust.Validators.Hash()) && h.Time.Add(TrustingPeriod).Before(x.env.Time) {
		return ledger.Reject(ledger.CodeProofStale, "the header of %s, signed by a validator set other than the trusted one, is from %s, more than %s before this block",
			h.ChainID, h.Time.UTC().Format(time.RFC3339), TrustingPeriod)
	}
	return nil
}

func (x *exec) regionUpdate(m tx.RegionUpdate) *ledger.Rejection {
	var peek struct {
		Header struct {
			ChainID string `json:"chain_id"`
		} `json:"header"`
	}
	if err := json.Unmarshal(m.SignedHeader, &peek); err != nil {
		return ledger.Reject(ledger.CodeProofMalformed, "signed header: %v", err)
	}
	region, trust, height, rej := x.trustOf(peek.Header.ChainID)
	if rej != nil {
		return rej
	}
	h, vals, rej := proof.VerifyHeader(m.SignedHeader, m.Validators, trust)
	if rej != nil {
		return rej
	}
	if rej := x.stale(h, trust); rej != nil {
		return rej
	}
	if uint64(h.Height) <= height {
		return ledger.Reject(ledger.CodeRegionUpdateOld, "the header is of height %d; the trust in %s rests on height %d", h.Height, region, height)
	}
	rt := RegionTrust{ChainID: h.ChainID, Height: uint64(h.Height), Time: h.Time.UnixNano()}
	for _, v := range vals.Validators {
		rt.Validators = append(rt.Validators, Validator{PubKey: v.PubKey.Bytes(), Power: v.VotingPower})
	}
	if err := ValidateNetwork([]NetworkRegion{{Region: region, ChainID: rt.ChainID, Validators: rt.Validators}}); err != nil {
		return ledger.Reject(ledger.CodeProofMalformed, "%v", err)
	}
	x.w.Set(regionKey(region), encode(rt))
	x.emit("region.updated", "region", string(region), "chain", rt.ChainID, "height", strconv.FormatUint(rt.Height, 10),
		"validators", fmt.Sprintf("%X", vals.Hash()))
	return nil
}

// verified checks a proof of another region's receipt: the region's chain,
// proof.Verify against its validators from the genesis, the header's age
// if another validator set signed it, and that the transaction it proves
// was accepted and is of one of kinds.
func (x *exec) verified(p *proof.Receipt, kinds ...string) (ledger.Region, *proof.Leaf, *ledger.Rejection) {
	if p == nil {
		return "", nil, ledger.Reject(ledger.CodeProofMalformed, "no proof")
	}
	region, trust, _, rej := x.trustOf(p.ChainID)
	if rej != nil {
		return "", nil, rej
	}
	v, rej := x.env.Proofs.Verify(p, trust)
	if rej != nil {
		return "", nil, rej
	}
	if rej := x.stale(v.Header, trust); rej != nil {
		return "", nil, rej
	}
	if v.Leaf.Code != ledger.OK {
		return "", nil, ledger.Reject(ledger.CodeProofRefused, "the proven transaction %s was refused (%s)", v.Leaf.TxID, v.Leaf.Code)
	}
	if !slices.Contains(kinds, v.Leaf.Kind) {
		return "", nil, ledger.Reject(ledger.CodeTransferNotProven, "the proven transaction %s is a %s, not a %s", v.Leaf.TxID, v.Leaf.Kind, strings.Join(kinds, " or "))
	}
	return region, v.Leaf, nil
}

// provenTransfer reads the event typ of leaf naming transfer id, from
// region from to region to.
func provenTransfer(l *proof.Leaf, typ string, id ledger.CoinID, from, to ledger.Region) (Transfer, *ledger.Rejection) {
	for _, e := range l.Events {
		if e.Type != typ || attrOf(e, "transfer") != id.String() {
			continue
		}
		t := Transfer{ID: id, From: ledger.Region(attrOf(e, "from")), To: ledger.Region(attrOf(e, "to"))}
		if t.From != from || t.To != to {
			return Transfer{}, ledger.Reject(ledger.CodeTransferNotProven, "transfer %s goes from %s to %s, not from %s to %s", id, t.From, t.To, from, to)
		}
		var err1, err2, err3, err4 error
		t.Token, err1 = ledger.ParseTokenID(attrOf(e, "token"))
		t.Amount, err2 = money.ParseUnits(attrOf(e, "amount"))
		t.Payer, err3 = ledger.ParseAddress(attrOf(e, "payer"))
		t.Payee, err4 = ledger.ParseAddress(attrOf(e, "payee"))
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || t.Amount.IsZero() ||
			t.Payer.Region() != from || t.Payee.Region() != to {
			return Transfer{}, ledger.Reject(ledger.CodeTransferNotProven, "the %s event of transfer %s is malformed", typ, id)
		}
		return t, nil
	}
	return Transfer{}, ledger.Reject(ledger.CodeTransferNotProven, "transaction %s records no %s of transfer %s", l.TxID, typ, id)
}

func attrOf(e ledger.Event, key string) string {
	for _, a := range e.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

func (x *exec) transferIn(m tx.TransferIn) *ledger.Rejection {
	from, leaf, rej := x.verified(m.Proof, "pay", "spend_from", "seize")
	if rej != nil {
		return rej
	}
	t, rej := provenTransfer(leaf, "transfer.out", m.Transfer, from, x.env.Region)
	if rej != nil {
		return rej
	}
	if prev, ok := LoadTransfer(x.w, TransferIn, m.Transfer); ok {
		return ledger.Reject(ledger.CodeTransferDone, "transfer %s was already %s here, by transaction %s", m.Transfer, prev.Status, prev.Tx)
	}
	t.Direction, t.Tx, t.Height = TransferIn, x.tx.ID, x.env.Height
	if reason := x.refusal(t); reason != nil {
		t.Status, t.Reason = TransferReturned, reason.Code
		x.w.Set(transferKey(TransferIn, t.ID), encode(t))
		x.emit("transfer.returned", "transfer", t.ID.String(), "token", string(t.Token), "amount", t.Amount.String(),
			"payer", t.Payer.String(), "payee", t.Payee.String(), "from", string(t.From), "to", string(t.To),
			"reason", reason.Code.Name(), "code", strconv.Itoa(int(reason.Code)))
		return nil
	}
	c := x.create(t.Token, 0, t.Payee, t.Amount)
	t.Status, t.Coin = TransferDelivered, c.ID
	x.w.Set(transferKey(TransferIn, t.ID), encode(t))
	x.books(t.Token, func(b *Books) (ok bool) { b.Received, ok = b.Received.Add(t.Amount); return })
	add(&x.env.tally().flow(t.Token).Imported, t.Amount)
	x.emit("transfer.in", "transfer", t.ID.String(), "token", string(t.Token), "amount", t.Amount.String(),
		"payer", t.Payer.String(), "payee", t.Payee.String(), "from", string(t.From), "to", string(t.To))
	return nil
}

// refusal is why this region cannot give a transfer's payee its coin: the
// token unknown here, paused, the payee frozen, unregistered where the
// token requires it, or the fee contract; nil if it can. Reserve checks stay
// with the token's home.
func (x *exec) refusal(t Transfer) *ledger.Rejection {
	tok, rej := x.viewToken(t.Token)
	if rej != nil {
		return rej
	}
	if rej := x.unfrozen(tok, t.Payee); rej != nil {
		return rej
	}
	if tok.Contract.TransferRule == token.TransferRegistered && !x.isRegistered(t.Payee) {
		return ledger.Reject(ledger.CodeNotRegistered, "%s accepts payments between registered accounts only; %s is not registered", t.Token, t.Payee)
	}
	if !t.Amount.IsMultipleOf(tok.Contract.MinUnit) {
		return ledger.Reject(ledger.CodeNotMinUnitMultiple, "%s is not a multiple of %s's minimum unit", t.Amount, t.Token)
	}
	return x.earmarked(t.Payee)
}

func (x *exec) transferRefund(m tx.TransferRefund) *ledger.Rejection {
	out, ok := LoadTransfer(x.w, TransferOut, m.Transfer)
	if !ok {
		return ledger.Reject(ledger.CodeTransferUnknown, "this chain recorded no outbound transfer %s", m.Transfer)
	}
	to, leaf, rej := x.verified(m.Proof, "transfer_in")
	if rej != nil {
		return rej
	}
	if to != out.To {
		return ledger.Reject(ledger.CodeTransferNotProven, "transfer %s went to %s; the proof is of %s", m.Transfer, out.To, to)
	}
	t, rej := provenTransfer(leaf, "transfer.returned", m.Transfer, x.env.Region, to)
	if rej != nil {
		return rej
	}
	if t.Token != out.Token || t.Amount != out.Amount || t.Payer != out.Payer || t.Payee != out.Payee {
		return ledger.Reject(ledger.CodeTransferNotProven, "the returned transfer %s is not the one recorded here", m.Transfer)
	}
	if out.Status != TransferPending {
		return ledger.Reject(ledger.CodeTransferDone, "transfer %s was already %s, by transaction %s", m.Transfer, out.Status, out.Closed)
	}
	c := x.create(out.Token, 0, out.Payer, out.Amount)
	out.Status, out.Coin, out.Closed = TransferRefunded, c.ID, x.tx.ID
	out.Reason = reasonOf(leaf, m.Transfer)
	x.w.Set(transferKey(TransferOut, out.ID), encode(out))
	x.books(out.Token, func(b *Books) (ok bool) { b.Refunded, ok = b.Refunded.Add(out.Amount); return })
	add(&x.env.tally().flow(out.Token).Imported, out.Amount)
	x.emit("transfer.refunded", "transfer", out.ID.String(), "token", string(out.Token), "amount", out.Amount.String(),
		"payer", out.Payer.String(), "payee", out.Payee.String(), "from", string(out.From), "to", string(out.To),
		"reason", out.Reason.Name(), "code", strconv.Itoa(int(out.Reason)))
	return nil
}

// reasonOf is the code a transfer.returned event gives for transfer id.
func reasonOf(l *proof.Leaf, id ledger.CoinID) ledger.Code {
	for _, e := range l.Events {
		if e.Type == "transfer.returned" && attrOf(e, "transfer") == id.String() {
			if c, err := strconv.ParseUint(attrOf(e, "code"), 10, 16); err == nil {
				return ledger.Code(c)
			}
		}
	}
	return 0
}

func (x *exec) tokenImport(m tx.TokenImport) *ledger.Rejection {
	c, vs := token.Build(m.Contract, x.env.Genesis.Params.TokenParams())
	if len(vs) > 0 {
		return ledger.Reject(vs[0].Code, "contract has %d violation(s): %s", len(vs), violations(vs))
	}
	if x.w.Get(tokenKey(c.ID)) != nil {
		return ledger.Reject(ledger.CodeTokenExists, "token %q already exists here", c.ID)
	}
	home, leaf, rej := x.verified(m.Proof, "deploy_token")
	if rej != nil {
		return rej
	}
	canonical, err := proto.MarshalOptions{Deterministic: true}.Marshal(tx.DraftToProto(c.Draft()))
	if err != nil {
		panic("state: encoding contract: " + err.Error())
	}
	hash := ledger.TxID(sha256.Sum256(canonical))
	var issuer ledger.Address
	found := false
	for _, e := range leaf.Events {
		if e.Type == "token.deployed" && attrOf(e, "token") == string(c.ID) && attrOf(e, "hash") == hash.String() {
			issuer, err = ledger.ParseAddress(attrOf(e, "issuer"))
			found = err == nil
		}
	}
	if !found {
		return ledger.Reject(ledger.CodeDeployNotProven, "transaction %s does not deploy %s with hash %s", leaf.TxID, c.ID, hash)
	}
	t := &Token{
		Contract: c, Hash: hash, Address: ledger.ContractAddress(home, hash), Issuer: issuer, Home: home,
		DeployTx: leaf.TxID, DeployHeight: leaf.Height, Owner: c.Roles.Owner, Minters: c.Roles.Minters,
		ReserveStatus: reserve.Unattested, ReserveSince: x.env.Time.UnixNano(), DeployTime: x.env.Time.UnixNano(),
	}
	x.saveToken(t)
	x.emit("token.imported", "token", string(c.ID), "hash", hash.String(), "address", t.Address.String(), "home", string(home))
	return nil
}

// atHome refuses minting, redeeming, attesting or configuring a minter of a
// token imported from another region: its supply and reserve are kept at
// home.
func atHome(t *Token, what string) *ledger.Rejection {
	if t.Home != "" {
		return ledger.Reject(ledger.CodeTokenNotHome, "%s is at home in region %s; %s it there", t.Contract.ID, t.Home, what)
	}
	return nil
}

// Transfers calls fn with each transfer recorded in direction dir, in id
// order, until fn returns false.
func Transfers(s Scanner, dir string, fn func(Transfer) bool) error {
	return s.Scan(transferPrefix(dir), nil, func(k, v []byte) bool {
		var t Transfer
		decode(k, v, &t)
		return fn(t)
	})
}
