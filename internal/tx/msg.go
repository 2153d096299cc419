package tx

import (
	"github.com/pegledger/peg/internal/cert"
	"github.com/pegledger/peg/internal/credit"
	"time"

	"github.com/pegledger/peg/internal/endorse"
	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/kyc"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/proof"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/trade"
)

// Msg is one typed action. Past Decode every field is valid in form (addresses,
// token ids, amounts, bounded lists); whether it is allowed is the state's call.
type Msg interface {
	// Kind is the message's stable name, as receipts and events report it.
	Kind() string
}

// Output is a coin to create.
type Output struct {
	Owner  ledger.Address
	Amount money.Amount
}

// AuthorizeIssuer lets Issuer deploy token contracts.
type AuthorizeIssuer struct{ Issuer ledger.Address }

// RegisterAccount registers Account with the operator.
type RegisterAccount struct{ Account ledger.Address }

// DeployToken publishes a contract; it is validated by the state against the
// platform's issuance parameters.
type DeployToken struct{ Contract token.Draft }

// Mint creates Amount of Token for To.
type Mint struct {
	Token  ledger.TokenID
	To     ledger.Address
	Amount money.Amount
}

// Pay destroys Inputs and creates Outputs.
type Pay struct {
	Token   ledger.TokenID
	Inputs  []ledger.CoinID
	Outputs []Output
}

// Redeem returns Amount to the issuer; the rest of Inputs is change.
type Redeem struct {
	Token  ledger.TokenID
	Inputs []ledger.CoinID
	Amount money.Amount
}

// Freeze stops Account's movements of Token.
type Freeze struct {
	Token   ledger.TokenID
	Account ledger.Address
}

// Unfreeze lifts a freeze.
type Unfreeze struct {
	Token   ledger.TokenID
	Account ledger.Address
}

// Pause stops every movement of Token.
type Pause struct{ Token ledger.TokenID }

// Unpause lifts a pause.
type Unpause struct{ Token ledger.TokenID }

// Seize moves a frozen account's Inputs to the owner.
type Seize struct {
	Token  ledger.TokenID
	Inputs []ledger.CoinID
}

// TransferOwnership proposes NewOwner.
type TransferOwnership struct {
	Token    ledger.TokenID
	NewOwner ledger.Address
}

// AcceptOwnership completes a proposed transfer.
type AcceptOwnership struct{ Token ledger.TokenID }

// Approve sets Spender's allowance over the signer's coins.
type Approve struct {
	Token   ledger.TokenID
	Spender ledger.Address
	Amount  money.Amount
}

// SpendFrom spends Owner's Inputs on its behalf.
type SpendFrom struct {
	Token   ledger.TokenID
	Owner   ledger.Address
	Inputs  []ledger.CoinID
	Outputs []Output
}

// ConfigureMinter sets or removes a minter.
type ConfigureMinter struct {
	Token     ledger.TokenID
	Minter    ledger.Address
	Allowance money.Amount
	Remove    bool
}

// Attest records a reading of Token's reserve balance at its bank.
type Attest struct {
	Token       ledger.TokenID
	Account     string
	Currency    string
	Balance     money.Amount // minor units of Currency
	BalanceType string
	BankTime    time.Time
	RawHash     [32]byte
	Source      string
}

// FeeDeposit moves Amount of the signer's coins of the fee token into the fee
// contract, as a grant to the signer's fee account; the rest of Inputs is
// change.
type FeeDeposit struct {
	Token  ledger.TokenID
	Inputs []ledger.CoinID
	Amount money.Amount
}

// SetFeeSchedule replaces the fee policy and schedule.
type SetFeeSchedule struct {
	Policy   fee.Policy
	Schedule fee.Schedule
}

// FeeCollect moves Amount of collected fees from the fee contract's coins
// Inputs to the revenue account; the rest of Inputs is change.
type FeeCollect struct {
	Inputs []ledger.CoinID
	Amount money.Amount
}

// AliasRegister binds the value whose keyed hash is Hash to Account in the
// alias directory.
type AliasRegister struct {
	Hash    ledger.AliasHash
	Account ledger.Address
}

// AliasRevoke removes Hash's binding.
type AliasRevoke struct{ Hash ledger.AliasHash }

// SetRegistrar grants Registrar the registrar role, or withdraws it.
type SetRegistrar struct {
	Registrar ledger.Address
	Remove    bool
}

// TransferIn delivers an outbound transfer of another region, Transfer,
// which the receipt that Proof proves recorded (S2.7).
type TransferIn struct {
	Proof    *proof.Receipt
	Transfer ledger.CoinID
}

// TokenImport records Contract, which the deploy_token receipt that Proof
// proves published in the token's home region.
type TokenImport struct {
	Proof    *proof.Receipt
	Contract token.Draft
}

// TransferRefund refunds the payer of an outbound transfer, Transfer, that
// the payee's region returned, as the receipt that Proof proves recorded.
type TransferRefund struct {
	Proof    *proof.Receipt
	Transfer ledger.CoinID
}

// TransferAck closes an outbound transfer, Transfer, that the payee's
// region delivered, as the receipt that Proof proves recorded.
type TransferAck struct {
	Proof    *proof.Receipt
	Transfer ledger.CoinID
}

// RegionUpdate moves the trust in another region's validators to the set
// that signed SignedHeader (both CometBFT's JSON; proof.VerifyHeader).
type RegionUpdate struct {
	SignedHeader []byte
	Validators   []byte
}

// RegisterCertificate registers the signer's identity certificate; the
// decoder has parsed it, the state checks it against the chain's CA.
type RegisterCertificate struct{ Cert *cert.Cert }

// RevokeCertificate puts Serial on the chain's revocation list.
type RevokeCertificate struct {
	Serial uint64
	Reason string
}

// RegisterCreditNode makes Node a credit node lending Token under Params.
type RegisterCreditNode struct {
	Node   ledger.Address
	Token  ledger.TokenID
	Params credit.Params
}

// CreditFund moves Amount of the signer's Inputs into its pool.
type CreditFund struct {
	Inputs []ledger.CoinID
	Amount money.Amount
}

// SetCreditLine sets the line the signer grants Payer through Node.
type SetCreditLine struct {
	Node   ledger.Address
	Payer  ledger.Address
	Amount money.Amount
}

// CreditRequest asks Node to pay Payee on the signer's credit.
type CreditRequest struct {
	Node         ledger.Address
	Payee        ledger.Address
	Token        ledger.TokenID
	Amount       money.Amount
	Description  string
	DocumentHash [32]byte
	Deadline     time.Time
}

// CreditConfirm is the payee's acceptance of Request.
type CreditConfirm struct{ Request ledger.TxID }

// CreditReceipt is the payee's confirmation that Request's payment arrived.
type CreditReceipt struct{ Request ledger.TxID }

// CreditRepay returns Amount of the signer's Inputs against Request's debt.
type CreditRepay struct {
	Request ledger.TxID
	Inputs  []ledger.CoinID
	Amount  money.Amount
}

// CreditIncrease asks Node for a limit of Amount, with the hash of a
// document proving the signer's ability to repay.
type CreditIncrease struct {
	Node         ledger.Address
	Amount       money.Amount
	DocumentHash [32]byte
}

// CreditIncreaseDecision approves (Limit until Expiry) or declines Payer's
// request for an increase, with Reason.
type CreditIncreaseDecision struct {
	Payer   ledger.Address
	Approve bool
	Limit   money.Amount
	Expiry  time.Time
	Reason  string
}

// CreditRequestIn writes, on the payee's region, the credit request
// Request that the payer's region recorded, as the receipt that Proof
// proves shows (S4.1).
type CreditRequestIn struct {
	Proof   *proof.Receipt
	Request ledger.TxID
}

// CreditPaidIn records, on the payer's region, the debt of the cross-region
// request Request, which the payee's region paid as the receipt that Proof
// proves shows.
type CreditPaidIn struct {
	Proof   *proof.Receipt
	Request ledger.TxID
}

// CreditRepaidIn lowers, on the payee's region, what a cross-region request
// owes by the repayment Repayment (a credit_repay's id) that the payer's
// region recorded, as the receipt that Proof proves shows.
type CreditRepaidIn struct {
	Proof     *proof.Receipt
	Repayment ledger.TxID
}

// SetKycTiers sets a token's KYC tiers (S1.6); whether they make sense is
// kyc.Tiers.Validate's call, in the state.
type SetKycTiers struct {
	Token ledger.TokenID
	Tiers kyc.Tiers
}

// SetTradeRules sets the chain's trade rules.
type SetTradeRules struct{ Rules trade.Rules }

// TradeOffer opens a trade between Buyer and Seller with the first version
// of its Terms.
type TradeOffer struct {
	Buyer  ledger.Address
	Seller ledger.Address
	Terms  trade.Terms
}

// TradeCounter answers Version of Trade with new Terms.
type TradeCounter struct {
	Trade   ledger.TxID
	Version uint32
	Terms   trade.Terms
}

// TradeAccept accepts Version of Trade's terms.
type TradeAccept struct {
	Trade   ledger.TxID
	Version uint32
}

// TradeFund moves Amount of Token from the signer's Inputs into Trade's pool.
type TradeFund struct {
	Trade  ledger.TxID
	Token  ledger.TokenID
	Inputs []ledger.CoinID
	Amount money.Amount
}

// TradeShip presents Trade's shipping documents.
type TradeShip struct {
	Trade        ledger.TxID
	Invoice      trade.Hash
	BillOfLading trade.Hash
}

// TradeConfirm is the buyer's confirmation of Trade's goods.
type TradeConfirm struct{ Trade ledger.TxID }

// TradeSettle releases Trade's pool to the seller.
type TradeSettle struct{ Trade ledger.TxID }

// TradeDispute puts Trade before its arbiter.
type TradeDispute struct {
	Trade    ledger.TxID
	Reason   string
	Evidence trade.Hash
}

// TradeResolve pays SellerAmount of Trade's pool to the seller and the rest
// back to the buyer.
type TradeResolve struct {
	Trade        ledger.TxID
	SellerAmount money.Amount
	Reason       string
}

// TradeCancel closes Trade (an open offer, an unfunded or unshipped trade).
type TradeCancel struct{ Trade ledger.TxID }

// SetEndorsePolicy sets Token's endorsement policy, or removes it when
// Policy is nil (clear).
type SetEndorsePolicy struct {
	Token  ledger.TokenID
	Policy *endorse.Policy
}

// EndorseMint endorses mint Request.
type EndorseMint struct{ Request ledger.TxID }

// CancelMintRequest closes mint Request unexecuted.
type CancelMintRequest struct{ Request ledger.TxID }

// Kinds lists every message kind, in order: what a fee schedule may name.
var Kinds = []string{"accept_ownership", "alias_register", "alias_revoke", "approve", "attest", "authorize_issuer", "cancel_mint_request", "configure_minter", "credit_confirm", "credit_fund", "credit_increase", "credit_increase_decision", "credit_paid_in", "credit_receipt", "credit_repaid_in", "credit_repay", "credit_request", "credit_request_in", "deploy_token", "endorse_mint", "fee_collect", "fee_deposit", "freeze", "mint", "pause", "pay", "redeem", "region_update", "register_account", "register_certificate", "register_credit_node", "revoke_certificate", "seize", "set_credit_line", "set_endorse_policy", "set_fee_schedule", "set_kyc_tiers", "set_registrar", "set_trade_rules", "spend_from", "token_import", "trade_accept", "trade_cancel", "trade_confirm", "trade_counter", "trade_dispute", "trade_fund", "trade_offer", "trade_resolve", "trade_settle", "trade_ship", "transfer_ack", "transfer_in", "transfer_ownership", "transfer_refund", "unfreeze", "unpause"}

func (AuthorizeIssuer) Kind() string        { return "authorize_issuer" }
func (RegisterAccount) Kind() string        { return "register_account" }
func (DeployToken) Kind() string            { return "deploy_token" }
func (Mint) Kind() string                   { return "mint" }
func (Pay) Kind() string                    { return "pay" }
func (Redeem) Kind() string                 { return "redeem" }
func (Freeze) Kind() string                 { return "freeze" }
func (Unfreeze) Kind() string               { return "unfreeze" }
func (Pause) Kind() string                  { return "pause" }
func (Unpause) Kind() string                { return "unpause" }
func (Seize) Kind() string                  { return "seize" }
func (TransferOwnership) Kind() string      { return "transfer_ownership" }
func (AcceptOwnership) Kind() string        { return "accept_ownership" }
func (Approve) Kind() string                { return "approve" }
func (SpendFrom) Kind() string              { return "spend_from" }
func (ConfigureMinter) Kind() string        { return "configure_minter" }
func (Attest) Kind() string                 { return "attest" }
func (FeeDeposit) Kind() string             { return "fee_deposit" }
func (FeeCollect) Kind() string             { return "fee_collect" }
func (SetFeeSchedule) Kind() string         { return "set_fee_schedule" }
func (AliasRegister) Kind() string          { return "alias_register" }
func (AliasRevoke) Kind() string            { return "alias_revoke" }
func (SetRegistrar) Kind() string           { return "set_registrar" }
func (TransferIn) Kind() string             { return "transfer_in" }
func (TokenImport) Kind() string            { return "token_import" }
func (TransferRefund) Kind() string         { return "transfer_refund" }
func (TransferAck) Kind() string            { return "transfer_ack" }
func (RegionUpdate) Kind() string           { return "region_update" }
func (RegisterCertificate) Kind() string    { return "register_certificate" }
func (RevokeCertificate) Kind() string      { return "revoke_certificate" }
func (RegisterCreditNode) Kind() string     { return "register_credit_node" }
func (CreditFund) Kind() string             { return "credit_fund" }
func (SetCreditLine) Kind() string          { return "set_credit_line" }
func (CreditRequest) Kind() string          { return "credit_request" }
func (CreditConfirm) Kind() string          { return "credit_confirm" }
func (CreditReceipt) Kind() string          { return "credit_receipt" }
func (CreditRepay) Kind() string            { return "credit_repay" }
func (CreditIncrease) Kind() string         { return "credit_increase" }
func (CreditIncreaseDecision) Kind() string { return "credit_increase_decision" }
func (CreditRequestIn) Kind() string        { return "credit_request_in" }
func (CreditPaidIn) Kind() string           { return "credit_paid_in" }
func (CreditRepaidIn) Kind() string         { return "credit_repaid_in" }
func (SetTradeRules) Kind() string          { return "set_trade_rules" }
func (SetKycTiers) Kind() string            { return "set_kyc_tiers" }
func (TradeOffer) Kind() string             { return "trade_offer" }
func (TradeCounter) Kind() string           { return "trade_counter" }
func (TradeAccept) Kind() string            { return "trade_accept" }
func (TradeFund) Kind() string              { return "trade_fund" }
func (TradeShip) Kind() string              { return "trade_ship" }
func (TradeConfirm) Kind() string           { return "trade_confirm" }
func (TradeSettle) Kind() string            { return "trade_settle" }
func (TradeDispute) Kind() string           { return "trade_dispute" }
func (TradeResolve) Kind() string           { return "trade_resolve" }
func (TradeCancel) Kind() string            { return "trade_cancel" }
func (SetEndorsePolicy) Kind() string       { return "set_endorse_policy" }
func (EndorseMint) Kind() string            { return "endorse_mint" }
func (CancelMintRequest) Kind() string      { return "cancel_mint_request" }
