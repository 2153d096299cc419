package state

import (
	"encoding/binary"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/token"
)

// Key layout. Every key starts with a short ASCII prefix naming its record; the
// layout is part of the app hash, so a change needs a migration.
const (
	prefixGenesis      = "gen/"   // gen/genesis → Genesis (JSON)
	prefixToken        = "tok/"   // tok/ID → Token (JSON)
	prefixFrozen       = "frz/"   // frz/ID/ADDR → "" (ADDR is ledger.Address.Bytes)
	prefixApproval     = "apv/"   // apv/ID/OWNER SPENDER → amount (16 bytes)
	prefixIssuer       = "iss/"   // iss/ADDR → "" authorised issuer
	prefixRegistered   = "reg/"   // reg/ADDR → "" registered account
	prefixCoin         = "coin/"  // coin/COINID → Coin (binary) while unspent; the spending transaction's id (32 bytes) once spent
	prefixReceipt      = "rcpt/"  // rcpt/TXID → Receipt (receipt.go)
	prefixRedemption   = "rdm/"   // rdm/ID/HEIGHT(8) TXID → Redemption (JSON)
	prefixReading      = "att/"   // att/ID/HEIGHT(8) TXID → reserve.Reading (JSON)
	prefixRejected     = "rej/"   // rej/EXPIRY(8) TXID → "" a spending transaction a block refused (replays.go)
	prefixBalance      = "bal/"   // bal/BALANCE → token id: the one token a reserve balance backs (token.FiatAccount.Balance)
	prefixFeeAccount   = "feea/"  // feea/ADDR → fee.Account (binary, feecodec.go)
	prefixFeeHistory   = "feeh/"  // feeh/ADDR HEIGHT(8) TXID → FeeEntry (binary, feecodec.go)
	prefixRegistrar    = "rgr/"   // rgr/ADDR → "" registrar (S2.2)
	prefixAlias        = "als/"   // als/HASH → Alias (JSON): the alias directory, by keyed hash
	prefixAliasCount   = "alsn/"  // alsn/ADDR → aliases bound to ADDR (4 bytes), absent for none
	prefixTransfer     = "xfr/"   // xfr/out/ID, xfr/in/ID → Transfer (JSON, xfer.go)
	prefixXferHeight   = "xfh/"   // xfh/DIR/HEIGHT(8) ID → "": transfers by the height that recorded them
	prefixXferStatus   = "xfs/"   // xfs/DIR/STATUS/HEIGHT(8) ID → "": transfers by status, then height
	prefixBooks        = "xbk/"   // xbk/ID → Books (JSON, xfer.go): a token's cross-region totals
	prefixRegion       = "rgn/"   // rgn/REGION → RegionTrust (JSON, xfer.go): the trust a region_update moved
	prefixCert         = "crt/"   // crt/ADDR → the DER certificate the holder registered (certs.go)
	prefixRevoked      = "crev/"  // crev/SERIAL(8) → Revocation (JSON)
	prefixCreditNode   = "cnode/" // cnode/NODE → CreditNode (JSON, credit.go)
	prefixCreditPool   = "cpool/" // cpool/POOL → the node's address bytes
	prefixCreditLine   = "cline/" // cline/NODE PAYEE PAYER → CreditLine (JSON)
	prefixCreditReq    = "creq/"  // creq/ID → CreditRequestRecord (JSON)
	prefixCreditRecord = "crec/"  // crec/NODE PAYER → credit.Record (JSON)
	prefixCreditVolume = "cvol/"  // cvol/NODE PAYEE → []credit.Entry (JSON)
	prefixCreditParty  = "cpty/"  // cpty/ADDR HEIGHT(8) ID → "" a request ADDR made or was asked to accept
	prefixCreditInc    = "cinc/"  // cinc/NODE PAYER → CreditIncreaseRecord (JSON)
	prefixCreditOut    = "cxout/" // cxout/ID → "" a request of this region's payer to a payee of another (credit_cross.go)
	prefixCreditRepIn  = "cxrep/" // cxrep/REPAYMENT → "" a repayment of another region recorded here by credit_repaid_in
	prefixTrade        = "trd/"   // trd/ID → trade.Trade (binary, tradecodec.go)
	prefixTradePool    = "tpool/" // tpool/POOL → the trade's id
	prefixTradePos     = "tpos/"  // tpos/ADDR → trade.Position (binary, tradecodec.go): ADDR's open trades, by id
	prefixTradeParty   = "tpty/"  // tpty/ADDR HEIGHT(8) ID → "" a trade that names ADDR (buyer, seller or arbiter)
	prefixMintRequest  = "mreq/"  // mreq/ID → endorse.Request (JSON, endorse.go)
	prefixMintOpen     = "mopen/" // mopen/TOKEN → []OpenMintRequest (JSON): the token's open mint requests, oldest first
	prefixKYCUsage     = "kyc/"   // kyc/ID/ADDR → kyc.Usage (JSON, kyc.go): ADDR's holding and day's payments of a tiered token
)

// keyFees holds the fee policy and schedule (Fees, JSON), keyFeeTotals the
// fee contract's books (FeeTotals, binary, feecodec.go).
var (
	keyFees      = []byte("fee/config")
	keyFeeTotals = []byte("fee/totals")
)

// keyWatched lists, sorted, the tokens with a reading, whose staleness each
// block judges.
var keyWatched = []byte("rsv/watched")

// keyTradeRules holds the chain's trade rules (trade.Rules, JSON).
var keyTradeRules = []byte("trules")

var keyGenesis = []byte(prefixGenesis + "genesis")

func cat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func tokenKey(id ledger.TokenID) []byte { return cat([]byte(prefixToken), []byte(id)) }

func frozenKey(id ledger.TokenID, a ledger.Address) []byte {
	return cat([]byte(prefixFrozen), []byte(id), []byte("/"), a.Bytes())
}

func approvalKey(id ledger.TokenID, owner, spender ledger.Address) []byte {
	return cat([]byte(prefixApproval), []byte(id), []byte("/"), owner.Bytes(), spender.Bytes())
}

func kycUsageKey(id ledger.TokenID, a ledger.Address) []byte {
	return cat([]byte(prefixKYCUsage), []byte(id), []byte("/"), a.Bytes())
}

func issuerKey(a ledger.Address) []byte     { return cat([]byte(prefixIssuer), a.Bytes()) }
func registeredKey(a ledger.Address) []byte { return cat([]byte(prefixRegistered), a.Bytes()) }
func balanceKey(f token.FiatAccount) []byte { return cat([]byte(prefixBalance), []byte(f.Balance())) }
func feeAccountKey(a ledger.Address) []byte { return cat([]byte(prefixFeeAccount), a.Bytes()) }
func registrarKey(a ledger.Address) []byte  { return cat([]byte(prefixRegistrar), a.Bytes()) }
func aliasKey(h ledger.AliasHash) []byte    { return cat([]byte(prefixAlias), h[:]) }
func aliasCountKey(a ledger.Address) []byte { return cat([]byte(prefixAliasCount), a.Bytes()) }
func coinKey(id ledger.CoinID) []byte       { return cat([]byte(prefixCoin), id[:]) }
func receiptKey(id ledger.TxID) []byte      { return cat([]byte(prefixReceipt), id[:]) }

// feeHistoryPrefix is the prefix of a's fee history; its entries follow in
// the order of their blocks.
func feeHistoryPrefix(a ledger.Address) []byte { return cat([]byte(prefixFeeHistory), a.Bytes()) }

func feeHistoryKey(a ledger.Address, height uint64, id ledger.TxID) []byte {
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], height)
	return cat(feeHistoryPrefix(a), h[:], id[:])
}

func redemptionKey(tok ledger.TokenID, height uint64, id ledger.TxID) []byte {
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], height)
	return cat([]byte(prefixRedemption), []byte(tok), []byte("/"), h[:], id[:])
}

func readingKey(tok ledger.TokenID, height uint64, id ledger.TxID) []byte {
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], height)
	return cat([]byte(prefixReading), []byte(tok), []byte("/"), h[:], id[:])
}

func transferKey(dir string, id ledger.CoinID) []byte {
	return cat([]byte(prefixTransfer), []byte(dir), []byte("/"), id[:])
}

// transferPrefix is the prefix of the transfers of direction dir.
func transferPrefix(dir string) []byte { return cat([]byte(prefixTransfer), []byte(dir), []byte("/")) }

func heightID(height uint64, id ledger.CoinID) []byte {
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], height)
	return cat(h[:], id[:])
}

func transferHeightPrefix(dir string) []byte {
	return cat([]byte(prefixXferHeight), []byte(dir), []byte("/"))
}

func transferHeightKey(dir string, height uint64, id ledger.CoinID) []byte {
	return cat(transferHeightPrefix(dir), heightID(height, id))
}

func transferStatusPrefix(dir, status string) []byte {
	return cat([]byte(prefixXferStatus), []byte(dir), []byte("/"), []byte(status), []byte("/"))
}

func transferStatusKey(dir, status string, height uint64, id ledger.CoinID) []byte {
	return cat(transferStatusPrefix(dir, status), heightID(height, id))
}

func booksKey(id ledger.TokenID) []byte { return cat([]byte(prefixBooks), []byte(id)) }

func regionKey(r ledger.Region) []byte { return cat([]byte(prefixRegion), []byte(r)) }

func certKey(a ledger.Address) []byte { return cat([]byte(prefixCert), a.Bytes()) }

func revokedKey(serial uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], serial)
	return cat([]byte(prefixRevoked), b[:])
}

func creditNodeKey(a ledger.Address) []byte  { return cat([]byte(prefixCreditNode), a.Bytes()) }
func creditPoolKey(a ledger.Address) []byte  { return cat([]byte(prefixCreditPool), a.Bytes()) }
func creditRequestKey(id ledger.TxID) []byte { return cat([]byte(prefixCreditReq), id[:]) }

func creditLineKey(node, payee, payer ledger.Address) []byte {
	return cat([]byte(prefixCreditLine), node.Bytes(), payee.Bytes(), payer.Bytes())
}

func creditRecordKey(node, payer ledger.Address) []byte {
	return cat([]byte(prefixCreditRecord), node.Bytes(), payer.Bytes())
}

func creditVolumeKey(node, payee ledger.Address) []byte {
	return cat([]byte(prefixCreditVolume), node.Bytes(), payee.Bytes())
}

func creditPartyPrefix(a ledger.Address) []byte { return cat([]byte(prefixCreditParty), a.Bytes()) }

func creditPartyKey(a ledger.Address, height uint64, id ledger.TxID) []byte {
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], height)
	return cat(creditPartyPrefix(a), h[:], id[:])
}

func creditOutKey(id ledger.TxID) []byte      { return cat([]byte(prefixCreditOut), id[:]) }
func creditRepaidInKey(id ledger.TxID) []byte { return cat([]byte(prefixCreditRepIn), id[:]) }

func creditIncreaseKey(node, payer ledger.Address) []byte {
	return cat([]byte(prefixCreditInc), node.Bytes(), payer.Bytes())
}

func tradeKey(id ledger.TxID) []byte           { return cat([]byte(prefixTrade), id[:]) }
func tradePoolKey(a ledger.Address) []byte     { return cat([]byte(prefixTradePool), a.Bytes()) }
func tradePositionKey(a ledger.Address) []byte { return cat([]byte(prefixTradePos), a.Bytes()) }
func tradePartyPrefix(a ledger.Address) []byte { return cat([]byte(prefixTradeParty), a.Bytes()) }

func tradePartyKey(a ledger.Address, height uint64, id ledger.TxID) []byte {
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], height)
	return cat(tradePartyPrefix(a), h[:], id[:])
}

func mintRequestKey(id ledger.TxID) []byte { return cat([]byte(prefixMintRequest), id[:]) }
func mintOpenKey(id ledger.TokenID) []byte { return cat([]byte(prefixMintOpen), []byte(id)) }
