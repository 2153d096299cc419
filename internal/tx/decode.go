package tx

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/credit"
	"github.com/pegledger/peg/internal/endorse"
	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/kyc"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/trade"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// fields converts wire fields to typed values, keeping the first problem.
type fields struct{ rej *ledger.Rejection }

func (f *fields) fail(code ledger.Code, format string, args ...any) {
	if f.rej == nil {
		f.rej = ledger.Reject(code, format, args...)
	}
}

func (f *fields) address(name, s string) ledger.Address {
	a, err := ledger.ParseAddress(s)
	if err != nil {
		f.fail(ledger.CodeInvalidArgument, "%s: %v", name, err)
	}
	return a
}

func (f *fields) token(s string) ledger.TokenID {
	id, err := ledger.ParseTokenID(s)
	if err != nil {
		f.fail(ledger.CodeInvalidArgument, "token: %v", err)
	}
	return id
}

// amount parses minor units, in their one canonical form; positive says
// whether zero is refused.
func (f *fields) amount(name, s string, positive bool) money.Amount {
	a, err := money.ParseUnits(s)
	switch {
	case errors.Is(err, money.ErrNotCanonical):
		f.fail(ledger.CodeInvalidAmount, "%s: %q is not canonical: minor units are written without leading zeros", name, trunc(s, 40))
	case errors.Is(err, money.ErrRange) && strings.Trim(s, "0123456789") == "":
		f.fail(ledger.CodeAmountOverflow, "%s: %q is beyond the amount range", name, trunc(s, 40))
	case err != nil:
		f.fail(ledger.CodeInvalidAmount, "%s: %q is not a whole number of minor units", name, trunc(s, 40))
	case positive && a.IsZero():
		f.fail(ledger.CodeInvalidAmount, "%s must be greater than zero", name)
	}
	return a
}

func (f *fields) coins(name string, raw [][]byte) []ledger.CoinID {
	if len(raw) == 0 {
		f.fail(ledger.CodeInvalidArgument, "%s: at least one coin is needed", name)
	}
	if len(raw) > MaxInputs {
		f.fail(ledger.CodeTooManyCoins, "%s: %d coins, limit %d", name, len(raw), MaxInputs)
		return nil
	}
	ids := make([]ledger.CoinID, len(raw))
	for i, b := range raw {
		if len(b) != ledger.HashSize {
			f.fail(ledger.CodeInvalidArgument, "%s[%d]: coin id is %d bytes, want %d", name, i, len(b), ledger.HashSize)
			continue
		}
		copy(ids[i][:], b)
	}
	return ids
}

// proof decodes a receipt proof's JSON; proof.Verify checks the rest.
func (f *fields) proof(b []byte) *proof.Receipt {
	var p proof.Receipt
	if err := json.Unmarshal(b, &p); err != nil {
		f.fail(ledger.CodeProofMalformed, "proof: %v", err)
		return nil
	}
	return &p
}

func (f *fields) transferID(b []byte) ledger.CoinID {
	var id ledger.CoinID
	if len(b) != ledger.HashSize {
		f.fail(ledger.CodeInvalidArgument, "transfer: id is %d bytes, want %d", len(b), ledger.HashSize)
		return id
	}
	copy(id[:], b)
	return id
}

// outputs converts n outputs, the owner and amount of the i-th given by
// at(i): from txpb.Outputs (outputsOf), or from a payment's bytes
// (parsePay).
func (f *fields) outputs(n int, at func(i int) (owner, amount string)) []Output {
	if n == 0 {
		f.fail(ledger.CodeInvalidArgument, "outputs: at least one output is needed")
	}
	if n > MaxOutputs {
		f.fail(ledger.CodeTooManyCoins, "outputs: %d outputs, limit %d", n, MaxOutputs)
		return nil
	}
	outs := make([]Output, n)
	for i := range outs {
		owner, amount := at(i)
		outs[i] = Output{
			Owner:  f.address("outputs.owner", owner),
			Amount: f.amount("outputs.amount", amount, true),
		}
	}
	return outs
}

// outputsOf is f.outputs of decoded outputs.
func (f *fields) outputsOf(raw []*txpb.Output) []Output {
	return f.outputs(len(raw), func(i int) (string, string) { return raw[i].GetOwner(), raw[i].GetAmount() })
}

func decodeMsg(b *txpb.Body) (Msg, *ledger.Rejection) {
	var f fields
	var m Msg
	switch x := b.Msg.(type) {
	case *txpb.Body_AuthorizeIssuer:
		m = AuthorizeIssuer{Issuer: f.address("issuer", x.AuthorizeIssuer.GetIssuer())}
	case *txpb.Body_RegisterAccount:
		m = RegisterAccount{Account: f.address("account", x.RegisterAccount.GetAccount())}
	case *txpb.Body_DeployToken:
		if x.DeployToken.GetContract() == nil {
			f.fail(ledger.CodeInvalidArgument, "contract is missing")
		}
		m = DeployToken{Contract: DraftFromProto(x.DeployToken.GetContract())}
	case *txpb.Body_Mint:
		v := x.Mint
		m = Mint{Token: f.token(v.Token), To: f.address("to", v.To), Amount: f.amount("amount", v.Amount, true)}
	case *txpb.Body_Pay:
		v := x.Pay
		m = Pay{Token: f.token(v.Token), Inputs: f.coins("inputs", v.Inputs), Outputs: f.outputsOf(v.Outputs)}
	case *txpb.Body_Redeem:
		v := x.Redeem
		m = Redeem{Token: f.token(v.Token), Inputs: f.coins("inputs", v.Inputs), Amount: f.amount("amount", v.Amount, true)}
	case *txpb.Body_Freeze:
		m = Freeze{Token: f.token(x.Freeze.Token), Account: f.address("account", x.Freeze.Account)}
	case *txpb.Body_Unfreeze:
		m = Unfreeze{Token: f.token(x.Unfreeze.Token), Account: f.address("account", x.Unfreeze.Account)}
	case *txpb.Body_Pause:
		m = Pause{Token: f.token(x.Pause.Token)}
	case *txpb.Body_Unpause:
		m = Unpause{Token: f.token(x.Unpause.Token)}
	case *txpb.Body_Seize:
		m = Seize{Token: f.token(x.Seize.Token), Inputs: f.coins("inputs", x.Seize.Inputs)}
	case *txpb.Body_TransferOwnership:
		v := x.TransferOwnership
		m = TransferOwnership{Token: f.token(v.Token), NewOwner: f.address("new_owner", v.NewOwner)}
	case *txpb.Body_AcceptOwnership:
		m = AcceptOwnership{Token: f.token(x.AcceptOwnership.Token)}
	case *txpb.Body_Approve:
		v := x.Approve
		m = Approve{Token: f.token(v.Token), Spender: f.address("spender", v.Spender), Amount: f.amount("amount", v.Amount, false)}
	case *txpb.Body_SpendFrom:
		v := x.SpendFrom
		m = SpendFrom{Token: f.token(v.Token), Owner: f.address("owner", v.Owner),
			Inputs: f.coins("inputs", v.Inputs), Outputs: f.outputsOf(v.Outputs)}
	case *txpb.Body_ConfigureMinter:
		v := x.ConfigureMinter
		cm := ConfigureMinter{Token: f.token(v.Token), Minter: f.address("minter", v.Minter), Remove: v.Remove}
		if !v.Remove { // a removal carries no allowance
			cm.Allowance = f.amount("allowance", v.Allowance, true)
		}
		m = cm
	case *txpb.Body_Attest:
		m = f.attest(x.Attest)
	case *txpb.Body_FeeDeposit:
		v := x.FeeDeposit
		m = FeeDeposit{Token: f.token(v.Token), Inputs: f.coins("inputs", v.Inputs), Amount: f.amount("amount", v.Amount, true)}
	case *txpb.Body_SetFeeSchedule:
		m = f.feeSchedule(x.SetFeeSchedule)
	case *txpb.Body_FeeCollect:
		v := x.FeeCollect
		m = FeeCollect{Inputs: f.coins("inputs", v.Inputs), Amount: f.amount("amount", v.Amount, true)}
	case *txpb.Body_AliasRegister:
		v := x.AliasRegister
		m = AliasRegister{Hash: f.aliasHash(v.Hash), Account: f.address("account", v.Account)}
	case *txpb.Body_AliasRevoke:
		m = AliasRevoke{Hash: f.aliasHash(x.AliasRevoke.Hash)}
	case *txpb.Body_SetRegistrar:
		v := x.SetRegistrar
		m = SetRegistrar{Registrar: f.address("registrar", v.Registrar), Remove: v.Remove}
	case *txpb.Body_TransferIn:
		m = TransferIn{Proof: f.proof(x.TransferIn.GetProof()), Transfer: f.transferID(x.TransferIn.GetTransfer())}
	case *txpb.Body_TokenImport:
		if x.TokenImport.GetContract() == nil {
			f.fail(ledger.CodeInvalidArgument, "contract is missing")
		}
		m = TokenImport{Proof: f.proof(x.TokenImport.GetProof()), Contract: DraftFromProto(x.TokenImport.GetContract())}
	case *txpb.Body_TransferRefund:
		m = TransferRefund{Proof: f.proof(x.TransferRefund.GetProof()), Transfer: f.transferID(x.TransferRefund.GetTransfer())}
	case *txpb.Body_TransferAck:
		m = TransferAck{Proof: f.proof(x.TransferAck.GetProof()), Transfer: f.transferID(x.TransferAck.GetTransfer())}
	case *txpb.Body_RegionUpdate:
		v := x.RegionUpdate
		if len(v.GetSignedHeader()) == 0 || len(v.GetValidators()) == 0 {
			f.fail(ledger.CodeProofMalformed, "region_update needs a signed header and its validators")
		}
		m = RegionUpdate{SignedHeader: v.GetSignedHeader(), Validators: v.GetValidators()}
	case *txpb.Body_RegisterCertificate:
		c, err := cert.Parse(x.RegisterCertificate.Certificate)
		if err != nil {
			f.fail(ledger.CodeCertMalformed, "certificate: %v", err)
		}
		m = RegisterCertificate{Cert: c}
	case *txpb.Body_RevokeCertificate:
		m = f.revokeCertificate(x.RevokeCertificate)
	case *txpb.Body_RegisterCreditNode:
		v := x.RegisterCreditNode
		m = RegisterCreditNode{Node: f.address("node", v.Node), Token: f.token(v.Token), Params: f.creditParams(v.Params)}
	case *txpb.Body_CreditFund:
		m = CreditFund{Inputs: f.coins("inputs", x.CreditFund.Inputs), Amount: f.amount("amount", x.CreditFund.Amount, true)}
	case *txpb.Body_SetCreditLine:
		v := x.SetCreditLine
		m = SetCreditLine{Node: f.address("node", v.Node), Payer: f.address("payer", v.Payer), Amount: f.amount("amount", v.Amount, false)}
	case *txpb.Body_CreditRequest:
		m = f.creditRequest(x.CreditRequest)
	case *txpb.Body_CreditConfirm:
		m = CreditConfirm{Request: f.txID("request", x.CreditConfirm.Request)}
	case *txpb.Body_CreditReceipt:
		m = CreditReceipt{Request: f.txID("request", x.CreditReceipt.Request)}
	case *txpb.Body_CreditRepay:
		v := x.CreditRepay
		m = CreditRepay{Request: f.txID("request", v.Request), Inputs: f.coins("inputs", v.Inputs), Amount: f.amount("amount", v.Amount, true)}
	case *txpb.Body_CreditRequestIn:
		v := x.CreditRequestIn
		m = CreditRequestIn{Proof: f.proof(v.GetProof()), Request: f.txID("request", v.GetRequest())}
	case *txpb.Body_CreditPaidIn:
		v := x.CreditPaidIn
		m = CreditPaidIn{Proof: f.proof(v.GetProof()), Request: f.txID("request", v.GetRequest())}
	case *txpb.Body_CreditRepaidIn:
		v := x.CreditRepaidIn
		m = CreditRepaidIn{Proof: f.proof(v.GetProof()), Repayment: f.txID("repayment", v.GetRepayment())}
	case *txpb.Body_CreditIncrease:
		v := x.CreditIncrease
		ci := CreditIncrease{Node: f.address("node", v.Node), Amount: f.amount("amount", v.Amount, true)}
		if len(v.DocumentHash) != len(ci.DocumentHash) {
			f.fail(ledger.CodeInvalidArgument, "document_hash is %d bytes, want %d (SHA-256)", len(v.DocumentHash), len(ci.DocumentHash))
		}
		copy(ci.DocumentHash[:], v.DocumentHash)
		m = ci
	case *txpb.Body_CreditIncreaseDecision:
		m = f.creditDecision(x.CreditIncreaseDecision)
	case *txpb.Body_SetTradeRules:
		m = f.tradeRules(x.SetTradeRules)
	case *txpb.Body_SetKycTiers:
		m = f.kycTiers(x.SetKycTiers)
	case *txpb.Body_TradeOffer:
		v := x.TradeOffer
		o := TradeOffer{Buyer: f.address("buyer", v.Buyer), Seller: f.address("seller", v.Seller), Terms: f.tradeTerms(v.Terms)}
		f.tradeParties(o.Buyer, o.Seller, o.Terms.Arbiter)
		m = o
	case *txpb.Body_TradeCounter:
		v := x.TradeCounter
		m = TradeCounter{Trade: f.txID("trade", v.Trade), Version: v.Version, Terms: f.tradeTerms(v.Terms)}
	case *txpb.Body_TradeAccept:
		m = TradeAccept{Trade: f.txID("trade", x.TradeAccept.Trade), Version: x.TradeAccept.Version}
	case *txpb.Body_TradeFund:
		v := x.TradeFund
		m = TradeFund{Trade: f.txID("trade", v.Trade), Token: f.token(v.Token), Inputs: f.coins("inputs", v.Inputs), Amount: f.amount("amount", v.Amount, true)}
	case *txpb.Body_TradeShip:
		v := x.TradeShip
		m = TradeShip{Trade: f.txID("trade", v.Trade), Invoice: f.hash("invoice_hash", v.InvoiceHash), BillOfLading: f.hash("bill_of_lading_hash", v.BillOfLadingHash)}
	case *txpb.Body_TradeConfirm:
		m = TradeConfirm{Trade: f.txID("trade", x.TradeConfirm.Trade)}
	case *txpb.Body_TradeSettle:
		m = TradeSettle{Trade: f.txID("trade", x.TradeSettle.Trade)}
	case *txpb.Body_TradeDispute:
		v := x.TradeDispute
		m = TradeDispute{Trade: f.txID("trade", v.Trade), Reason: f.tradeText("reason", v.Reason, trade.MaxDescriptionLen), Evidence: f.hash("evidence_hash", v.EvidenceHash)}
	case *txpb.Body_TradeResolve:
		v := x.TradeResolve
		m = TradeResolve{Trade: f.txID("trade", v.Trade), SellerAmount: f.amount("seller_amount", v.SellerAmount, false), Reason: f.tradeText("reason", v.Reason, trade.MaxDescriptionLen)}
	case *txpb.Body_TradeCancel:
		m = TradeCancel{Trade: f.txID("trade", x.TradeCancel.Trade)}
	case *txpb.Body_SetEndorsePolicy:
		m = f.endorsePolicy(x.SetEndorsePolicy)
	case *txpb.Body_EndorseMint:
		m = EndorseMint{Request: f.txID("request", x.EndorseMint.Request)}
	case *txpb.Body_CancelMintRequest:
		m = CancelMintRequest{Request: f.txID("request", x.CancelMintRequest.Request)}
	default:
		return nil, ledger.Reject(ledger.CodeUnknownMessage, "body carries no known message")
	}
	if f.rej != nil {
		return nil, f.rej
	}
	return m, nil
}

func (f *fields) aliasHash(b []byte) ledger.AliasHash {
	var h ledger.AliasHash
	if len(b) != len(h) {
		f.fail(ledger.CodeInvalidArgument, "hash: %d bytes, want %d (the value's keyed hash)", len(b), len(h))
		return h
	}
	copy(h[:], b)
	return h
}

// DraftFromProto copies a wire contract into a token.Draft.
func DraftFromProto(c *txpb.Contract) token.Draft {
	d := token.Draft{
		ID: c.GetId(), Name: c.GetName(), Symbol: c.GetSymbol(), Decimals: c.GetDecimals(),
		SupplyCap: c.GetSupplyCap(), DeclaredReserve: c.GetDeclaredReserve(), Ratio: c.GetRatio(),
		MinUnit: c.GetMinUnit(), MaxTransfer: c.GetMaxTransfer(), TransferRule: c.GetTransferRule(),
		RedeemRule: c.GetRedeemRule(), MinRedeem: c.GetMinRedeem(),
		Reserve: token.ReserveDraft{StalenessWindow: c.GetStalenessWindow(), PauseWhenAtRisk: c.GetPauseWhenAtRisk()},
		Fiat: token.FiatDraft{BIC: c.GetFiat().GetBic(), Scheme: c.GetFiat().GetScheme(),
			Account: c.GetFiat().GetAccount(), Currency: c.GetFiat().GetCurrency()},
	}
	r := c.GetRoles()
	d.Roles = token.RolesDraft{Owner: r.GetOwner(), Pauser: r.GetPauser(), Freezer: r.GetFreezer(), Attestor: r.GetAttestor()}
	for _, m := range r.GetMinters() {
		d.Roles.Minters = append(d.Roles.Minters, token.MinterDraft{Address: m.GetAddress(), Allowance: m.GetAllowance()})
	}
	return d
}

// DraftToProto is the inverse of DraftFromProto, for clients building a deploy.
func DraftToProto(d token.Draft) *txpb.Contract {
	c := &txpb.Contract{
		Id: d.ID, Name: d.Name, Symbol: d.Symbol, Decimals: d.Decimals, SupplyCap: d.SupplyCap,
		DeclaredReserve: d.DeclaredReserve, Ratio: d.Ratio, MinUnit: d.MinUnit, MaxTransfer: d.MaxTransfer,
		TransferRule: d.TransferRule, RedeemRule: d.RedeemRule, MinRedeem: d.MinRedeem,
		StalenessWindow: d.Reserve.StalenessWindow, PauseWhenAtRisk: d.Reserve.PauseWhenAtRisk,
		Fiat:  &txpb.FiatAccount{Bic: d.Fiat.BIC, Scheme: d.Fiat.Scheme, Account: d.Fiat.Account, Currency: d.Fiat.Currency},
		Roles: &txpb.Roles{Owner: d.Roles.Owner, Pauser: d.Roles.Pauser, Freezer: d.Roles.Freezer, Attestor: d.Roles.Attestor},
	}
	for _, m := range d.Roles.Minters {
		c.Roles.Minters = append(c.Roles.Minters, &txpb.Minter{Address: m.Address, Allowance: m.Allowance})
	}
	return c
}

// Limits on an attestation's free-text fields.
const (
	MaxAttestTextLen = 64
)

func (f *fields) text(name, s string) string {
	if s == "" || len(s) > MaxAttestTextLen {
		f.fail(ledger.CodeInvalidArgument, "%s must be 1 to %d bytes", name, MaxAttestTextLen)
	}
	return s
}

func (f *fields) attest(v *txpb.Attest) Attest {
	a := Attest{
		Token:       f.token(v.Token),
		Account:     f.text("account", v.Account),
		Currency:    f.text("currency", v.Currency),
		Balance:     f.amount("balance", v.Balance, false),
		BalanceType: f.text("balance_type", v.BalanceType),
		BankTime:    time.Unix(v.BankTime, 0).UTC(),
		Source:      f.text("source", v.Source),
	}
	if v.BankTime <= 0 {
		f.fail(ledger.CodeInvalidArgument, "bank_time must be a positive Unix time")
	}
	if len(v.RawHash) != len(a.RawHash) {
		f.fail(ledger.CodeInvalidArgument, "raw_hash is %d bytes, want %d", len(v.RawHash), len(a.RawHash))
	} else {
		copy(a.RawHash[:], v.RawHash)
	}
	return a
}

// MaxFeeKindLen bounds a kind's name in a fee schedule; every kind is shorter.
const MaxFeeKindLen = 32

// feeSchedule decodes a fee policy and schedule, bounded in size; whether
// they make sense (tiers in order, kinds known and not free, no overflow) is
// fee.Policy.Validate's and fee.Schedule.Validate's call, in the state.
func (f *fields) feeSchedule(v *txpb.SetFeeSchedule) SetFeeSchedule {
	p := v.GetPolicy()
	if p == nil {
		f.fail(ledger.CodeInvalidArgument, "policy is missing")
		return SetFeeSchedule{}
	}
	if len(p.Tiers) > fee.MaxTiers || len(v.Fees) > fee.MaxScheduleEntries {
		f.fail(ledger.CodeTooLarge, "%d tiers and %d fees; at most %d and %d", len(p.Tiers), len(v.Fees), fee.MaxTiers, fee.MaxScheduleEntries)
		return SetFeeSchedule{}
	}
	s := SetFeeSchedule{Policy: fee.Policy{
		Token: f.token(p.Token), Revenue: f.address("policy.revenue", p.Revenue),
		LowBalance: f.amount("policy.low_balance", p.LowBalance, false), MaxGrants: int(p.MaxGrants),
	}}
	for _, t := range p.Tiers {
		if t.ValiditySeconds <= 0 || t.ValiditySeconds > int64(fee.MaxValidity/time.Second) {
			f.fail(ledger.CodeInvalidArgument, "a tier's validity_seconds %d is outside 1 to %d", t.ValiditySeconds, int64(fee.MaxValidity/time.Second))
		}
		s.Policy.Tiers = append(s.Policy.Tiers, fee.Tier{MinDeposit: f.amount("policy.tiers.min_deposit", t.MinDeposit, true),
			Validity: time.Duration(t.ValiditySeconds) * time.Second})
	}
	for _, k := range v.Fees {
		if k.Kind == "" || len(k.Kind) > MaxFeeKindLen {
			f.fail(ledger.CodeInvalidArgument, "a fee's kind must be 1 to %d bytes", MaxFeeKindLen)
		}
		s.Schedule = append(s.Schedule, fee.Fee{Kind: k.Kind, Fixed: f.amount("fees.fixed", k.Fixed, false),
			PerOutput: f.amount("fees.per_output", k.PerOutput, false)})
	}
	return s
}

// MaxRevokeReasonLen bounds a revocation's reason.
const MaxRevokeReasonLen = 128

func (f *fields) revokeCertificate(v *txpb.RevokeCertificate) RevokeCertificate {
	if v.Serial == 0 || v.Serial>>63 != 0 {
		f.fail(ledger.CodeInvalidArgument, "serial %d: a certificate's serial number is a positive 63-bit integer", v.Serial)
	}
	if len(v.Reason) > MaxRevokeReasonLen || !utf8.ValidString(v.Reason) {
		f.fail(ledger.CodeInvalidArgument, "reason must be at most %d bytes of UTF-8", MaxRevokeReasonLen)
	}
	return RevokeCertificate{Serial: v.Serial, Reason: v.Reason}
}

func (f *fields) txID(name string, b []byte) ledger.TxID {
	var id ledger.TxID
	if len(b) != len(id) {
		f.fail(ledger.CodeInvalidArgument, "%s: a transaction id is %d bytes, not %d", name, len(id), len(b))
		return id
	}
	copy(id[:], b)
	return id
}

// seconds reads a duration in whole seconds, refusing one outside [0, limit].
func (f *fields) seconds(name string, s int64, limit time.Duration) time.Duration {
	if s < 0 || s > int64(limit/time.Second) {
		f.fail(ledger.CodeInvalidArgument, "%s %d is outside 0 to %d", name, s, int64(limit/time.Second))
		return 0
	}
	return time.Duration(s) * time.Second
}

// creditParams decodes a node's parameters, bounded; whether they make sense
// is credit.Params.Validate's call, in the state.
func (f *fields) creditParams(p *txpb.CreditParams) credit.Params {
	if p == nil {
		f.fail(ledger.CodeInvalidArgument, "params are missing")
		return credit.Params{}
	}
	return credit.Params{
		Cap: f.amount("params.cap", p.Cap, true), Base: f.amount("params.base", p.Base, false),
		RepaidPermille: p.RepaidPermille, VolumePermille: p.VolumePermille, LatePermille: p.LatePermille,
		Window: f.seconds("params.window_seconds", p.WindowSeconds, credit.MaxWindow),
		Term:   f.seconds("params.term_seconds", p.TermSeconds, credit.MaxTerm),
		Grace:  f.seconds("params.grace_seconds", p.GraceSeconds, credit.MaxGrace),
	}
}

func (f *fields) creditRequest(v *txpb.CreditRequest) CreditRequest {
	r := CreditRequest{Node: f.address("node", v.Node), Payee: f.address("payee", v.Payee), Token: f.token(v.Token),
		Amount: f.amount("amount", v.Amount, true), Description: v.Description, Deadline: time.Unix(v.Deadline, 0).UTC()}
	if v.Description == "" || len(v.Description) > credit.MaxDescriptionLen || !utf8.ValidString(v.Description) {
		f.fail(ledger.CodeInvalidArgument, "description must be 1 to %d bytes of UTF-8", credit.MaxDescriptionLen)
	}
	if len(v.DocumentHash) != len(r.DocumentHash) {
		f.fail(ledger.CodeInvalidArgument, "document_hash is %d bytes, want %d (SHA-256)", len(v.DocumentHash), len(r.DocumentHash))
	} else {
		copy(r.DocumentHash[:], v.DocumentHash)
	}
	if v.Deadline <= 0 {
		f.fail(ledger.CodeInvalidArgument, "deadline must be a positive Unix time")
	}
	return r
}

func (f *fields) creditDecision(v *txpb.CreditIncreaseDecision) CreditIncreaseDecision {
	d := CreditIncreaseDecision{Payer: f.address("payer", v.Payer), Approve: v.Approve, Reason: v.Reason}
	if len(v.Reason) > credit.MaxDescriptionLen || !utf8.ValidString(v.Reason) {
		f.fail(ledger.CodeInvalidArgument, "reason must be at most %d bytes of UTF-8", credit.MaxDescriptionLen)
	}
	if v.Approve {
		d.Limit = f.amount("limit", v.Limit, true)
		if v.Expiry <= 0 {
			f.fail(ledger.CodeInvalidArgument, "expiry must be a positive Unix time")
		}
		d.Expiry = time.Unix(v.Expiry, 0).UTC()
	}
	return d
}

// hash reads a SHA-256 document hash.
func (f *fields) hash(name string, b []byte) trade.Hash {
	var h trade.Hash
	if len(b) != len(h) {
		f.fail(ledger.CodeInvalidArgument, "%s is %d bytes, want %d (SHA-256)", name, len(b), len(h))
		return h
	}
	copy(h[:], b)
	return h
}

// tradeText reads 1 to limit bytes of UTF-8.
func (f *fields) tradeText(name, s string, limit int) string {
	if s == "" || len(s) > limit || !utf8.ValidString(s) {
		f.fail(ledger.CodeInvalidArgument, "%s must be 1 to %d bytes of UTF-8", name, limit)
	}
	return s
}

// kycTiers decodes a token's tiers, at most kyc.MaxLevels, each limit
// either a cap or none; whether they make sense is kyc.Tiers.Validate's
// call, in the state.
func (f *fields) kycTiers(v *txpb.SetKycTiers) SetKycTiers {
	m := SetKycTiers{Token: f.token(v.Token)}
	if len(v.Tiers) > kyc.MaxLevels {
		f.fail(ledger.CodeTooLarge, "%d KYC levels; at most %d", len(v.Tiers), kyc.MaxLevels)
		return m
	}
	for i, t := range v.Tiers {
		name := "tiers[" + strconv.Itoa(i) + "]."
		m.Tiers = append(m.Tiers, kyc.Tier{PerPayment: f.kycLimit(name+"per_payment", t.GetPerPayment()),
			PerDay: f.kycLimit(name+"per_day", t.GetPerDay()), Balance: f.kycLimit(name+"balance", t.GetBalance())})
	}
	return m
}

// kycLimit decodes a limit: exactly one of a cap in minor units and none.
func (f *fields) kycLimit(name string, v *txpb.KycLimit) kyc.Limit {
	switch {
	case v == nil || (v.Max == "" && !v.None):
		f.fail(ledger.CodeInvalidArgument, "%s: want a max or none", name)
	case v.None && v.Max != "":
		f.fail(ledger.CodeInvalidArgument, "%s: a max and none", name)
	case v.None:
		return kyc.Unlimited
	}
	return kyc.Cap(f.amount(name+".max", v.GetMax(), false))
}

// tradeRules decodes a rule set, bounded; whether it makes sense is
// trade.Rules.Validate's call, in the state.
func (f *fields) tradeRules(v *txpb.SetTradeRules) SetTradeRules {
	if len(v.Limits) > trade.MaxLimits {
		f.fail(ledger.CodeTooLarge, "%d limits; at most %d", len(v.Limits), trade.MaxLimits)
		return SetTradeRules{}
	}
	r := trade.Rules{MaxRounds: v.MaxRounds, MaxVersionOpen: f.seconds("max_version_open_seconds", v.MaxVersionOpenSeconds, trade.MaxVersionOpenLimit)}
	for _, l := range v.Limits {
		r.Limits = append(r.Limits, trade.Limit{Token: f.token(l.GetToken()), Max: f.amount("limits.max", l.GetMax(), true)})
	}
	return SetTradeRules{Rules: r}
}

// endorsePolicy decodes a policy, bounded; whether it makes sense (M of N,
// no endorser twice, the window) is endorse.Policy.Validate's call, in the
// state.
func (f *fields) endorsePolicy(v *txpb.SetEndorsePolicy) SetEndorsePolicy {
	s := SetEndorsePolicy{Token: f.token(v.Token)}
	if v.Clear {
		if v.Threshold != "" || len(v.Endorsers) > 0 || v.Required != 0 || v.WindowSeconds != 0 {
			f.fail(ledger.CodeInvalidArgument, "clear removes the policy: threshold, endorsers, required and window_seconds must be empty")
		}
		return s
	}
	if len(v.Endorsers) > endorse.MaxEndorsers {
		f.fail(ledger.CodeTooLarge, "%d endorsers; at most %d", len(v.Endorsers), endorse.MaxEndorsers)
		return s
	}
	p := &endorse.Policy{Threshold: f.amount("threshold", v.Threshold, false), Required: v.Required,
		Window: f.seconds("window_seconds", v.WindowSeconds, endorse.MaxWindow)}
	for _, a := range v.Endorsers {
		p.Endorsers = append(p.Endorsers, f.address("endorsers", a))
	}
	s.Policy = p
	return s
}

// tradeTerms decodes a version's terms; the deadlines against block time
// and the rules are trade.CheckTerms's call, in the state.
func (f *fields) tradeTerms(v *txpb.TradeTerms) trade.Terms {
	if v == nil {
		f.fail(ledger.CodeInvalidArgument, "terms are missing")
		return trade.Terms{}
	}
	rule, err := trade.ParsePaymentRule(v.PaymentRule)
	if err != nil {
		f.fail(ledger.CodeInvalidArgument, "payment_rule: %v", err)
	}
	t := trade.Terms{
		Description: f.tradeText("description", v.Description, trade.MaxDescriptionLen), DocumentHash: f.hash("document_hash", v.DocumentHash),
		Token: f.token(v.Token), Amount: f.amount("amount", v.Amount, true), Delivery: f.tradeText("delivery", v.Delivery, trade.MaxDeliveryLen),
		PaymentRule: rule, Arbiter: f.address("arbiter", v.Arbiter),
	}
	if v.ConfirmSeconds < int64(trade.MinConfirmWindow/time.Second) || v.ConfirmSeconds > int64(trade.MaxConfirmWindow/time.Second) {
		f.fail(ledger.CodeInvalidArgument, "confirm_seconds %d is outside %d to %d", v.ConfirmSeconds,
			int64(trade.MinConfirmWindow/time.Second), int64(trade.MaxConfirmWindow/time.Second))
	}
	t.ConfirmWindow = time.Duration(v.ConfirmSeconds) * time.Second
	const maxUnix = 1 << 33 // the year 2242: beyond any deadline, and within Unix nanoseconds' int64 range
	for _, d := range []struct {
		name string
		v    int64
		to   *int64
	}{{"expires", v.Expires, &t.Expires}, {"fund_by", v.FundBy, &t.FundBy}, {"ship_by", v.ShipBy, &t.ShipBy}} {
		if d.v <= 0 || d.v > maxUnix {
			f.fail(ledger.CodeInvalidArgument, "%s must be a positive Unix time", d.name)
			continue
		}
		*d.to = time.Unix(d.v, 0).UnixNano()
	}
	return t
}

// tradeParties checks an offer's parties are three accounts: a buyer, a
// seller and an arbiter.
func (f *fields) tradeParties(buyer, seller, arbiter ledger.Address) {
	if buyer == seller || arbiter == buyer || arbiter == seller {
		f.fail(ledger.CodeInvalidArgument, "the buyer, the seller and the arbiter must be three accounts")
	}
}
