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

// Transfer statuses. An outbound transfer is pending until the payee's
// region's answer is proven back: delivered (transfer_ack) or refunded
// (transfer_refund), exactly once. An inbound transfer is delivered or
// returned.
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
	// Closed is the transaction that refunded or acknowledged an outbound
	// transfer, and ClosedHeight its height.
	Closed       ledger.TxID `json:"closed,omitzero"`
	ClosedHeight uint64      `json:"closed_height,omitempty"`
	// InTx is the payee region's transfer_in that delivered or returned an
	// outbound transfer, and InHeight its height there, as the proof that
	// closed it showed.
	InTx     ledger.TxID `json:"in_tx,omitzero"`
	InHeight uint64      `json:"in_height,omitempty"`
}

// Books are a token's cross-region totals on one chain, which with its
// supply give the coins it holds: Σ unspent = Supply − Sent + Received +
// Refunded, where Supply is minted − redeemed at the token's home and zero
// elsewhere. Sent − Refunded − Delivered is what the pending outbound
// transfers total. Across the network, Σ unspent everywhere + in flight =
// minted − redeemed, in flight being Σ Sent − Σ Refunded − Σ Received.
type Books struct {
	Sent      money.Amount `json:"sent"`      // outbound transfers recorded
	Received  money.Amount `json:"received"`  // inbound transfers delivered
	Refunded  money.Amount `json:"refunded"`  // outbound transfers refunded
	Delivered money.Amount `json:"delivered"` // outbound transfers whose delivery was proven back
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
	x.saveTransfer(t, "")
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

// Trusted is the trust the chain of region own holds for each other
// region of its network, in the genesis's order: the last region_update's,
// or the genesis's set at height 0. A relayer compares it with a region's
// current set to know when to move it.
func Trusted(r Reader, own ledger.Region) ([]ledger.Region, []RegionTrust, error) {
	g, err := LoadGenesis(r)
	if err != nil {
		return nil, nil, err
	}
	var regions []ledger.Region
	var trusts []RegionTrust
	for _, nr := range g.Network {
		if nr.Region == own {
			continue
		}
		rt := RegionTrust{ChainID: nr.ChainID, Validators: nr.Validators}
		if b := r.Get(regionKey(nr.Region)); b != nil {
			decode(regionKey(nr.Region), b, &rt)
		}
		regions, trusts = append(regions, nr.Region), append(trusts, rt)
	}
	return regions, trusts, nil
}

// ValidatorsHash is the hash of the trusted validator set, as a header
// signed by that set names it (Header.ValidatorsHash).
func (rt RegionTrust) ValidatorsHash() []byte {
	return cometSet(rt.Validators).Hash()
}

// cometSet is set as CometBFT's validator set.
func cometSet(set []Validator) *cmttypes.ValidatorSet {
	vals := make([]*cmttypes.Validator, len(set))
	for i, v := range set {
		vals[i] = cmttypes.NewValidator(cmted25519.PubKey(v.PubKey), v.Power)
	}
	return cmttypes.NewValidatorSet(vals)
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
		return r.Region, proof.Trust{ChainID: r.ChainID, Validators: cometSet(set)}, height, nil
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
	if rej := x.backed(t); rej != nil {
		return rej
	}
	t.Direction, t.Tx, t.Height = TransferIn, x.tx.ID, x.env.Height
	if reason := x.refusal(t); reason != nil {
		t.Status, t.Reason = TransferReturned, reason.Code
		x.saveTransfer(t, "")
		x.emit("transfer.returned", "transfer", t.ID.String(), "token", string(t.Token), "amount", t.Amount.String(),
			"payer", t.Payer.String(), "payee", t.Payee.String(), "from", string(t.From), "to", string(t.To),
			"reason", reason.Code.Name(), "code", strconv.Itoa(int(reason.Code)))
		return nil
	}
	c := x.create(t.Token, 0, t.Payee, t.Amount)
	t.Status, t.Coin = TransferDelivered, c.ID
	x.saveTransfer(t, "")
	x.books(t.Token, func(b *Books) (ok bool) { b.Received, ok = b.Received.Add(t.Amount); return })
	add(&x.env.tally().flow(t.Token).Imported, t.Amount)
	x.emit("transfer.in", "transfer", t.ID.String(), "token", string(t.Token), "amount", t.Amount.String(),
		"payer", t.Payer.String(), "payee", t.Payee.String(), "from", string(t.From), "to", string(t.To))
	x.poolDelivered(c)
	return nil
}

// backed refuses a transfer into its token's home region of more than the
// home has out in other regions: sent − refunded − received, over every
// region, since coins move between the others freely. Honest regions never
// come near it (a region holds only coins the home sent out); a proof of
// more is a region, or its validators, making coins of a token that is not
// theirs to make, which the home neither credits nor returns
// (TRANSFER_UNBACKED): its supply stays what it minted less what it
// redeemed, and the network audit shows the payer's transfer unfinished.
func (x *exec) backed(t Transfer) *ledger.Rejection {
	tok, rej := x.viewToken(t.Token)
	if rej != nil || tok.Home != "" {
		return nil // unknown here (refusal returns it), or at home elsewhere
	}
	books := BooksOf(x.w, t.Token)
	out, ok := books.Sent.Sub(books.Refunded)
	if ok {
		out, ok = out.Sub(books.Received)
	}
	if !ok {
		out = money.Amount{}
	}
	if t.Amount.Cmp(out) > 0 {
		return ledger.Reject(ledger.CodeTransferUnbacked, "transfer %s brings %s %s home, but only %s of it is out in other regions",
			t.ID, t.Amount, t.Token, out)
	}
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
	if rej := x.earmarked(t.Payee); rej != nil {
		return rej
	}
	if tok.KYC != nil {
		return x.kycReceives(tok, t.Payee, t.Amount)
	}
	return nil
}

// closing checks a proof that the payee's region answered outbound
// transfer id: the record here, the proof of a transfer_in of the region
// the transfer went to (verified, as every proof is), its event typ
// (transfer.returned or transfer.in) naming the transfer as recorded here,
// and the record still pending. transfer_refund and transfer_ack share it,
// so that a return and a delivery are proven the same way.
func (x *exec) closing(p *proof.Receipt, id ledger.CoinID, typ string) (Transfer, *proof.Leaf, *ledger.Rejection) {
	out, ok := LoadTransfer(x.w, TransferOut, id)
	if !ok {
		return Transfer{}, nil, ledger.Reject(ledger.CodeTransferUnknown, "this chain recorded no outbound transfer %s", id)
	}
	to, leaf, rej := x.verified(p, "transfer_in")
	if rej != nil {
		return Transfer{}, nil, rej
	}
	if to != out.To {
		return Transfer{}, nil, ledger.Reject(ledger.CodeTransferNotProven, "transfer %s went to %s; the proof is of %s", id, out.To, to)
	}
	t, rej := provenTransfer(leaf, typ, id, x.env.Region, to)
	if rej != nil {
		return Transfer{}, nil, rej
	}
	if t.Token != out.Token || t.Amount != out.Amount || t.Payer != out.Payer || t.Payee != out.Payee {
		return Transfer{}, nil, ledger.Reject(ledger.CodeTransferNotProven, "the transfer %s that the proof shows is not the one recorded here", id)
	}
	if out.Status != TransferPending {
		return Transfer{}, nil, ledger.Reject(ledger.CodeTransferDone, "transfer %s was already %s, by transaction %s", id, out.Status, out.Closed)
	}
	out.Closed, out.ClosedHeight, out.InTx, out.InHeight = x.tx.ID, x.env.Height, leaf.TxID, leaf.Height
	return out, leaf, nil
}

func (x *exec) transferRefund(m tx.TransferRefund) *ledger.Rejection {
	out, leaf, rej := x.closing(m.Proof, m.Transfer, "transfer.returned")
	if rej != nil {
		return rej
	}
	if rej := x.refundable(out); rej != nil {
		return rej
	}
	c := x.create(out.Token, 0, out.Payer, out.Amount)
	out.Status, out.Coin = TransferRefunded, c.ID
	out.Reason = reasonOf(leaf, m.Transfer)
	x.saveTransfer(out, TransferPending)
	x.books(out.Token, func(b *Books) (ok bool) { b.Refunded, ok = b.Refunded.Add(out.Amount); return })
	add(&x.env.tally().flow(out.Token).Imported, out.Amount)
	x.emit("transfer.refunded", "transfer", out.ID.String(), "token", string(out.Token), "amount", out.Amount.String(),
		"payer", out.Payer.String(), "payee", out.Payee.String(), "from", string(out.From), "to", string(out.To),
		"reason", out.Reason.Name(), "code", strconv.Itoa(int(out.Reason)))
	return nil
}

// refundable checks that a returned transfer's payer may get its amount
// back: within its balance limit when the token has KYC tiers. A refusal
// leaves the transfer pending; the relayer's next pass tries again.
func (x *exec) refundable(out Transfer) *ledger.Rejection {
	tok, rej := x.viewToken(out.Token)
	if rej != nil {
		return rej
	}
	if tok.KYC != nil {
		return x.kycRefunded(tok, out.Payer, out.Amount)
	}
	return nil
}

// transferAck records that the payee's region delivered an outbound
// transfer: no coin moves here (the payment destroyed the payer's), the
// record and the books close it.
func (x *exec) transferAck(m tx.TransferAck) *ledger.Rejection {
	out, _, rej := x.closing(m.Proof, m.Transfer, "transfer.in")
	if rej != nil {
		return rej
	}
	out.Status = TransferDelivered
	x.saveTransfer(out, TransferPending)
	x.books(out.Token, func(b *Books) (ok bool) { b.Delivered, ok = b.Delivered.Add(out.Amount); return })
	x.emit("transfer.acked", "transfer", out.ID.String(), "token", string(out.Token), "amount", out.Amount.String(),
		"payer", out.Payer.String(), "payee", out.Payee.String(), "from", string(out.From), "to", string(out.To),
		"in_tx", out.InTx.String(), "in_height", strconv.FormatUint(out.InHeight, 10))
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

// saveTransfer writes transfer t and its index entries: by the height that
// recorded it, once, when it is new (prev ""), and by status, moved from
// prev. Both indexes order by that height, then id, so that a listing
// pages through them in an order new blocks only extend.
func (x *exec) saveTransfer(t Transfer, prev string) {
	x.w.Set(transferKey(t.Direction, t.ID), encode(t))
	if prev == "" {
		x.w.Set(transferHeightKey(t.Direction, t.Height, t.ID), nil)
	} else {
		x.w.Delete(transferStatusKey(t.Direction, prev, t.Height, t.ID))
	}
	x.w.Set(transferStatusKey(t.Direction, t.Status, t.Height, t.ID), nil)
}

// TransferPos is a position in a listing of transfers: the direction, the
// height that recorded the transfer and its id.
type TransferPos struct {
	Direction string
	Height    uint64
	ID        ledger.CoinID
}

// ListTransfers calls fn with the transfers of direction dir, of status
// (every status if ""), in the order of the height that recorded them then
// id, from just after position after (from the start if nil or of another
// direction), until fn returns false. A status reads its own index, so that
// pending transfers are found without reading finished ones.
func ListTransfers(s Scanner, dir, status string, after *TransferPos, fn func(Transfer) bool) error {
	prefix := transferHeightPrefix(dir)
	if status != "" {
		prefix = transferStatusPrefix(dir, status)
	}
	var start []byte
	if after != nil && after.Direction == dir {
		start = append(cat(prefix, heightID(after.Height, after.ID)), 0)
	}
	return s.Scan(prefix, start, func(k, _ []byte) bool {
		id := ledger.CoinID(k[len(k)-ledger.HashSize:])
		t, ok := LoadTransfer(s, dir, id)
		if !ok {
			panic(fmt.Sprintf("state: transfer index entry %q names no transfer", k))
		}
		return fn(t)
	})
}
