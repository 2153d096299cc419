package ledger

import "fmt"

// Code is a stable result code. Codes are grouped by the stage that checks them:
// the decoder checks a transaction's form (and its signatures last, so that a
// malformed transaction costs no signature check), then the state checks it
// against the ledger in the order each transaction kind's spec in docs/ lists.
// The code a rejection carries is the first rule the transaction broke. Codes are
// never renumbered and never reused; a new code takes the next free number in its
// group.
type Code uint32

// Envelope: checked by the decoder, before any state is read.
const (
	OK                 Code = 0
	CodeMalformed      Code = 1  // bytes that do not decode as a transaction
	CodeTooLarge       Code = 2  // over MaxTxSize or another decoder limit
	CodeWrongChain     Code = 3  // body names another chain
	CodeMissingSig     Code = 4  // a required signer did not sign
	CodeBadSignature   Code = 5  // a signature does not verify
	CodeExpired        Code = 6  // expiry height already passed
	CodeExpiryTooFar   Code = 7  // expiry further ahead than MaxExpiryDelta
	CodeReplayed       Code = 8  // a transaction with this id is already in a block
	CodeUnknownMessage Code = 9  // a message kind this node does not know
	CodeBatchRejected  Code = 10 // a transaction in the batch was refused at admission

	// Checked by the API on a batch request, before the mempool sees it.
	CodeDuplicateInBatch Code = 11 // the same transaction earlier in one batch request
)

// Authorisation and arguments.
const (
	CodeUnauthorized       Code = 20 // signer lacks the role the action needs
	CodeInvalidArgument    Code = 21 // a field is malformed or out of range
	CodeInvalidAmount      Code = 22 // zero, negative or malformed amount
	CodeAmountOverflow     Code = 23 // arithmetic would exceed the amount range
	CodeIssuerUnauthorized Code = 24 // deployer is not an authorised issuer
	CodeForeignRegion      Code = 25 // an account's home region is another chain
)

// Tokens and contract validation (S0.2). Contract codes are reported all at once
// by validation; the transaction carries the first.
const (
	CodeUnknownToken          Code = 40
	CodeTokenExists           Code = 41
	CodeFiatAccountInUse      Code = 42 // the reserve account already backs another token
	CodeContractID            Code = 50
	CodeContractName          Code = 51
	CodeContractSymbol        Code = 52
	CodeContractDecimals      Code = 53
	CodeContractCap           Code = 54
	CodeContractBIC           Code = 55
	CodeContractIBAN          Code = 56
	CodeContractAccountID     Code = 57
	CodeContractCurrency      Code = 58
	CodeReserveBelowMinimum   Code = 59
	CodeCapNotCovered         Code = 60
	CodeContractRatio         Code = 61
	CodeContractMinUnit       Code = 62
	CodeMaxTransferBelowMin   Code = 63
	CodeContractRule          Code = 64
	CodeRoleReused            Code = 65
	CodeRoleMissing           Code = 66
	CodeContractMinter        Code = 67
	CodeContractStaleness     Code = 68
	CodeContractReserveAmount Code = 69
	CodeUnknownBank           Code = 70
	CodeContractMinRedeem     Code = 71 // minimum redemption worth less than one fiat minor unit, or none redeemable
)

// Money movement.
const (
	CodeUnknownCoin        Code = 80 // no coin with this id was ever created
	CodeCoinSpent          Code = 81 // the coin was already spent
	CodeNotCoinOwner       Code = 82 // the signer does not own an input coin
	CodeWrongCoinToken     Code = 83 // an input coin is of another token
	CodeDuplicateInput     Code = 84 // the same coin twice in one transaction
	CodeNotConserved       Code = 85 // inputs and outputs differ
	CodeNotMinUnitMultiple Code = 86 // amount not a multiple of the minimum unit
	CodeAboveMaxTransfer   Code = 87 // amount above the contract's maximum transfer
	CodeMinterAllowance    Code = 88 // mint beyond the minter's allowance
	CodeAboveReserve       Code = 89 // supply would exceed reserve × ratio
	CodeAboveCap           Code = 90 // supply would exceed the cap
	CodeFrozen             Code = 91 // a party is frozen
	CodePaused             Code = 92 // the token is paused
	CodeNotRegistered      Code = 93 // a party is not a registered account
	CodeRedeemNotAllowed   Code = 94 // the contract does not let this holder redeem
	CodeSpendAllowance     Code = 95 // spend beyond the owner's approval
	CodeTooManyCoins       Code = 96 // over MaxInputs or MaxOutputs
	CodeNotFrozen          Code = 97 // seize needs a frozen holder
	CodeNoPendingOwner     Code = 98 // accept without a matching transfer
	CodeRedeemBelowMinimum Code = 99 // below the contract's minimum redemption
	// CodeRedeemFiatRemainder: the amount is not worth a whole number of fiat
	// minor units at the ratio, so burning it would not all be paid.
	CodeRedeemFiatRemainder Code = 100
)

// Reserve watch (S0.3, S0.4): attestations of the reserve's bank balance and
// the minting they gate.
const (
	CodeReserveUnattested   Code = 120 // mint before any attestation
	CodeReserveAtRisk       Code = 121 // the attested reserve does not cover the supply
	CodeReserveStale        Code = 122 // the last attestation is older than the window
	CodeAttestWrongAccount  Code = 123 // attestation for another fiat account
	CodeAttestWrongCurrency Code = 124 // attestation in another currency
	CodeAttestOutdated      Code = 125 // older than the token's last attestation
	CodeAttestFuture        Code = 126 // bank time too far ahead of block time
	CodeAttestAccountShared Code = 127 // the account's balance is counted for another token
)

// Fees (S3): prepaid fee accounts, charged for every accepted transaction of
// a kind the schedule prices, before the transaction's own checks.
const (
	CodeFeeNoAccount      Code = 140 // the signer has no fee account to pay from
	CodeFeeInsufficient   Code = 141 // less is available now than the fee
	CodeFeeAccountExpired Code = 142 // every grant of the signer's fee account has ended
	CodeFeeNotEnabled     Code = 143 // a deposit while no fee policy is set
	CodeFeeWrongToken     Code = 144 // a deposit of another token than the fee token
	CodeFeeBelowMinimum   Code = 145 // a deposit below the policy's smallest tier
	CodeFeeTooManyGrants  Code = 146 // the account already holds the policy's most live grants
	CodeFeeSchedule       Code = 147 // a fee policy or schedule that breaks a rule
	CodeFeeEarmarked      Code = 148 // the fee contract's coins cannot be frozen, seized or paid to
	CodeFeeUncollectable  Code = 149 // a collection of more than the fees spent or expired and not yet collected
)

// Alias directory (S2.2): keyed hashes of phone and ID numbers bound to
// addresses by registrars.
const (
	CodeAliasTaken   Code = 150 // the hash is bound already, to this address or another
	CodeAliasUnknown Code = 151 // no binding of the hash
	CodeAliasLimit   Code = 152 // the address holds MaxAliasesPerAddress aliases already
)

// Regions (S2): answered by a gateway (front processor) before any region's
// chain sees the request.
const (
	CodeRegionDown    Code = 160 // the owner's region answers no health check now
	CodeRegionUnknown Code = 161 // an address of a region the network does not have
	CodeUnroutable    Code = 162 // neither an address nor a value the gateway can resolve to one
)

// Proofs (S2.5): a receipt or coin proof checked against a trusted validator
// set (internal/proof), in the order the checks run, and the node's answer
// when a proof cannot be made yet.
const (
	CodeProofMalformed          Code = 170 // a proof that does not decode, or whose header or commit is ill-formed
	CodeProofWrongChain         Code = 171 // the proof's header is of another chain than the trusted one
	CodeProofUntrustedValidator Code = 172 // the signing validator set is not the header's, or not trusted
	CodeProofWeakCommit         Code = 173 // the commit's signatures carry 2/3 of the power or less
	CodeProofBadCommit          Code = 174 // the commit does not sign this header, or a signature does not verify
	CodeProofPath               Code = 175 // a Merkle path does not lead from the receipt to the header
	CodeProofRefused            Code = 176 // the proven transaction was refused
	CodeProofNotCoin            Code = 177 // the proven receipt does not create the coin the proof names
	CodeProofNotYet             Code = 178 // the block that commits the receipt's results is not there yet
	// Cross-region transfers (S2.7, S2.8): a transfer_in, transfer_refund or
	// token_import whose proof does not show what it must, or comes too
	// late or twice.
	CodeTransferNotProven Code = 180 // the proven receipt records no such transfer for this region
	CodeTransferDone      Code = 181 // the transfer was already delivered, returned or refunded here
	CodeTransferUnknown   Code = 182 // this chain recorded no outbound transfer of that id
	CodeDeployNotProven   Code = 183 // the proven receipt does not deploy the contract the import carries
	CodeTokenNotHome      Code = 184 // minting, redeeming or attesting a token away from its home region
	CodeProofStale        Code = 185 // a header signed by a validator set other than the trusted one, older than the trusting period
	CodeRegionUpdateOld   Code = 186 // a region_update's header is not newer than the one the trust rests on
	CodeTransferUnbacked  Code = 187 // a transfer into a token's home region of more than the home ever sent out
)

// Identities (S4.8): certificates the operator's CA issues, registered on
// chain by their holders and revoked by the operator.
const (
	CodeCertNoCA          Code = 200 // the chain's genesis names no certificate authority
	CodeCertMalformed     Code = 201 // bytes that are not a Peg identity certificate
	CodeCertNotChained    Code = 202 // not signed by the chain's CA
	CodeCertExpired       Code = 203 // outside its validity (or the CA's) at block time
	CodeCertRevoked       Code = 204 // the CA revoked it
	CodeCertWrongKey      Code = 205 // it names another key than the one that signs
	CodeCertNotRegistered Code = 206 // the account has no certificate registered on chain
)

// Credit payments (S4): credit nodes, credit lines, requests, debts.
const (
	CodeCreditNoNode        Code = 210 // no credit node at this address
	CodeCreditNodeExists    Code = 211 // the address is already a credit node
	CodeCreditParams        Code = 212 // a node's parameters break a rule
	CodeCreditNoRequest     Code = 213 // no credit request with this id
	CodeCreditNotPayee      Code = 214 // a step only the request's payee may take
	CodeCreditNotPayer      Code = 215 // a step only the request's payer may take
	CodeCreditNotPending    Code = 216 // the request is not in the state this step needs
	CodeCreditLapsed        Code = 217 // the request's deadline passed unconfirmed
	CodeCreditOverLine      Code = 218 // over the payee's credit line for the payer
	CodeCreditOverNodeLimit Code = 219 // over the node's credit amount for the payer
	CodeCreditPoolShort     Code = 220 // the node's pool holds less than the payment
	CodeCreditRepayTooMuch  Code = 221 // a repayment larger than the debt
	CodeCreditDeadline      Code = 222 // a deadline not ahead of block time, or too far
	CodeCreditTooManyDebts  Code = 223 // the payer already has MaxOpenDebts open debts
	CodeCreditPoolEarmarked Code = 224 // a credit pool's coins move only by credit transactions
	// Credit across regions (S4.1): a credit_request_in, credit_paid_in or
	// credit_repaid_in whose proof does not show the step it carries, or
	// carries it twice.
	CodeCreditNotProven Code = 225 // the proven receipt records no such credit step for this region
	CodeCreditProofDone Code = 226 // the proven credit step was already recorded here
)

// Trade agreements (S1.2, S1.4, S1.5): the trade rules, offers and
// counter-offers, the holding pool, settlement and disputes.
const (
	CodeTradeNoRules         Code = 240 // the chain has no trade rule set
	CodeTradeRules           Code = 241 // a trade rule set breaks a rule
	CodeTradeTokenNotAllowed Code = 242 // the trade rules set no position limit for the token
	CodeTradeNoTrade         Code = 243 // no trade with this id
	CodeTradeNotParty        Code = 244 // the trade does not name the signer for this step
	CodeTradeWrongParty      Code = 245 // the trade names the signer, but another party takes this step
	CodeTradeWrongState      Code = 246 // a step out of order: not one the trade's state allows
	CodeTradeClosed          Code = 247 // the trade is closed (settled, refunded, resolved, cancelled or lapsed)
	CodeTradeLapsed          Code = 248 // the deadline the step needed has passed
	CodeTradeNotDue          Code = 249 // the step waits for a deadline that has not passed
	CodeTradeRoundLimit      Code = 250 // a counter-offer beyond the trade rules' rounds
	CodeTradeDeadline        Code = 251 // a version's deadlines are not ahead of block time, out of order or too far
	CodeTradeStaleVersion    Code = 252 // the step answers a version that is not the latest
	CodeTradePositionLimit   Code = 253 // a party's open trades would pass the position limit
	CodeTradeTooManyOpen     Code = 254 // a party is in MaxOpenTrades open trades already
	CodeTradeWrongToken      Code = 255 // funding in another token than the trade's
	CodeTradeUnderfunded     Code = 256 // funding with less than the trade's amount
	CodeTradeOverfunded      Code = 257 // funding with more than the trade's amount
	CodeTradeRuleNotMet      Code = 258 // settlement before the payment rule is met
	CodeTradePoolEarmarked   Code = 259 // a trade's pool coins move only by trade transactions
	CodeTradeOverAmount      Code = 260 // a resolution pays the seller more than the pool holds
)

// The endorsement service (S1.6): endorsement policies and mint requests.
const (
	CodeEndorsePolicy      Code = 290 // an endorsement policy breaks a rule
	CodeMintRequestUnknown Code = 291 // no mint request with this id
	CodeNotEndorser        Code = 292 // the signer is not among the request's endorsers
	CodeEndorsedTwice      Code = 293 // the signer endorsed the request already
	CodeMintRequestLapsed  Code = 294 // the request's deadline passed before it was endorsed enough
	CodeMintRequestClosed  Code = 295 // the request was executed, refused or cancelled
	CodeEndorseOwnRequest  Code = 296 // a minter may not endorse its own request
	CodeMintRequestLimit   Code = 297 // the token has MaxOpenRequests open mint requests
	CodeNotRequestParty    Code = 298 // a cancellation by neither the request's minter nor the token's owner
)

// KYC tiers (S1.6): a token's limits per level of identity verification.
const (
	CodeKYCTiers        Code = 280 // the tiers break a rule (levels, order of limits)
	CodeKYCTiersLate    Code = 281 // tiers first set on a token that has had coins on this chain
	CodeKYCPaymentLimit Code = 282 // a payment passes the payer's per-payment limit
	CodeKYCDailyLimit   Code = 283 // a payment passes the payer's daily limit
	CodeKYCBalanceLimit Code = 284 // a payment would pass the payee's balance limit
	CodeKYCRefundLimit  Code = 285 // a refund of an account's own money would pass its balance limit
)

type codeInfo struct {
	name string
	desc string
}

var codeTable = map[Code]codeInfo{
	OK:                          {"OK", "accepted"},
	CodeMalformed:               {"MALFORMED_TX", "transaction bytes do not decode"},
	CodeTooLarge:                {"TX_TOO_LARGE", "transaction exceeds a size limit"},
	CodeWrongChain:              {"WRONG_CHAIN", "transaction is for another chain"},
	CodeMissingSig:              {"MISSING_SIGNATURE", "a required signature is missing"},
	CodeBadSignature:            {"BAD_SIGNATURE", "a signature does not verify"},
	CodeExpired:                 {"EXPIRED", "transaction expiry height has passed"},
	CodeExpiryTooFar:            {"EXPIRY_TOO_FAR", "transaction expiry is too far ahead"},
	CodeReplayed:                {"REPLAYED", "transaction was already included in a block"},
	CodeUnknownMessage:          {"UNKNOWN_MESSAGE", "transaction carries no known message"},
	CodeBatchRejected:           {"BATCH_REJECTED", "a transaction in the batch was refused; each has its own result"},
	CodeDuplicateInBatch:        {"DUPLICATE_IN_BATCH", "the same transaction is earlier in the batch; only that one is submitted"},
	CodeUnauthorized:            {"UNAUTHORIZED", "signer does not hold the role this action needs"},
	CodeInvalidArgument:         {"INVALID_ARGUMENT", "a field is malformed or out of range"},
	CodeInvalidAmount:           {"INVALID_AMOUNT", "amount is zero, negative or malformed"},
	CodeAmountOverflow:          {"AMOUNT_OVERFLOW", "amount arithmetic overflows"},
	CodeIssuerUnauthorized:      {"ISSUER_NOT_AUTHORIZED", "deployer is not an authorised issuer"},
	CodeForeignRegion:           {"FOREIGN_REGION", "an account's home region is served by another chain"},
	CodeUnknownToken:            {"UNKNOWN_TOKEN", "no token with this id"},
	CodeTokenExists:             {"TOKEN_EXISTS", "a token with this id already exists"},
	CodeFiatAccountInUse:        {"FIAT_ACCOUNT_IN_USE", "the reserve account already backs another token"},
	CodeContractID:              {"CONTRACT_ID", "token id is invalid"},
	CodeContractName:            {"CONTRACT_NAME", "token name is invalid"},
	CodeContractSymbol:          {"CONTRACT_SYMBOL", "token symbol is invalid"},
	CodeContractDecimals:        {"CONTRACT_DECIMALS", "decimals must be 0 to 18"},
	CodeContractCap:             {"CONTRACT_CAP", "supply cap is invalid"},
	CodeContractBIC:             {"CONTRACT_BIC", "bank identifier is not a valid BIC"},
	CodeContractIBAN:            {"CONTRACT_IBAN", "IBAN is invalid"},
	CodeContractAccountID:       {"CONTRACT_ACCOUNT_ID", "fiat account identifier is invalid"},
	CodeContractCurrency:        {"CONTRACT_CURRENCY", "currency is not an ISO 4217 code"},
	CodeReserveBelowMinimum:     {"RESERVE_BELOW_MINIMUM", "declared reserve is below the platform minimum"},
	CodeCapNotCovered:           {"CAP_NOT_COVERED", "supply cap exceeds reserve × ratio"},
	CodeContractRatio:           {"CONTRACT_RATIO", "exchange ratio is invalid"},
	CodeContractMinUnit:         {"CONTRACT_MIN_UNIT", "minimum unit is not a power-of-ten multiple of the smallest unit"},
	CodeMaxTransferBelowMin:     {"MAX_TRANSFER_BELOW_MIN_UNIT", "maximum transfer is below the minimum unit"},
	CodeContractRule:            {"CONTRACT_RULE", "a transaction rule is invalid"},
	CodeRoleReused:              {"ROLE_REUSED", "one address holds two roles"},
	CodeRoleMissing:             {"ROLE_MISSING", "a required role is not assigned"},
	CodeContractMinter:          {"CONTRACT_MINTER", "a minter entry is invalid"},
	CodeContractStaleness:       {"CONTRACT_STALENESS", "reserve staleness window is invalid"},
	CodeContractReserveAmount:   {"CONTRACT_RESERVE", "declared reserve is malformed"},
	CodeUnknownBank:             {"UNKNOWN_BANK", "the bank is not on the platform's list of reserve banks"},
	CodeContractMinRedeem:       {"CONTRACT_MIN_REDEEM", "minimum redemption is worth less than one fiat minor unit, or no amount could be redeemed"},
	CodeUnknownCoin:             {"UNKNOWN_COIN", "no such coin"},
	CodeCoinSpent:               {"COIN_SPENT", "coin was already spent"},
	CodeNotCoinOwner:            {"NOT_COIN_OWNER", "signer does not own the coin"},
	CodeWrongCoinToken:          {"WRONG_COIN_TOKEN", "coin belongs to another token"},
	CodeDuplicateInput:          {"DUPLICATE_INPUT", "a coin appears twice among the inputs"},
	CodeNotConserved:            {"NOT_CONSERVED", "inputs and outputs do not balance"},
	CodeNotMinUnitMultiple:      {"NOT_MIN_UNIT_MULTIPLE", "amount is not a multiple of the minimum unit"},
	CodeAboveMaxTransfer:        {"ABOVE_MAX_TRANSFER", "amount exceeds the maximum transfer"},
	CodeMinterAllowance:         {"MINTER_ALLOWANCE", "mint exceeds the minter's allowance"},
	CodeAboveReserve:            {"ABOVE_RESERVE", "supply would exceed reserve × ratio"},
	CodeAboveCap:                {"ABOVE_CAP", "supply would exceed the cap"},
	CodeFrozen:                  {"FROZEN", "an account in the transaction is frozen"},
	CodePaused:                  {"PAUSED", "the token is paused"},
	CodeNotRegistered:           {"NOT_REGISTERED", "an account is not registered with the operator"},
	CodeRedeemNotAllowed:        {"REDEEM_NOT_ALLOWED", "the contract does not allow this holder to redeem"},
	CodeSpendAllowance:          {"SPEND_ALLOWANCE", "spend exceeds the owner's approval"},
	CodeTooManyCoins:            {"TOO_MANY_COINS", "too many inputs or outputs"},
	CodeNotFrozen:               {"NOT_FROZEN", "the holder is not frozen"},
	CodeNoPendingOwner:          {"NO_PENDING_OWNER", "no ownership transfer to this address is pending"},
	CodeRedeemBelowMinimum:      {"REDEEM_BELOW_MINIMUM", "redemption is below the contract's minimum"},
	CodeRedeemFiatRemainder:     {"REDEEM_FIAT_REMAINDER", "redemption is not worth a whole number of fiat minor units"},
	CodeReserveUnattested:       {"RESERVE_UNATTESTED", "no attestation of the reserve yet"},
	CodeReserveAtRisk:           {"RESERVE_AT_RISK", "the attested reserve does not cover the supply"},
	CodeReserveStale:            {"RESERVE_STALE", "the last attestation of the reserve is too old"},
	CodeAttestWrongAccount:      {"ATTEST_WRONG_ACCOUNT", "attestation is for another fiat account"},
	CodeAttestWrongCurrency:     {"ATTEST_WRONG_CURRENCY", "attestation is in another currency"},
	CodeAttestOutdated:          {"ATTEST_OUTDATED", "attestation is older than the last one"},
	CodeAttestFuture:            {"ATTEST_FUTURE", "attestation's bank time is ahead of the block"},
	CodeAttestAccountShared:     {"ATTEST_ACCOUNT_SHARED", "the account's balance already backs another token"},
	CodeFeeNoAccount:            {"FEE_NO_ACCOUNT", "the signer has no fee account to pay the fee from"},
	CodeFeeInsufficient:         {"FEE_INSUFFICIENT", "the fee account has less available now than the fee"},
	CodeFeeAccountExpired:       {"FEE_ACCOUNT_EXPIRED", "every deposit of the signer's fee account has expired"},
	CodeFeeNotEnabled:           {"FEE_NOT_ENABLED", "no fee policy is set"},
	CodeFeeWrongToken:           {"FEE_WRONG_TOKEN", "fees are deposited in the policy's fee token only"},
	CodeFeeBelowMinimum:         {"FEE_BELOW_MINIMUM", "the deposit is below the policy's smallest tier"},
	CodeFeeTooManyGrants:        {"FEE_TOO_MANY_GRANTS", "the fee account holds the most live deposits the policy allows"},
	CodeFeeSchedule:             {"FEE_SCHEDULE", "the fee policy or schedule breaks a rule"},
	CodeFeeEarmarked:            {"FEE_EARMARKED", "fee balances are earmarked: the fee contract's coins never move to anyone"},
	CodeFeeUncollectable:        {"FEE_UNCOLLECTABLE", "more than the fees spent or expired and not yet collected"},
	CodeAliasTaken:              {"ALIAS_TAKEN", "the phone or ID number is bound to an address already"},
	CodeAliasUnknown:            {"ALIAS_UNKNOWN", "no address is bound to the phone or ID number"},
	CodeAliasLimit:              {"ALIAS_LIMIT", "the address has the most aliases an address may have"},
	CodeRegionDown:              {"REGION_DOWN", "the owner's region is not answering; nothing was forwarded to it"},
	CodeRegionUnknown:           {"REGION_UNKNOWN", "the address's home region is not in the gateway's network"},
	CodeUnroutable:              {"UNROUTABLE", "not an address, nor a value the gateway can resolve to one"},
	CodeProofMalformed:          {"PROOF_MALFORMED", "the proof does not decode, or its header or commit is ill-formed"},
	CodeProofWrongChain:         {"PROOF_WRONG_CHAIN", "the proof is of another chain than the trusted one"},
	CodeProofUntrustedValidator: {"PROOF_UNTRUSTED_VALIDATORS", "the proof's validator set is not the header's, or not trusted"},
	CodeProofWeakCommit:         {"PROOF_WEAK_COMMIT", "the commit is signed by 2/3 of the voting power or less"},
	CodeProofBadCommit:          {"PROOF_BAD_COMMIT", "the commit does not sign the proof's header, or a signature does not verify"},
	CodeProofPath:               {"PROOF_PATH", "a Merkle path does not lead from the receipt to the signed header"},
	CodeProofRefused:            {"PROOF_REFUSED", "the proven transaction was refused"},
	CodeProofNotCoin:            {"PROOF_NOT_COIN", "the proven transaction does not create this coin"},
	CodeProofNotYet:             {"PROOF_NOT_YET", "the block that commits the transaction's result is not there yet"},
	CodeTransferNotProven:       {"TRANSFER_NOT_PROVEN", "the proven receipt records no such transfer for this region"},
	CodeTransferDone:            {"TRANSFER_DONE", "the transfer was already delivered, returned or refunded here"},
	CodeTransferUnknown:         {"TRANSFER_UNKNOWN", "this chain recorded no outbound transfer of that id"},
	CodeDeployNotProven:         {"DEPLOY_NOT_PROVEN", "the proven receipt does not deploy the contract the import carries"},
	CodeTokenNotHome:            {"TOKEN_NOT_HOME", "the token's supply is kept by its home region; mint, redeem and attest there"},
	CodeRegionUpdateOld:         {"REGION_UPDATE_OLD", "the header is not newer than the one this chain's trust in the region rests on"},
	CodeTransferUnbacked:        {"TRANSFER_UNBACKED", "a transfer into a token's home region of more than the home ever sent out"},
	CodeProofStale:              {"PROOF_STALE", "the header's validator set is not the trusted one and the header is older than the trusting period"},
	CodeCertNoCA:                {"CERT_NO_CA", "the chain has no certificate authority"},
	CodeCertMalformed:           {"CERT_MALFORMED", "not a Peg identity certificate"},
	CodeCertNotChained:          {"CERT_NOT_CHAINED", "the certificate is not signed by the chain's certificate authority"},
	CodeCertExpired:             {"CERT_EXPIRED", "the certificate is outside its validity at block time"},
	CodeCertRevoked:             {"CERT_REVOKED", "the certificate is revoked"},
	CodeCertWrongKey:            {"CERT_WRONG_KEY", "the certificate names another key than the signer's"},
	CodeCertNotRegistered:       {"CERT_NOT_REGISTERED", "the account has no certificate registered on chain"},
	CodeCreditNoNode:            {"CREDIT_NO_NODE", "no credit node at this address"},
	CodeCreditNodeExists:        {"CREDIT_NODE_EXISTS", "the address is already a credit node"},
	CodeCreditParams:            {"CREDIT_PARAMS", "the credit node's parameters break a rule"},
	CodeCreditNoRequest:         {"CREDIT_NO_REQUEST", "no credit request with this id"},
	CodeCreditNotPayee:          {"CREDIT_NOT_PAYEE", "only the request's payee may take this step"},
	CodeCreditNotPayer:          {"CREDIT_NOT_PAYER", "only the request's payer may take this step"},
	CodeCreditNotPending:        {"CREDIT_NOT_PENDING", "the credit request is not in the state this step needs"},
	CodeCreditLapsed:            {"CREDIT_LAPSED", "the credit request's deadline passed before the payee confirmed"},
	CodeCreditOverLine:          {"CREDIT_OVER_LINE", "over the payee's credit line for this payer"},
	CodeCreditOverNodeLimit:     {"CREDIT_OVER_NODE_LIMIT", "over the credit node's credit amount for this payer"},
	CodeCreditPoolShort:         {"CREDIT_POOL_SHORT", "the credit node's pool holds less than the payment"},
	CodeCreditRepayTooMuch:      {"CREDIT_REPAY_TOO_MUCH", "the repayment is larger than the debt"},
	CodeCreditDeadline:          {"CREDIT_DEADLINE", "the deadline is not ahead of block time, or too far ahead"},
	CodeCreditTooManyDebts:      {"CREDIT_TOO_MANY_DEBTS", "the payer has the most open debts a node allows"},
	CodeCreditPoolEarmarked:     {"CREDIT_POOL_EARMARKED", "a credit pool's coins move only by credit transactions"},
	CodeCreditNotProven:         {"CREDIT_NOT_PROVEN", "the proven receipt records no such credit step for this region"},
	CodeCreditProofDone:         {"CREDIT_PROOF_DONE", "the proven credit step was already recorded here"},
	CodeTradeNoRules:            {"TRADE_NO_RULES", "the chain has no trade rule set"},
	CodeTradeRules:              {"TRADE_RULES", "the trade rule set breaks a rule"},
	CodeTradeTokenNotAllowed:    {"TRADE_TOKEN_NOT_ALLOWED", "the trade rules set no position limit for the token"},
	CodeTradeNoTrade:            {"TRADE_NO_TRADE", "no trade with this id"},
	CodeTradeNotParty:           {"TRADE_NOT_PARTY", "the trade does not name the signer for this step"},
	CodeTradeWrongParty:         {"TRADE_WRONG_PARTY", "another party of the trade takes this step"},
	CodeTradeWrongState:         {"TRADE_WRONG_STATE", "the trade's state does not allow this step"},
	CodeTradeClosed:             {"TRADE_CLOSED", "the trade is closed"},
	CodeTradeLapsed:             {"TRADE_LAPSED", "the deadline this step needed has passed"},
	CodeTradeNotDue:             {"TRADE_NOT_DUE", "the step waits for a deadline that has not passed"},
	CodeTradeRoundLimit:         {"TRADE_ROUND_LIMIT", "no more counter-offers: the trade rules' rounds are used up"},
	CodeTradeDeadline:           {"TRADE_DEADLINE", "the deadlines are not ahead of block time, out of order or too far ahead"},
	CodeTradeStaleVersion:       {"TRADE_STALE_VERSION", "the step answers a version of the terms that is not the latest"},
	CodeTradePositionLimit:      {"TRADE_POSITION_LIMIT", "a party's open trades would pass the position limit"},
	CodeTradeTooManyOpen:        {"TRADE_TOO_MANY_OPEN", "a party is in the most open trades allowed"},
	CodeTradeWrongToken:         {"TRADE_WRONG_TOKEN", "funding in another token than the trade's"},
	CodeTradeUnderfunded:        {"TRADE_UNDERFUNDED", "funding with less than the trade's amount"},
	CodeTradeOverfunded:         {"TRADE_OVERFUNDED", "funding with more than the trade's amount"},
	CodeTradeRuleNotMet:         {"TRADE_RULE_NOT_MET", "the payment rule is not met yet"},
	CodeTradePoolEarmarked:      {"TRADE_POOL_EARMARKED", "a trade's pool coins move only by trade transactions"},
	CodeTradeOverAmount:         {"TRADE_OVER_AMOUNT", "the resolution pays out more than the trade's pool holds"},
	CodeEndorsePolicy:           {"ENDORSE_POLICY", "the endorsement policy breaks a rule"},
	CodeMintRequestUnknown:      {"MINT_REQUEST_UNKNOWN", "no mint request with this id"},
	CodeNotEndorser:             {"NOT_ENDORSER", "the signer is not among the mint request's endorsers"},
	CodeEndorsedTwice:           {"ENDORSED_TWICE", "the signer endorsed the mint request already"},
	CodeMintRequestLapsed:       {"MINT_REQUEST_LAPSED", "the mint request lapsed before it was endorsed enough"},
	CodeMintRequestClosed:       {"MINT_REQUEST_CLOSED", "the mint request was executed, refused or cancelled"},
	CodeEndorseOwnRequest:       {"ENDORSE_OWN_REQUEST", "a minter may not endorse its own mint request"},
	CodeMintRequestLimit:        {"MINT_REQUEST_LIMIT", "the token has the most open mint requests allowed"},
	CodeNotRequestParty:         {"NOT_REQUEST_PARTY", "only the request's minter or the token's owner may cancel it"},
	CodeKYCTiers:                {"KYC_TIERS", "the KYC tiers break a rule"},
	CodeKYCTiersLate:            {"KYC_TIERS_LATE", "KYC tiers are first set before the token's first coin on this chain"},
	CodeKYCPaymentLimit:         {"KYC_PAYMENT_LIMIT", "the payment passes the payer's per-payment limit"},
	CodeKYCDailyLimit:           {"KYC_DAILY_LIMIT", "the payment passes the payer's daily limit"},
	CodeKYCBalanceLimit:         {"KYC_BALANCE_LIMIT", "the payee's balance would pass its limit"},
	CodeKYCRefundLimit:          {"KYC_REFUND_LIMIT", "the refund would pass the refunded account's balance limit; the money waits until it fits"},
}

// Name is the code's stable upper-case name, as the API reports it.
func (c Code) Name() string {
	if i, ok := codeTable[c]; ok {
		return i.name
	}
	return fmt.Sprintf("CODE_%d", uint32(c))
}

// Description says in a few words what the code means.
func (c Code) Description() string { return codeTable[c].desc }

func (c Code) String() string { return c.Name() }

// Codes lists every known code in ascending order.
func Codes() []Code {
	out := make([]Code, 0, len(codeTable))
	for c := Code(0); c < 1000; c++ {
		if _, ok := codeTable[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

// Rejection is a transaction's refusal: a stable code and a message that says
// exactly what was wrong. It is a value, not an error: rejections are expected
// outcomes of consensus, while errors are operating failures.
type Rejection struct {
	Code    Code
	Message string
}

// Reject builds a Rejection with a formatted message.
func Reject(code Code, format string, args ...any) *Rejection {
	return &Rejection{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (r *Rejection) String() string { return r.Code.Name() + ": " + r.Message }
