package api

import (
	"fmt"
	"net/http"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
)

// httpStatus is the one table from ledger result codes to HTTP statuses. Every
// code has an entry (a test checks it), so a new code must be classified here
// before it can be answered:
//
//	400 the transaction is malformed: it can never succeed as written
//	401 a signature is missing or wrong
//	403 the signer or a party may not do this
//	404 the token or coin it names does not exist
//	409 it conflicts with what the ledger already holds
//	402 the signer's fee account cannot pay the fee now
//	410 it expired
//	422 well-formed, but the ledger's rules or limits refuse it now
//	503 a gateway cannot reach the region that would answer
var httpStatus = map[ledger.Code]int{
	ledger.OK: http.StatusOK,

	ledger.CodeMalformed:      http.StatusBadRequest,
	ledger.CodeTooLarge:       http.StatusBadRequest,
	ledger.CodeWrongChain:     http.StatusBadRequest,
	ledger.CodeMissingSig:     http.StatusUnauthorized,
	ledger.CodeBadSignature:   http.StatusUnauthorized,
	ledger.CodeExpired:        http.StatusGone,
	ledger.CodeExpiryTooFar:   http.StatusBadRequest,
	ledger.CodeReplayed:       http.StatusConflict,
	ledger.CodeUnknownMessage: http.StatusBadRequest,
	ledger.CodeBatchRejected:  http.StatusUnprocessableEntity,

	ledger.CodeDuplicateInBatch: http.StatusConflict, // the API's check, on a batch request

	ledger.CodeUnauthorized:       http.StatusForbidden,
	ledger.CodeInvalidArgument:    http.StatusBadRequest,
	ledger.CodeInvalidAmount:      http.StatusBadRequest,
	ledger.CodeAmountOverflow:     http.StatusBadRequest,
	ledger.CodeIssuerUnauthorized: http.StatusForbidden,
	ledger.CodeForeignRegion:      http.StatusForbidden,

	ledger.CodeUnknownToken:          http.StatusNotFound,
	ledger.CodeTokenExists:           http.StatusConflict,
	ledger.CodeFiatAccountInUse:      http.StatusConflict,
	ledger.CodeContractID:            http.StatusUnprocessableEntity,
	ledger.CodeContractName:          http.StatusUnprocessableEntity,
	ledger.CodeContractSymbol:        http.StatusUnprocessableEntity,
	ledger.CodeContractDecimals:      http.StatusUnprocessableEntity,
	ledger.CodeContractCap:           http.StatusUnprocessableEntity,
	ledger.CodeContractBIC:           http.StatusUnprocessableEntity,
	ledger.CodeContractIBAN:          http.StatusUnprocessableEntity,
	ledger.CodeContractAccountID:     http.StatusUnprocessableEntity,
	ledger.CodeContractCurrency:      http.StatusUnprocessableEntity,
	ledger.CodeReserveBelowMinimum:   http.StatusUnprocessableEntity,
	ledger.CodeCapNotCovered:         http.StatusUnprocessableEntity,
	ledger.CodeContractRatio:         http.StatusUnprocessableEntity,
	ledger.CodeContractMinUnit:       http.StatusUnprocessableEntity,
	ledger.CodeMaxTransferBelowMin:   http.StatusUnprocessableEntity,
	ledger.CodeContractRule:          http.StatusUnprocessableEntity,
	ledger.CodeRoleReused:            http.StatusUnprocessableEntity,
	ledger.CodeRoleMissing:           http.StatusUnprocessableEntity,
	ledger.CodeContractMinter:        http.StatusUnprocessableEntity,
	ledger.CodeContractStaleness:     http.StatusUnprocessableEntity,
	ledger.CodeContractReserveAmount: http.StatusUnprocessableEntity,
	ledger.CodeUnknownBank:           http.StatusUnprocessableEntity,
	ledger.CodeContractMinRedeem:     http.StatusUnprocessableEntity,

	ledger.CodeUnknownCoin:         http.StatusNotFound,
	ledger.CodeCoinSpent:           http.StatusConflict,
	ledger.CodeNotCoinOwner:        http.StatusForbidden,
	ledger.CodeWrongCoinToken:      http.StatusUnprocessableEntity,
	ledger.CodeDuplicateInput:      http.StatusConflict,
	ledger.CodeNotConserved:        http.StatusUnprocessableEntity,
	ledger.CodeNotMinUnitMultiple:  http.StatusUnprocessableEntity,
	ledger.CodeAboveMaxTransfer:    http.StatusUnprocessableEntity,
	ledger.CodeMinterAllowance:     http.StatusUnprocessableEntity,
	ledger.CodeAboveReserve:        http.StatusUnprocessableEntity,
	ledger.CodeAboveCap:            http.StatusUnprocessableEntity,
	ledger.CodeFrozen:              http.StatusForbidden,
	ledger.CodePaused:              http.StatusForbidden,
	ledger.CodeNotRegistered:       http.StatusForbidden,
	ledger.CodeRedeemNotAllowed:    http.StatusForbidden,
	ledger.CodeSpendAllowance:      http.StatusUnprocessableEntity,
	ledger.CodeTooManyCoins:        http.StatusUnprocessableEntity,
	ledger.CodeNotFrozen:           http.StatusConflict,
	ledger.CodeNoPendingOwner:      http.StatusConflict,
	ledger.CodeRedeemBelowMinimum:  http.StatusUnprocessableEntity,
	ledger.CodeRedeemFiatRemainder: http.StatusUnprocessableEntity,
	ledger.CodeReserveUnattested:   http.StatusUnprocessableEntity,
	ledger.CodeReserveAtRisk:       http.StatusUnprocessableEntity,
	ledger.CodeReserveStale:        http.StatusUnprocessableEntity,
	ledger.CodeAttestWrongAccount:  http.StatusUnprocessableEntity,
	ledger.CodeAttestWrongCurrency: http.StatusUnprocessableEntity,
	ledger.CodeAttestOutdated:      http.StatusConflict,
	ledger.CodeAttestAccountShared: http.StatusConflict,
	ledger.CodeAttestFuture:        http.StatusBadRequest,

	ledger.CodeFeeNoAccount:      http.StatusPaymentRequired,
	ledger.CodeFeeInsufficient:   http.StatusPaymentRequired,
	ledger.CodeFeeAccountExpired: http.StatusPaymentRequired,
	ledger.CodeFeeNotEnabled:     http.StatusUnprocessableEntity,
	ledger.CodeFeeWrongToken:     http.StatusUnprocessableEntity,
	ledger.CodeFeeBelowMinimum:   http.StatusUnprocessableEntity,
	ledger.CodeFeeTooManyGrants:  http.StatusUnprocessableEntity,
	ledger.CodeFeeSchedule:       http.StatusUnprocessableEntity,
	ledger.CodeFeeEarmarked:      http.StatusForbidden,
	ledger.CodeFeeUncollectable:  http.StatusUnprocessableEntity,

	ledger.CodeAliasTaken:              http.StatusConflict,
	ledger.CodeAliasUnknown:            http.StatusNotFound,
	ledger.CodeAliasLimit:              http.StatusUnprocessableEntity,
	ledger.CodeRegionDown:              http.StatusServiceUnavailable, // a gateway's answer: try again later
	ledger.CodeRegionUnknown:           http.StatusNotFound,
	ledger.CodeUnroutable:              http.StatusBadRequest,
	ledger.CodeProofMalformed:          http.StatusUnprocessableEntity,
	ledger.CodeProofWrongChain:         http.StatusUnprocessableEntity,
	ledger.CodeProofUntrustedValidator: http.StatusUnprocessableEntity,
	ledger.CodeProofWeakCommit:         http.StatusUnprocessableEntity,
	ledger.CodeProofBadCommit:          http.StatusUnprocessableEntity,
	ledger.CodeProofPath:               http.StatusUnprocessableEntity,
	ledger.CodeProofRefused:            http.StatusUnprocessableEntity,
	ledger.CodeProofNotCoin:            http.StatusUnprocessableEntity,
	ledger.CodeProofNotYet:             http.StatusConflict, // the proof can be made once the next block is committed
	ledger.CodeTransferNotProven:       http.StatusUnprocessableEntity,
	ledger.CodeTransferDone:            http.StatusConflict,
	ledger.CodeTransferUnknown:         http.StatusNotFound,
	ledger.CodeDeployNotProven:         http.StatusUnprocessableEntity,
	ledger.CodeTokenNotHome:            http.StatusForbidden,
	ledger.CodeRegionUpdateOld:         http.StatusConflict,
	ledger.CodeTransferUnbacked:        http.StatusUnprocessableEntity,
	ledger.CodeProofStale:              http.StatusUnprocessableEntity,
	ledger.CodeCertNoCA:                http.StatusUnprocessableEntity,
	ledger.CodeCertMalformed:           http.StatusBadRequest,
	ledger.CodeCertNotChained:          http.StatusForbidden,
	ledger.CodeCertExpired:             http.StatusForbidden,
	ledger.CodeCertRevoked:             http.StatusForbidden,
	ledger.CodeCertWrongKey:            http.StatusForbidden,
	ledger.CodeCertNotRegistered:       http.StatusForbidden,
	ledger.CodeCreditNoNode:            http.StatusNotFound,
	ledger.CodeCreditNodeExists:        http.StatusConflict,
	ledger.CodeCreditParams:            http.StatusUnprocessableEntity,
	ledger.CodeCreditNoRequest:         http.StatusNotFound,
	ledger.CodeCreditNotPayee:          http.StatusForbidden,
	ledger.CodeCreditNotPayer:          http.StatusForbidden,
	ledger.CodeCreditNotPending:        http.StatusConflict,
	ledger.CodeCreditLapsed:            http.StatusConflict,
	ledger.CodeCreditOverLine:          http.StatusUnprocessableEntity,
	ledger.CodeCreditOverNodeLimit:     http.StatusUnprocessableEntity,
	ledger.CodeCreditPoolShort:         http.StatusUnprocessableEntity,
	ledger.CodeCreditRepayTooMuch:      http.StatusUnprocessableEntity,
	ledger.CodeCreditDeadline:          http.StatusBadRequest,
	ledger.CodeCreditTooManyDebts:      http.StatusUnprocessableEntity,
	ledger.CodeCreditPoolEarmarked:     http.StatusForbidden,
	ledger.CodeCreditNotProven:         http.StatusUnprocessableEntity,
	ledger.CodeCreditProofDone:         http.StatusConflict,
	ledger.CodeTradeNoRules:            http.StatusConflict,
	ledger.CodeTradeRules:              http.StatusUnprocessableEntity,
	ledger.CodeTradeTokenNotAllowed:    http.StatusUnprocessableEntity,
	ledger.CodeTradeNoTrade:            http.StatusNotFound,
	ledger.CodeTradeNotParty:           http.StatusForbidden,
	ledger.CodeTradeWrongParty:         http.StatusForbidden,
	ledger.CodeTradeWrongState:         http.StatusConflict,
	ledger.CodeTradeClosed:             http.StatusConflict,
	ledger.CodeTradeLapsed:             http.StatusConflict,
	ledger.CodeTradeNotDue:             http.StatusConflict,
	ledger.CodeTradeRoundLimit:         http.StatusUnprocessableEntity,
	ledger.CodeTradeDeadline:           http.StatusBadRequest,
	ledger.CodeTradeStaleVersion:       http.StatusConflict,
	ledger.CodeTradePositionLimit:      http.StatusUnprocessableEntity,
	ledger.CodeTradeTooManyOpen:        http.StatusUnprocessableEntity,
	ledger.CodeTradeWrongToken:         http.StatusUnprocessableEntity,
	ledger.CodeTradeUnderfunded:        http.StatusUnprocessableEntity,
	ledger.CodeTradeOverfunded:         http.StatusUnprocessableEntity,
	ledger.CodeTradeRuleNotMet:         http.StatusConflict,
	ledger.CodeTradePoolEarmarked:      http.StatusForbidden,
	ledger.CodeTradeOverAmount:         http.StatusUnprocessableEntity,
	ledger.CodeEndorsePolicy:           http.StatusUnprocessableEntity,
	ledger.CodeMintRequestUnknown:      http.StatusNotFound,
	ledger.CodeNotEndorser:             http.StatusForbidden,
	ledger.CodeEndorsedTwice:           http.StatusConflict,
	ledger.CodeMintRequestLapsed:       http.StatusConflict,
	ledger.CodeMintRequestClosed:       http.StatusConflict,
	ledger.CodeEndorseOwnRequest:       http.StatusForbidden,
	ledger.CodeMintRequestLimit:        http.StatusUnprocessableEntity,
	ledger.CodeNotRequestParty:         http.StatusForbidden,
	ledger.CodeKYCTiers:                http.StatusUnprocessableEntity,
	ledger.CodeKYCTiersLate:            http.StatusConflict,
	ledger.CodeKYCPaymentLimit:         http.StatusForbidden,
	ledger.CodeKYCDailyLimit:           http.StatusForbidden,
	ledger.CodeKYCBalanceLimit:         http.StatusForbidden,
	ledger.CodeKYCRefundLimit:          http.StatusForbidden,
}

// HTTPStatus is the status the API answers a ledger code with. A code missing
// from the table (a test forbids it) answers 422, the status of a rule.
func HTTPStatus(c ledger.Code) int {
	if s, ok := httpStatus[c]; ok {
		return s
	}
	return http.StatusUnprocessableEntity
}

// The API's own codes, for failures that are not a ledger's answer. They start
// at 1000, above every ledger code, and like those are never renumbered.
const (
	CodeBadRequest       uint32 = 1000
	CodeNotFound         uint32 = 1001
	CodeMethodNotAllowed uint32 = 1002
	CodeRequestTooLarge  uint32 = 1003
	CodeTimeout          uint32 = 1004
	CodeUnavailable      uint32 = 1005
	CodeInternal         uint32 = 1006
)

// apiCodes describes the API's own codes, in order.
var apiCodes = []client.CodeInfo{
	{Code: CodeBadRequest, Name: "BAD_REQUEST", Description: "the request does not match the API", HTTPStatus: http.StatusBadRequest},
	{Code: CodeNotFound, Name: "NOT_FOUND", Description: "no such resource", HTTPStatus: http.StatusNotFound},
	{Code: CodeMethodNotAllowed, Name: "METHOD_NOT_ALLOWED", Description: "the resource does not answer this method", HTTPStatus: http.StatusMethodNotAllowed},
	{Code: CodeRequestTooLarge, Name: "REQUEST_TOO_LARGE", Description: "the request body exceeds MaxRequestBody, or a batch packs into more than a batch holds", HTTPStatus: http.StatusRequestEntityTooLarge},
	{Code: CodeTimeout, Name: "TIMEOUT", Description: "no block included the transaction within the wait", HTTPStatus: http.StatusGatewayTimeout},
	{Code: CodeUnavailable, Name: "UNAVAILABLE", Description: "the node cannot take the request now", HTTPStatus: http.StatusServiceUnavailable},
	{Code: CodeInternal, Name: "INTERNAL", Description: "the API failed; the node's log says why", HTTPStatus: http.StatusInternalServerError},
}

// apiError builds an error of one of the API's own codes.
func apiError(code uint32, format string, args ...any) *client.APIError {
	for _, c := range apiCodes {
		if c.Code == code {
			return &client.APIError{Status: c.HTTPStatus, Code: code, Name: c.Name, Message: fmt.Sprintf(format, args...)}
		}
	}
	panic(fmt.Sprintf("api: unknown API code %d", code))
}

func badRequest(format string, args ...any) *client.APIError {
	return apiError(CodeBadRequest, format, args...)
}

func notFound(format string, args ...any) *client.APIError {
	return apiError(CodeNotFound, format, args...)
}

// rejection is a ledger code's answer.
func rejection(code ledger.Code, message string) *client.APIError {
	return &client.APIError{Status: HTTPStatus(code), Code: uint32(code), Name: code.Name(), Message: message}
}

// codeList is every code the API may answer: the ledger's, then its own.
func codeList() client.CodeList {
	var l client.CodeList
	for _, c := range ledger.Codes() {
		l.Codes = append(l.Codes, client.CodeInfo{Code: uint32(c), Name: c.Name(), Description: c.Description(), HTTPStatus: HTTPStatus(c)})
	}
	l.Codes = append(l.Codes, apiCodes...)
	return l
}
