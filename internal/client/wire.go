package client

import (
	"time"

	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/reserve"
	"github.com/pegledger/peg/internal/token"
)

// The types below are the API's JSON, field for field as internal/api/openapi.yaml
// describes it. The API server fills these same structs, so the client and the
// server cannot drift apart; a change here is a change of the API.

// Value is an amount as the API writes it, both ways: Amount is a decimal in
// whole units at the token's (or currency's) decimals, "12.5", for people;
// Units is the same amount in minor units, for programs that must not parse
// decimals.
type Value struct {
	Amount string       `json:"amount"`
	Units  money.Amount `json:"units"`
}

// FiatValue is an amount of a fiat currency, in the currency's minor digits.
type FiatValue struct {
	Value
	Currency string `json:"currency"`
}

// Status is what GET /v1/status answers: where the committed chain stands.
type Status struct {
	ChainID string        `json:"chain_id"`
	Region  ledger.Region `json:"region"`
	// Height and AppHash (hex) are those of the committed state the API reads.
	Height  uint64 `json:"height"`
	AppHash string `json:"app_hash"`
	// BlockTime is the time of the block at Height; zero (absent) at genesis.
	BlockTime time.Time      `json:"block_time,omitzero"`
	Operator  ledger.Address `json:"operator"`
	Params    Params         `json:"params"`
	// LastCommit is who signed the block before Height, as the block at
	// Height records it; absent before block 2.
	LastCommit *Signing `json:"last_commit,omitempty"`
}

// Signing is the voting power that signed a block's commit against its
// validator set's, so that a client can tell a chain that commits with
// little to spare (S4.11).
type Signing struct {
	Height      int64 `json:"height"`
	SignedPower int64 `json:"signed_power"`
	TotalPower  int64 `json:"total_power"`
	Signed      int   `json:"signed"`
	Validators  int   `json:"validators"`
}

// Params are the platform's rules, fixed at genesis.
type Params struct {
	MinReserve           uint64            `json:"min_reserve"`
	MinReserveByCurrency map[string]uint64 `json:"min_reserve_by_currency,omitempty"`
	Banks                []string          `json:"banks"`
	MaxExpiryDelta       uint64            `json:"max_expiry_delta"`
}

// SubmitRequest is the body of POST /v1/txs. Tx encodes as standard base64.
type SubmitRequest struct {
	Tx []byte `json:"tx"`
	// Wait asks the API to answer only once a block has included the
	// transaction; the API's default is true.
	Wait *bool `json:"wait,omitempty"`
}

// BatchContentType is the media type of a POST /v1/txs/batch body that is a
// peg.tx.v1.Batch protobuf message (the transactions as they are, no base64)
// instead of a JSON BatchRequest; wait then goes in the query.
const BatchContentType = ProtoContentType

// ProtoContentType is the media type of protobuf bodies: a batch's
// transactions (BatchContentType), and the answers an endpoint gives in
// protobuf (wirepb) to a request whose Accept header names it.
const ProtoContentType = "application/x-protobuf"

// BatchRequest is the body of POST /v1/txs/batch: up to tx.MaxBatchTxs
// independently signed transactions, each in standard base64.
type BatchRequest struct {
	Txs [][]byte `json:"txs"`
	// Wait asks the API to answer only once a block has included every
	// admitted transaction; the API's default is false.
	Wait *bool `json:"wait,omitempty"`
}

// BatchResponse answers POST /v1/txs/batch: one result per transaction, in
// the request's order.
type BatchResponse struct {
	Results []BatchItem `json:"results"`
}

// Statuses of a transaction in a BatchResponse.
const (
	BatchPending   = "pending"   // admitted to the mempool, not yet in a block
	BatchCommitted = "committed" // a block included it and accepted it
	BatchRejected  = "rejected"  // refused at admission, or by its block (Height set)
)

// BatchItem is one transaction's outcome in a batch submission. Code, Name
// and Message are those of a rejection, or 0, OK and empty.
type BatchItem struct {
	TxID    ledger.TxID `json:"tx_id"`
	Status  string      `json:"status"`
	Code    uint32      `json:"code"`
	Name    string      `json:"name"`
	Message string      `json:"message,omitempty"`
	Height  uint64      `json:"height,omitempty"`
}

// Pending answers a submission made without waiting: the transaction was
// admitted to the mempool and its receipt will appear at GET /v1/txs/{id}.
type Pending struct {
	TxID   ledger.TxID `json:"tx_id"`
	Status string      `json:"status"` // always "pending"
}

// Receipt records a transaction included in a block, accepted (Code 0) or not.
type Receipt struct {
	TxID    ledger.TxID    `json:"tx_id"`
	Height  uint64         `json:"height"`
	Index   uint32         `json:"index"`
	Time    time.Time      `json:"time"`
	Kind    string         `json:"kind"`
	Signer  ledger.Address `json:"signer"`
	Code    ledger.Code    `json:"code"`
	Name    string         `json:"name"`
	Message string         `json:"message"`
	Events  []Event        `json:"events"`
}

// Event is something a transaction did.
type Event struct {
	Type  string `json:"type"`
	Attrs []Attr `json:"attrs"`
}

// Attr is one key/value of an event, as the ledger recorded it. An amount
// (a token's minor units, or a decimal of the token or of the reserve's
// currency) is also written as people read it: Decimal has every decimal of
// Unit, the token's symbol or the currency's code ("250.50", "GBPT").
type Attr struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	Decimal string `json:"decimal,omitempty"`
	Unit    string `json:"unit,omitempty"`
}

// TokenSummary is a token as GET /v1/tokens lists it.
type TokenSummary struct {
	ID       ledger.TokenID `json:"id"`
	Name     string         `json:"name"`
	Symbol   string         `json:"symbol"`
	Decimals uint8          `json:"decimals"`
	Supply   Value          `json:"supply"`
	Cap      Value          `json:"cap"`
	Paused   bool           `json:"paused"`
	Issuer   ledger.Address `json:"issuer"`
	Reserve  Reserve        `json:"reserve"`
}

// TokenList is the body of GET /v1/tokens.
type TokenList struct {
	Tokens []TokenSummary `json:"tokens"`
}

// Token is the full view of a published contract and its live state.
type Token struct {
	ID       ledger.TokenID `json:"id"`
	Name     string         `json:"name"`
	Symbol   string         `json:"symbol"`
	Decimals uint8          `json:"decimals"`
	// Contract is the contract as published, in its canonical written form.
	Contract token.Draft `json:"contract"`
	// Hash (hex) is the SHA-256 of the contract's canonical encoding; Address
	// derives from it.
	Hash         string         `json:"hash"`
	Address      ledger.Address `json:"address"`
	Issuer       ledger.Address `json:"issuer"`
	DeployTx     ledger.TxID    `json:"deploy_tx"`
	DeployHeight uint64         `json:"deploy_height"`
	Supply       Value          `json:"supply"`
	Minted       Value          `json:"minted"`
	Redeemed     Value          `json:"redeemed"`
	Cap          Value          `json:"cap"`
	// ReserveCapacity is the supply the declared reserve backs at the ratio.
	ReserveCapacity Value     `json:"reserve_capacity"`
	DeclaredReserve FiatValue `json:"declared_reserve"`
	Paused          bool      `json:"paused"`
	// Roles are the role holders now, which transactions may have changed
	// since the contract was published.
	Roles   Roles   `json:"roles"`
	Reserve Reserve `json:"reserve"`
}

// Reserve is a token's fiat reserve as the ledger watches it (S0.3, S0.4),
// judged at AsOf, the time of the latest committed block: never the wall
// clock, so that every node answers alike.
type Reserve struct {
	// Status is reserve.Evaluate at AsOf: an attestation that has outlived
	// its window reads STALE even before a block records the change.
	Status reserve.Status `json:"status"`
	// RecordedStatus is the status the ledger last recorded, which the
	// pause-when-at-risk policy acts on.
	RecordedStatus reserve.Status `json:"recorded_status"`
	// Since is when the reserve entered Status, in block time.
	Since           time.Time `json:"since"`
	AsOf            time.Time `json:"as_of"`
	StalenessWindow Duration  `json:"staleness_window"`
	PauseWhenAtRisk bool      `json:"pause_when_at_risk"`
	// Required is the fiat that backs the supply at the contract's ratio,
	// rounded up (reserve.Required).
	Required FiatValue `json:"required"`
	// Capacity is the supply the attested balance backs; zero without an
	// attestation, since nothing may then be minted.
	Capacity Value `json:"capacity"`
	// Coverage is the attested balance divided by Required, to 4 decimal
	// places rounded down ("1.2500"); "" when nothing is required or there is
	// no attestation.
	Coverage string `json:"coverage"`
	// Reading is the last accepted attestation, if any.
	Reading *Reading `json:"reading,omitempty"`
	// Account is the bank balance that backs the token, and backs no other.
	Account ReserveAccount `json:"account"`
}

// ReserveAccount is the bank balance a token's reserve is held in: one
// account in one currency, which backs one token only, so that it is never
// counted twice.
type ReserveAccount struct {
	BIC      string `json:"bic"`
	Scheme   string `json:"scheme"`
	Account  string `json:"account"`
	Currency string `json:"currency"`
}

// Duration is a span of time both ways: whole seconds for programs, Go's
// duration text ("26h0m0s") for people.
type Duration struct {
	Seconds int64  `json:"seconds"`
	Text    string `json:"text"`
}

// Reading is an accepted attestation of a reserve's bank balance.
type Reading struct {
	Balance     FiatValue `json:"balance"`
	BalanceType string    `json:"balance_type"`
	// BankTime is the bank's timestamp of the balance; the staleness window
	// runs from it.
	BankTime time.Time `json:"bank_time"`
	// AttestedAt is the time of the block that accepted the attestation.
	AttestedAt time.Time `json:"attested_at"`
	// AgeSeconds is the block time elapsed since BankTime, in whole seconds,
	// as of the latest committed block: past the staleness window, the
	// reserve is STALE.
	AgeSeconds int64       `json:"age_seconds"`
	Height     uint64      `json:"height"`
	TxID       ledger.TxID `json:"tx_id"`
	// RawHash is the SHA-256 (hex) of the bank's raw answer.
	RawHash string `json:"raw_hash"`
	// Source names the connector that read the balance ("openbanking").
	Source string `json:"source"`
}

// AttestationList is the body of GET /v1/tokens/{id}/attestations, newest
// first.
type AttestationList struct {
	Attestations []Reading `json:"attestations"`
}

// ReserveReport is the body of GET /v1/tokens/{id}/reports/{month}: what the
// ledger recorded of a token's reserve over one calendar month, UTC, in block
// time, as of the latest committed block.
type ReserveReport struct {
	Token  ledger.TokenID `json:"token"`
	Symbol string         `json:"symbol"`
	Month  string         `json:"month"` // YYYY-MM
	// AsOf is the time of the latest committed block, up to which the report
	// runs; Complete says the month had ended by then.
	AsOf          time.Time `json:"as_of"`
	Complete      bool      `json:"complete"`
	OpeningSupply Value     `json:"opening_supply"`
	ClosingSupply Value     `json:"closing_supply"`
	Minted        Value     `json:"minted"`
	Redeemed      Value     `json:"redeemed"`
	// AttestationCount is how many attestations blocks of the month
	// accepted. Attestations lists them oldest first, at most
	// MaxReportAttestations, the month's latest: AttestationsOmitted says how
	// many earlier ones are left out.
	AttestationCount    int       `json:"attestation_count"`
	Attestations        []Reading `json:"attestations"`
	AttestationsOmitted int       `json:"attestations_omitted"`
	// MinCoverage is the lowest coverage seen in the month,
	// MinCoverageBalance ÷ MinCoverageRequired to 4 decimal places rounded
	// down; "" when nothing was required.
	MinCoverage         string        `json:"min_coverage"`
	MinCoverageBalance  FiatValue     `json:"min_coverage_balance"`
	MinCoverageRequired FiatValue     `json:"min_coverage_required"`
	SecondsInStatus     StatusSeconds `json:"seconds_in_status"`
	// AtRiskOrStaleSeconds is SecondsInStatus.AtRisk + SecondsInStatus.Stale:
	// how long the coin was not fully and freshly backed.
	AtRiskOrStaleSeconds int64 `json:"at_risk_or_stale_seconds"`
}

// StatusSeconds is the whole seconds of block time a reserve spent in each
// status.
type StatusSeconds struct {
	Unattested int64 `json:"UNATTESTED"`
	OK         int64 `json:"OK"`
	AtRisk     int64 `json:"AT_RISK"`
	Stale      int64 `json:"STALE"`
}

// TokenReserve is one token's reserve as GET /v1/reserves lists it.
type TokenReserve struct {
	Token  ledger.TokenID `json:"token"`
	Symbol string         `json:"symbol"`
	Reserve
}

// ReserveList is the body of GET /v1/reserves.
type ReserveList struct {
	Reserves []TokenReserve `json:"reserves"`
}

// StreamEvent is the data of one message of GET /v1/events: an event a
// committed block carries.
type StreamEvent struct {
	Height int64          `json:"height"`
	Time   time.Time      `json:"time"` // the block's time
	Type   string         `json:"type"`
	Token  ledger.TokenID `json:"token"`
	// TxID is the transaction that caused the event; zero (absent) for the
	// block's own end-of-block judgement.
	TxID  ledger.TxID       `json:"tx_id,omitzero"`
	Attrs map[string]string `json:"attrs"`
}

// Roles are a token's current role holders.
type Roles struct {
	Owner ledger.Address `json:"owner"`
	// PendingOwner is the proposed owner of a two-step transfer, if any.
	PendingOwner ledger.Address `json:"pending_owner,omitzero"`
	Pauser       ledger.Address `json:"pauser"`
	Freezer      ledger.Address `json:"freezer"`
	Attestor     ledger.Address `json:"attestor"`
	Minters      []Minter       `json:"minters"`
}

// Minter is a minter and the allowance it has left.
type Minter struct {
	Address   ledger.Address `json:"address"`
	Allowance Value          `json:"allowance"`
}

// Redemption is a holder's claim on the reserve.
type Redemption struct {
	TxID   ledger.TxID    `json:"tx_id"`
	Token  ledger.TokenID `json:"token"`
	Holder ledger.Address `json:"holder"`
	Value
	// Fiat is the reserve account that owes FiatOwed.
	Fiat     token.FiatDraft `json:"fiat"`
	FiatOwed FiatValue       `json:"fiat_owed"`
	Height   uint64          `json:"height"`
	Time     time.Time       `json:"time"`
}

// RedemptionList is the body of GET /v1/tokens/{id}/redemptions.
type RedemptionList struct {
	Redemptions []Redemption `json:"redemptions"`
}

// Account is what the ledger knows of an address.
type Account struct {
	Address    ledger.Address `json:"address"`
	Region     ledger.Region  `json:"region"`
	Issuer     bool           `json:"issuer"`
	Registered bool           `json:"registered"`
	// Frozen lists the tokens that have frozen the account.
	Frozen   []ledger.TokenID `json:"frozen"`
	Balances []Balance        `json:"balances"`
}

// Balance is what an owner holds of one token, in how many coins.
type Balance struct {
	Token ledger.TokenID `json:"token"`
	Value
	Coins int `json:"coins"`
}

// BalanceList is the body of GET /v1/accounts/{address}/balances.
type BalanceList struct {
	Balances []Balance `json:"balances"`
}

// Coin is an unspent output.
type Coin struct {
	ID    ledger.CoinID  `json:"id"`
	Token ledger.TokenID `json:"token"`
	Owner ledger.Address `json:"owner"`
	Value
}

// CoinList is the body of GET /v1/accounts/{address}/coins.
type CoinList struct {
	Coins []Coin `json:"coins"`
	// Next is the place of the page's last coin (TOKEN.COINID) when more
	// follow: the after of the next page.
	Next string `json:"next,omitempty"`
}

// Approval is how much Spender may still spend of Owner's Token.
type Approval struct {
	Token   ledger.TokenID `json:"token"`
	Owner   ledger.Address `json:"owner"`
	Spender ledger.Address `json:"spender"`
	Value
}

// Block is a committed block as the explorer shows it; hashes are hex.
type Block struct {
	Height   int64     `json:"height"`
	Time     time.Time `json:"time"`
	Hash     string    `json:"hash"`
	AppHash  string    `json:"app_hash"`
	Proposer string    `json:"proposer"`
	Txs      []BlockTx `json:"txs"`
}

// BlockTx is one transaction of a block. ID is the transaction id; for a
// transaction that does not parse, Malformed is set and ID is the SHA-256 of
// its raw bytes, which no receipt carries.
type BlockTx struct {
	ID        ledger.TxID `json:"id"`
	Kind      string      `json:"kind,omitempty"`
	Malformed bool        `json:"malformed,omitempty"`
}

// CodeInfo describes one result code and the HTTP status the API answers it
// with.
type CodeInfo struct {
	Code        uint32 `json:"code"`
	Name        string `json:"name"`
	Description string `json:"description"`
	HTTPStatus  int    `json:"http_status"`
}

// CodeList is the body of GET /v1/codes.
type CodeList struct {
	Codes []CodeInfo `json:"codes"`
}

// Fees is the body of GET /v1/fees: the platform's fee policy and schedule
// (S3) and the fee contract's books. Without a policy nothing is charged:
// Enabled is false and Policy, Schedule and Books are absent.
type Fees struct {
	Enabled bool `json:"enabled"`
	// Contract is the keyless fee contract that holds every deposit.
	Contract ledger.Address `json:"contract"`
	Policy   *FeePolicy     `json:"policy,omitempty"`
	// Schedule lists the kinds that cost something, in kind order; a kind
	// it does not list is free. Empty (not absent) when every kind is free.
	Schedule []KindFee `json:"schedule,omitzero"`
	// Books are absent while TokenPending.
	Books *FeeBooks `json:"books,omitempty"`
	// TokenPending is true while the fee token is not deployed (a genesis
	// may name the coin an issuer deploys later): nothing can be deposited
	// or charged until it is, and the policy's and schedule's amounts are
	// in the token's minor units (Policy.Decimals is 0, Symbol empty).
	TokenPending bool `json:"token_pending,omitempty"`
}

// FeePolicy is how the platform runs fee accounts. Its amounts are of the
// fee token, Token, which has Decimals decimals.
type FeePolicy struct {
	Token    ledger.TokenID `json:"token"`
	Symbol   string         `json:"symbol"`
	Decimals uint8          `json:"decimals"`
	// Revenue is the platform's account that fees are collected for.
	Revenue ledger.Address `json:"revenue"`
	// Tiers give a deposit its validity by its size, in increasing order of
	// MinDeposit; the first tier's MinDeposit is the smallest deposit.
	Tiers []FeeTier `json:"tiers"`
	// LowBalance is the available balance below which an account is LOW.
	LowBalance Value `json:"low_balance"`
	// MaxGrants bounds an account's live deposits.
	MaxGrants int `json:"max_grants"`
}

// FeeTier is the validity a deposit of at least MinDeposit is granted.
type FeeTier struct {
	MinDeposit Value    `json:"min_deposit"`
	Validity   Duration `json:"validity"`
}

// KindFee is what one transaction kind costs: Fixed, plus PerOutput for each
// output of a payment (pay, spend_from).
type KindFee struct {
	Kind      string `json:"kind"`
	Fixed     Value  `json:"fixed"`
	PerOutput Value  `json:"per_output"`
}

// FeeBooks are the fee contract's books, in the fee token: Deposited into
// fee accounts, Spent on fees (the platform's revenue), Expired unspent, and
// Held, what the accounts still hold (Deposited − Spent − Expired). An
// account's expiries are booked when it is next charged or deposited into,
// so Expired can lag the accounts' own view (GET /v1/accounts/{address}/fee).
type FeeBooks struct {
	Token     ledger.TokenID `json:"token"`
	Deposited Value          `json:"deposited"`
	Spent     Value          `json:"spent"`
	Expired   Value          `json:"expired"`
	Held      Value          `json:"held"`
	// Collected is what the revenue account has collected (fee_collect);
	// Collectable is what it may still: spent + expired − collected.
	Collected   Value `json:"collected"`
	Collectable Value `json:"collectable"`
}

// FeeAccount is the body of GET /v1/accounts/{address}/fee: a fee account
// judged at AsOf, the time of the latest committed block. Grants whose window
// has ended by then count as expired even before a charge or a deposit books
// it, so Expired may run ahead of the books. Amounts are of the fee token.
type FeeAccount struct {
	Address  ledger.Address `json:"address"`
	Token    ledger.TokenID `json:"token"`
	Symbol   string         `json:"symbol"`
	Decimals uint8          `json:"decimals"`
	AsOf     time.Time      `json:"as_of"`
	// Status is the account judged at AsOf; RecordedStatus is the one the
	// ledger recorded at its last charge or deposit.
	Status         fee.Status `json:"status"`
	RecordedStatus fee.Status `json:"recorded_status"`
	Deposited      Value      `json:"deposited"`
	Spent          Value      `json:"spent"`
	Expired        Value      `json:"expired"`
	// Available may be charged now: released and not yet spent, across the
	// live grants. Unspent is what they still hold, released or not.
	Available Value `json:"available"`
	Unspent   Value `json:"unspent"`
	// NextRelease is when more becomes available; zero (absent) when
	// nothing more will before the live grants' windows close.
	NextRelease time.Time `json:"next_release,omitzero"`
	// Grants are the live deposits, in the order fees are charged to them.
	Grants []FeeGrant `json:"grants"`
}

// FeeHistory is the body of GET /v1/accounts/{address}/fee/history: a page
// of the fee account's history, newest first. Next, when present, is the
// cursor of the following (older) page: pass it as before. Amounts are of
// the fee token.
type FeeHistory struct {
	Address  ledger.Address `json:"address"`
	Token    ledger.TokenID `json:"token"`
	Symbol   string         `json:"symbol"`
	Decimals uint8          `json:"decimals"`
	Entries  []FeeEntry     `json:"entries"`
	Next     string         `json:"next,omitempty"`
}

// FeeEntry is one change to a fee account: a deposit (kind fee_deposit) or
// the fee of a transaction of that kind, with what expired as it was booked
// (grants whose window had ended) and the account after it.
type FeeEntry struct {
	TxID      ledger.TxID `json:"tx_id"`
	Height    uint64      `json:"height"`
	Time      time.Time   `json:"time"`
	Kind      string      `json:"kind"`
	Deposited Value       `json:"deposited"`
	Charged   Value       `json:"charged"`
	Expired   Value       `json:"expired"`
	Available Value       `json:"available"`
	Status    fee.Status  `json:"status"`
}

// FeeGrant is one deposit: Amount released evenly over [Start, End), of which
// Released is released at the account's AsOf, Spent has been charged and
// Available may be charged.
type FeeGrant struct {
	Deposit   ledger.TxID `json:"deposit"`
	Amount    Value       `json:"amount"`
	Spent     Value       `json:"spent"`
	Released  Value       `json:"released"`
	Available Value       `json:"available"`
	Start     time.Time   `json:"start"`
	End       time.Time   `json:"end"`
}

// Alias is a binding of the alias directory: the keyed hash of a phone or ID
// number, the address it pays (and that address's home region), and who bound
// it when.
type Alias struct {
	Hash      ledger.AliasHash `json:"hash"`
	Address   ledger.Address   `json:"address"`
	Region    ledger.Region    `json:"region"`
	Registrar ledger.Address   `json:"registrar"`
	Height    uint64           `json:"height"`
	Since     time.Time        `json:"since"`
	Tx        ledger.TxID      `json:"tx"`
}

// Registrars are the addresses holding the registrar role at Height.
type Registrars struct {
	Height     uint64           `json:"height"`
	Registrars []ledger.Address `json:"registrars"`
}

// Transfer is a cross-region transfer as one region's chain records it
// (GET /v1/transfers): direction "out" on the payer's region, status
// "pending" until it is "delivered" (transfer_ack) or "refunded"; direction
// "in" on the payee's region, "delivered" or "returned" with the reason's
// code name.
type Transfer struct {
	ID        ledger.CoinID  `json:"id"`
	Direction string         `json:"direction"`
	Status    string         `json:"status"`
	Token     ledger.TokenID `json:"token"`
	Value
	Payer  ledger.Address `json:"payer"`
	Payee  ledger.Address `json:"payee"`
	From   ledger.Region  `json:"from"`
	To     ledger.Region  `json:"to"`
	Tx     ledger.TxID    `json:"tx"`
	Height uint64         `json:"height"`
	// Coin is the coin a delivery or a refund created.
	Coin *ledger.CoinID `json:"coin,omitempty"`
	// Reason names why the payee's region returned it.
	Reason string `json:"reason,omitempty"`
	// Closed is the transaction that refunded or acknowledged an outbound
	// transfer, ClosedHeight its height.
	Closed       *ledger.TxID `json:"closed,omitempty"`
	ClosedHeight uint64       `json:"closed_height,omitempty"`
	// InTx is the payee region's transfer_in that delivered or returned a
	// closed outbound transfer, InHeight its height there.
	InTx     *ledger.TxID `json:"in_tx,omitempty"`
	InHeight uint64       `json:"in_height,omitempty"`
}

// TransferBooks are a token's cross-region books on one region's chain, in
// minor units: its unspent coins there total Held = Supply − Sent +
// Received + Refunded; Sent − Refunded − Delivered is what its pending
// outbound transfers total; Minted and Redeemed are the home region's.
type TransferBooks struct {
	Token     ledger.TokenID `json:"token"`
	Home      ledger.Region  `json:"home"`
	Minted    money.Amount   `json:"minted"`
	Redeemed  money.Amount   `json:"redeemed"`
	Supply    money.Amount   `json:"supply"`
	Sent      money.Amount   `json:"sent"`
	Received  money.Amount   `json:"received"`
	Refunded  money.Amount   `json:"refunded"`
	Delivered money.Amount   `json:"delivered"`
	Held      money.Amount   `json:"held"`
}

// TransferList is the body of GET /v1/transfers: a page of the transfers
// that match, the cursor of the next page ("" after the last), the books of
// every token the chain knows, and the height they are of.
type TransferList struct {
	Height     uint64          `json:"height"`
	Region     ledger.Region   `json:"region"`
	Transfers  []Transfer      `json:"transfers"`
	NextCursor string          `json:"next_cursor"`
	Books      []TransferBooks `json:"books"`
}

// TransferQuery selects a page of GET /v1/transfers: a status and a
// direction ("" for any), at most Limit transfers (0 for the server's
// default), after Cursor (a page's NextCursor; "" for the first page).
type TransferQuery struct {
	Status, Direction string
	Limit             int
	Cursor            string
}

// NetworkTrust is the body of GET /v1/network/trust: the validator set the
// chain of Region trusts for each other region of its network.
type NetworkTrust struct {
	Height  uint64        `json:"height"`
	Region  ledger.Region `json:"region"`
	Regions []RegionTrust `json:"regions"`
}

// RegionTrust is the trust in one region: its chain, the height of the
// header a region_update moved it to (0: the genesis's set), the set's
// size and its hash as that chain's headers name it (hexadecimal).
type RegionTrust struct {
	Region         ledger.Region `json:"region"`
	ChainID        string        `json:"chain_id"`
	Height         uint64        `json:"height"`
	Validators     int           `json:"validators"`
	ValidatorsHash string        `json:"validators_hash"`
}

// GatewayRegion is a region as a gateway's GET /v1/regions shows it (the
// fields a client needs of internal/gateway's Status).
type GatewayRegion struct {
	Region  ledger.Region `json:"region"`
	ChainID string        `json:"chain_id"`
	Up      bool          `json:"up"`
}
