package state

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/region"
	"github.com/pegledger/peg/internal/reserve"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// TestScenarios runs the scripts under testdata: one command per line, the
// ledger's answer below "----". After a reviewed change to the ledger's
// behaviour, regenerate the answers with
//
//	go test ./internal/state -run TestScenarios -rewrite
//
// Every transaction is built as real signed bytes and goes the way the ABCI
// app sends it: tx.Decode, then Apply inside Begin and Keep or Discard, then
// WriteReceipt; commit ends the block with CheckTally, Hash and Commit on a
// real store. The commands are documented on scenario.run.
//
// Each script runs twice, with the same answers: once looking up every
// transaction's receipt for replay, once with Replays, as the ABCI app runs.
func TestScenarios(t *testing.T) {
	for _, withReplays := range []bool{false, true} {
		t.Run(map[bool]string{false: "lookups", true: "replays"}[withReplays], func(t *testing.T) {
			datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
				s := newScenario(t)
				s.withReplays = withReplays
				datadriven.RunTest(t, path, s.run)
			})
		})
	}
}

const (
	scenarioChain  = "peg-gb-test"
	scenarioRegion = ledger.Region("GB")
	// expiryAhead is how far past the open block a transaction expires unless
	// the command says otherwise.
	expiryAhead = 10
)

// scenarioEpoch is the time of block 0; each block is one second later, plus
// whatever "commit advance=D" added.
var scenarioEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// attestNonceBase starts the nonces of attestations, apart from the other
// transactions' (1, 2, 3, ...), so that adding an attestation to a script
// leaves every other transaction's id as it was.
const attestNonceBase = 1 << 32

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// scenario is one script's ledger: a store in a temporary directory, the
// open block, and the names the script gives to keys, coins and transactions.
type scenario struct {
	// tokens is the decoded-token cache the ABCI app uses, kept across
	// blocks as there, so that the scripts prove it changes no answer.
	tokens *TokenCache
	// withReplays gives blocks replays, loaded from the store at genesis
	// and on restart and brought up to date at each commit.
	withReplays bool
	replays     *Replays
	t           *testing.T
	// chain and region are the chain the script runs (scenarioChain and
	// scenarioRegion unless a network of regions runs it, xfer_test.go),
	// network the genesis's network, and prefix starts its labels.
	chain   string
	region  ledger.Region
	network []NetworkRegion
	prefix  string
	dir     string
	db      *store.DB
	genesis *Genesis
	blk     *store.Block
	env     *Env
	index   uint32          // position of the next transaction in the open block
	written map[string]bool // keys the open block's kept writes touched
	ended   bool            // EndBlock has run on the open block
	skew    time.Duration   // what "commit advance=D" has added to block times

	built   int               // transactions built so far, for labels
	nonce   uint64            // last nonce used
	attests int               // attestations built so far, for labels and nonces
	names   map[string]string // bech32 address or hex id → the script's name for it
	coins   map[string]ledger.CoinID
	txs     map[string]*builtTx
	certs   map[string][]byte // certificates the script issued, by label
}

// builtTx is a signed transaction the script built, by label.
type builtTx struct {
	label string
	body  *txpb.Body
	key   ed25519.PrivateKey
	raw   []byte
	id    ledger.TxID
}

func newScenario(t *testing.T) *scenario {
	dir := t.TempDir()
	db, err := store.Open(dir, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	s := &scenario{tokens: NewTokenCache(),
		t: t, dir: dir, db: db, chain: scenarioChain, region: scenarioRegion,
		names: make(map[string]string),
		coins: make(map[string]ledger.CoinID),
		txs:   make(map[string]*builtTx),
		certs: make(map[string][]byte),
	}
	s.names[FeeContract(s.region).String()] = "fee-contract"
	t.Cleanup(func() { s.db.Close() })
	return s
}

// run executes one command. Transactions (each takes from=NAME, the signer,
// with a default named below, and the envelope options of submit):
//
//	genesis [operator=op] [issuers=issuer,...] [registered=a,...] [registrars=r,...] [min_reserve=1000]
//	        [min_reserve_by=JPY:100000,...] [banks=PEGDGB2L,...] [max_expiry_delta=100]
//	authorize-issuer issuer=NAME              (from op)
//	register account=NAME                     (from op)
//	deploy [FIELD=VALUE ...]                  (from issuer; fields of token.Draft, see deployDefaults)
//	mint to=NAME amount=N                     (from minter)
//	pay in=COINS out=NAME:N,... [-> LABELS]   (from alice)
//	redeem in=COINS amount=N                  (from alice)
//	freeze|unfreeze account=NAME              (from freezer)
//	pause|unpause                             (from pauser)
//	seize in=COINS                            (from issuer, the default owner)
//	transfer-ownership to=NAME                (from issuer)
//	accept-ownership                          (from the new owner)
//	configure-minter minter=NAME [allowance=N] [remove]   (from issuer)
//	approve spender=NAME amount=N             (from alice)
//	spend-from owner=NAME in=COINS out=NAME:N,...         (from bob)
//	attest balance=DEC|units=RAW [account=A] [currency=C] [type=T] [bank-time=T] [source=S] [raw-hash=HEX]
//	                                          (from attestor; see attestCmd)
//	raw hex=BYTES | zeros=N | of=LABEL [mutate=M] [key=NAME] [expiry=N] [chain=ID] [nonce=N]
//	set-registrar registrar=NAME [remove]     (from op)
//	alias-register VALUE account=NAME         (from registrar)
//	alias-revoke VALUE                        (from registrar)
//
// A VALUE is phone=+447700900123 or id=CN-310101199001011234, hashed under
// scenarioAliasKey, or hash=HEX for raw bytes; the output names a hash by
// its value.
//
// Token commands take token=ID (default gbpt). Amounts are minor units, sent
// as written. A NAME is a key derived from the name, at home in GB, or in
// another region as "carol@HK"; "pool:NAME" is node NAME's credit pool on
// the current region, "pool@HK:NAME" on HK's; "!text" sends text as the
// address. COINS are
// coin labels, "~name" for a coin that never existed, "0xHEX" for raw bytes,
// and "label*N" repeats one. Created coins get the labels after "->", else
// TXLABEL.INDEX.
//
// forge-alias VALUE account=NAME writes, outside any transaction, a binding
// that no alias_register could write: to any address, and without counting
// it in the address's aliases (for the audit).
//
// legacy-share token=ID with=ID writes, outside any transaction, the state a
// ledger from before a balance backed one token could hold: ID's contract
// names WITH's reserve balance, and ID is not in the balance index.
//
// Block and queries: commit [blocks=N] [advance=DURATION], end-block, time,
// restart, writes, audit, balance NAME [token=ID], coins NAME [token=ID],
// token [ID], account NAME, approval owner=NAME spender=NAME, redemptions,
// attestations [token=ID], receipt LABEL, alias VALUE.
func (s *scenario) run(t *testing.T, td *datadriven.TestData) string {
	s.t = t
	a := newCmdArgs(t, td)
	if td.Cmd != "genesis" && s.genesis == nil {
		td.Fatalf(t, "%s before genesis", td.Cmd)
	}
	var out string
	switch td.Cmd {
	case "genesis":
		out = s.genesisCmd(a)
	case "commit":
		out = s.commit(a)
	case "end-block":
		out = s.endBlockCmd()
	case "time":
		out = fmt.Sprintf("block %d at %s", s.env.Height, fmtTime(s.env.Time))
	case "restart":
		out = s.restart()
	case "writes":
		out = s.writes()
	case "audit":
		out = s.audit()
	case "balance", "coins", "token", "account", "approval", "redemptions", "attestations", "receipt", "month", "fee-account", "fee-books", "fee-history", "alias":
		out = s.query(td.Cmd, a)
	case "raw":
		out = s.rawCmd(a)
	case "attest":
		out = s.attestCmd(a)
	case "legacy-share":
		out = s.legacyShare(a)
	case "forge-alias":
		var h ledger.AliasHash
		copy(h[:], s.aliasArg(a))
		s.blk.Set(aliasKey(h), encode(Alias{Address: s.addr(a.get("account", "")), Registrar: s.addr("registrar")}))
		out = "forged"
	case "cert", "certificate", "revocations":
		out = s.certCmd(td.Cmd, a)
	case "kyc":
		out = s.kycQuery(a)
	case "kyc-corrupt":
		out = s.kycCorrupt(a)
	case "credit-node-show", "credit-history", "credit-request-show", "credit-limit", "credit-corrupt":
		out = s.creditQuery(td.Cmd, a)
	case "trade-show", "trade-position", "trade-corrupt", "trade-crowd", "trade-uncrowd", "trade-history":
		out = s.tradeQuery(td.Cmd, a)
	case "mint-request", "open-requests", "open-requests-crowd", "open-requests-uncrowd", "mint-request-corrupt":
		out = s.endorseQuery(td.Cmd, a)
	default:
		body, from, ok := s.message(td.Cmd, a)
		if !ok {
			td.Fatalf(t, "unknown command %q", td.Cmd)
		}
		out = s.submit(a, from, body)
	}
	a.done()
	return out
}

// message builds the body of a transaction command and names its default
// signer.
func (s *scenario) message(cmd string, a *cmdArgs) (*txpb.Body, string, bool) {
	tok := func() string { return a.get("token", "gbpt") }
	var b txpb.Body
	switch cmd {
	case "authorize-issuer":
		b.Msg = &txpb.Body_AuthorizeIssuer{AuthorizeIssuer: &txpb.AuthorizeIssuer{Issuer: s.wireAddr(a.get("issuer", ""))}}
		return &b, "op", true
	case "register":
		b.Msg = &txpb.Body_RegisterAccount{RegisterAccount: &txpb.RegisterAccount{Account: s.wireAddr(a.get("account", ""))}}
		return &b, "op", true
	case "deploy":
		b.Msg = &txpb.Body_DeployToken{DeployToken: &txpb.DeployToken{Contract: s.contract(a)}}
		return &b, "issuer", true
	case "mint":
		b.Msg = &txpb.Body_Mint{Mint: &txpb.Mint{Token: tok(), To: s.wireAddr(a.get("to", "")), Amount: a.get("amount", "")}}
		return &b, "minter", true
	case "pay":
		b.Msg = &txpb.Body_Pay{Pay: &txpb.Pay{Token: tok(), Inputs: s.coinArgs(a.get("in", "")), Outputs: s.outputs(a.get("out", ""))}}
		return &b, "alice", true
	case "redeem":
		b.Msg = &txpb.Body_Redeem{Redeem: &txpb.Redeem{Token: tok(), Inputs: s.coinArgs(a.get("in", "")), Amount: a.get("amount", "")}}
		return &b, "alice", true
	case "freeze":
		b.Msg = &txpb.Body_Freeze{Freeze: &txpb.Freeze{Token: tok(), Account: s.wireAddr(a.get("account", ""))}}
		return &b, "freezer", true
	case "unfreeze":
		b.Msg = &txpb.Body_Unfreeze{Unfreeze: &txpb.Unfreeze{Token: tok(), Account: s.wireAddr(a.get("account", ""))}}
		return &b, "freezer", true
	case "pause":
		b.Msg = &txpb.Body_Pause{Pause: &txpb.Pause{Token: tok()}}
		return &b, "pauser", true
	case "unpause":
		b.Msg = &txpb.Body_Unpause{Unpause: &txpb.Unpause{Token: tok()}}
		return &b, "pauser", true
	case "seize":
		b.Msg = &txpb.Body_Seize{Seize: &txpb.Seize{Token: tok(), Inputs: s.coinArgs(a.get("in", ""))}}
		return &b, "issuer", true
	case "transfer-ownership":
		b.Msg = &txpb.Body_TransferOwnership{TransferOwnership: &txpb.TransferOwnership{Token: tok(), NewOwner: s.wireAddr(a.get("to", ""))}}
		return &b, "issuer", true
	case "accept-ownership":
		b.Msg = &txpb.Body_AcceptOwnership{AcceptOwnership: &txpb.AcceptOwnership{Token: tok()}}
		return &b, "", true
	case "configure-minter":
		b.Msg = &txpb.Body_ConfigureMinter{ConfigureMinter: &txpb.ConfigureMinter{Token: tok(),
			Minter: s.wireAddr(a.get("minter", "")), Allowance: a.get("allowance", ""), Remove: a.flag("remove")}}
		return &b, "issuer", true
	case "approve":
		b.Msg = &txpb.Body_Approve{Approve: &txpb.Approve{Token: tok(), Spender: s.wireAddr(a.get("spender", "")), Amount: a.get("amount", "")}}
		return &b, "alice", true
	case "spend-from":
		b.Msg = &txpb.Body_SpendFrom{SpendFrom: &txpb.SpendFrom{Token: tok(), Owner: s.wireAddr(a.get("owner", "")),
			Inputs: s.coinArgs(a.get("in", "")), Outputs: s.outputs(a.get("out", ""))}}
		return &b, "bob", true
	case "fee-deposit":
		b.Msg = &txpb.Body_FeeDeposit{FeeDeposit: &txpb.FeeDeposit{Token: tok(), Inputs: s.coinArgs(a.get("in", "")), Amount: a.get("amount", "")}}
		return &b, "alice", true
	case "set-fees":
		b.Msg = &txpb.Body_SetFeeSchedule{SetFeeSchedule: s.feeSchedule(a)}
		return &b, "op", true
	case "fee-collect":
		b.Msg = &txpb.Body_FeeCollect{FeeCollect: &txpb.FeeCollect{Inputs: s.coinArgs(a.get("in", "")), Amount: a.get("amount", "")}}
		return &b, "op", true
	case "set-registrar":
		b.Msg = &txpb.Body_SetRegistrar{SetRegistrar: &txpb.SetRegistrar{Registrar: s.wireAddr(a.get("registrar", "")), Remove: a.flag("remove")}}
		return &b, "op", true
	case "alias-register":
		b.Msg = &txpb.Body_AliasRegister{AliasRegister: &txpb.AliasRegister{Hash: s.aliasArg(a), Account: s.wireAddr(a.get("account", ""))}}
		return &b, "registrar", true
	case "alias-revoke":
		b.Msg = &txpb.Body_AliasRevoke{AliasRevoke: &txpb.AliasRevoke{Hash: s.aliasArg(a)}}
		return &b, "registrar", true
	case "register-cert":
		label := a.get("cert", "")
		der, ok := s.certs[label]
		if !ok && label != "none" {
			s.t.Fatalf("register-cert: no certificate %q issued", label)
		}
		b.Msg = &txpb.Body_RegisterCertificate{RegisterCertificate: &txpb.RegisterCertificate{Certificate: der}}
		return &b, "alice", true
	case "revoke-cert":
		b.Msg = &txpb.Body_RevokeCertificate{RevokeCertificate: &txpb.RevokeCertificate{
			Serial: s.uintArg(a, "serial", 0), Reason: a.get("reason", "")}}
		return &b, "op", true
	case "set-kyc-tiers":
		return s.kycMessage(a), "issuer", true
	}
	if b, from, ok := s.creditMessage(cmd, a); ok {
		return b, from, ok
	}
	if b, from, ok := s.tradeMessage(cmd, a); ok {
		return b, from, ok
	}
	return s.endorseMessage(cmd, a)
}

// scenarioAliasKey is the alias key of the scripts.
var scenarioAliasKey = region.Key(sha256.Sum256([]byte("scenario alias key")))

// aliasArg reads a VALUE (see run) and returns its hash's bytes, naming the
// hash by the value for the output.
func (s *scenario) aliasArg(a *cmdArgs) []byte {
	if a.has("hash") {
		b, err := hex.DecodeString(a.get("hash", ""))
		if err != nil {
			s.t.Fatalf("hash: %v", err)
		}
		return b
	}
	kind, text := region.Phone, a.get("phone", "")
	if a.has("id") {
		kind, text = region.ID, a.get("id", "")
	}
	v, err := region.Parse(kind, text)
	if err != nil {
		s.t.Fatal(err)
	}
	h := region.Hash(scenarioAliasKey, v)
	s.names[h.String()] = v.Canonical()
	return h[:]
}

// feeSchedule builds set-fees' message:
//
//	set-fees [token=gbpt] [revenue=NAME] [tiers=MIN:VALIDITY,...] [low=N] [max_grants=N] [fees=KIND:FIXED:PER_OUTPUT,...]
//
// Amounts are minor units; a validity is a Go duration.
func (s *scenario) feeSchedule(a *cmdArgs) *txpb.SetFeeSchedule {
	maxGrants, err := strconv.ParseUint(a.get("max_grants", "4"), 10, 32)
	if err != nil {
		s.t.Fatalf("set-fees max_grants: %v", err)
	}
	p := &txpb.FeePolicy{Token: a.get("token", "gbpt"), Revenue: s.wireAddr(a.get("revenue", "op")),
		LowBalance: a.get("low", "10"), MaxGrants: uint32(maxGrants)}
	for _, t := range splitList(a.get("tiers", "100:240h")) {
		min, validity, _ := strings.Cut(t, ":")
		d, err := time.ParseDuration(validity)
		if err != nil {
			s.t.Fatalf("set-fees tiers: %v", err)
		}
		p.Tiers = append(p.Tiers, &txpb.FeeTier{MinDeposit: min, ValiditySeconds: int64(d / time.Second)})
	}
	m := &txpb.SetFeeSchedule{Policy: p}
	for _, f := range splitList(a.get("fees", "pay:2:1")) {
		parts := strings.Split(f, ":")
		if len(parts) != 3 {
			s.t.Fatalf("set-fees fees=%q: want KIND:FIXED:PER_OUTPUT", f)
		}
		m.Fees = append(m.Fees, &txpb.KindFee{Kind: parts[0], Fixed: parts[1], PerOutput: parts[2]})
	}
	return m
}

// attestCmd posts a reading of a token's reserve balance, as the monitor does:
//
//	attest [token=ID] balance=DEC | units=RAW [account=A] [currency=C] [type=T]
//	       [bank-time=OFFSET|RFC3339|@UNIX] [source=S] [raw-hash=HEX]   (from attestor)
//
// balance is in the currency's units ("1000000" or "1000000.00") and goes on
// the wire in minor units, converted with the currency's digits; units= sends
// the wire string as written, for the decoder's refusals. account and currency
// default to the contract's (to the deploy defaults for a token that does not
// exist), type to ClosingBooked, source to "scenario". bank-time is an offset
// from the block time ("-1h", default 0), an absolute time, or @Unix seconds.
// The raw hash is the SHA-256 of the other fields unless raw-hash= gives its
// bytes. An attestation is labelled attN and takes a nonce of its own (see
// attestNonceBase), so adding one to a script leaves the labels and ids of the
// other transactions as they were. It takes the envelope options of submit.
func (s *scenario) attestCmd(a *cmdArgs) string {
	tok := a.get("token", "gbpt")
	account, currency := "GB81PEGD20041531926819", "GBP"
	if id, err := ledger.ParseTokenID(tok); err == nil {
		if t := TokenByID(s.blk, id); t != nil {
			account, currency = t.Contract.Fiat.Account, t.Contract.Fiat.Currency.Code
		}
	}
	account, currency = a.get("account", account), a.get("currency", currency)
	units := a.get("units", "")
	if !a.has("units") {
		cur, ok := token.LookupCurrency(currency)
		if !ok {
			s.t.Fatalf("attest: currency %q is unknown; give units= instead of balance=", currency)
		}
		v, err := money.Parse(a.get("balance", ""), cur.Digits)
		if err != nil {
			s.t.Fatalf("attest balance: %v", err)
		}
		units = v.String()
	}
	bankTime := s.bankTime(a.get("bank-time", "0s"))
	m := &txpb.Attest{Token: tok, Account: account, Currency: currency, Balance: units,
		BalanceType: a.get("type", "ClosingBooked"), BankTime: bankTime, Source: a.get("source", "scenario")}
	if a.has("raw-hash") {
		h, err := hex.DecodeString(a.get("raw-hash", ""))
		if err != nil {
			s.t.Fatalf("raw-hash: %v", err)
		}
		m.RawHash = h
	} else {
		h := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%s|%s|%s|%d|%s", m.Token, m.Account, m.Currency, m.Balance, m.BalanceType, m.BankTime, m.Source))
		m.RawHash = h[:]
	}
	body := &txpb.Body{Msg: &txpb.Body_Attest{Attest: m}}
	s.attests++
	from := s.envelope(a, "attestor", body, attestNonceBase+uint64(s.attests))
	label := a.get("save", fmt.Sprintf("%satt%d", s.prefix, s.attests))
	return s.send(a, s.record(body, s.key(from), label))
}

// bankTime reads a bank timestamp as Unix seconds: an offset from the open
// block's time, an RFC 3339 time, or "@" and Unix seconds.
func (s *scenario) bankTime(v string) int64 {
	if u, ok := strings.CutPrefix(v, "@"); ok {
		n, err := strconv.ParseInt(u, 10, 64)
		if err != nil {
			s.t.Fatalf("bank-time=%q: %v", v, err)
		}
		return n
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.Unix()
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		s.t.Fatalf("bank-time=%q: want an offset such as -1h, an RFC 3339 time or @UNIX", v)
	}
	return s.env.Time.Add(d).Unix()
}

// deployDefaults is the contract deploy sends unless the command overrides a
// field: a pound token of whole coins, so that minor units read as coins.
var deployDefaults = []struct{ key, val string }{
	{"id", "gbpt"}, {"name", "Pound Token"}, {"symbol", "GBPT"}, {"decimals", "0"},
	{"supply_cap", "1000000"}, {"declared_reserve", "1000000"}, {"ratio", "1"},
	{"min_unit", "1"}, {"max_transfer", "50000"}, {"min_redeem", ""},
	{"transfer_rule", "open"}, {"redeem_rule", "anyone"},
	{"bic", "PEGDGB2L"}, {"scheme", "IBAN"}, {"account", "GB81PEGD20041531926819"}, {"currency", "GBP"},
	{"owner", "issuer"}, {"pauser", "pauser"}, {"freezer", "freezer"}, {"attestor", "attestor"},
	{"minters", "minter:1000000"}, {"staleness_window", ""}, {"pause_when_at_risk", "false"},
}

func (s *scenario) contract(a *cmdArgs) *txpb.Contract {
	f := make(map[string]string)
	for _, d := range deployDefaults {
		f[d.key] = a.get(d.key, d.val)
	}
	if !a.has("account") && f["id"] != "gbpt" {
		f["account"] = testIBAN(f["id"]) // a balance backs one token
	}
	dec, err := strconv.ParseUint(f["decimals"], 10, 32)
	if err != nil {
		s.t.Fatalf("deploy decimals=%q: %v", f["decimals"], err)
	}
	pause, err := strconv.ParseBool(f["pause_when_at_risk"])
	if err != nil {
		s.t.Fatalf("deploy pause_when_at_risk=%q: %v", f["pause_when_at_risk"], err)
	}
	role := func(name string) string {
		if name == "" {
			return ""
		}
		return s.wireAddr(name)
	}
	c := &txpb.Contract{
		Id: f["id"], Name: f["name"], Symbol: f["symbol"], Decimals: uint32(dec),
		SupplyCap: f["supply_cap"], DeclaredReserve: f["declared_reserve"], Ratio: f["ratio"],
		MinUnit: f["min_unit"], MaxTransfer: f["max_transfer"], MinRedeem: f["min_redeem"],
		TransferRule: f["transfer_rule"], RedeemRule: f["redeem_rule"],
		StalenessWindow: f["staleness_window"], PauseWhenAtRisk: pause,
		Fiat:  &txpb.FiatAccount{Bic: f["bic"], Scheme: f["scheme"], Account: f["account"], Currency: f["currency"]},
		Roles: &txpb.Roles{Owner: role(f["owner"]), Pauser: role(f["pauser"]), Freezer: role(f["freezer"]), Attestor: role(f["attestor"])},
	}
	for _, m := range splitList(f["minters"]) {
		m, n := repeated(s.t, m)
		name, allowance, _ := strings.Cut(m, ":")
		for range n {
			c.Roles.Minters = append(c.Roles.Minters, &txpb.Minter{Address: role(name), Allowance: allowance})
		}
	}
	return c
}

func (s *scenario) legacyShare(a *cmdArgs) string {
	id, with := ledger.TokenID(a.get("token", "")), ledger.TokenID(a.get("with", ""))
	t, w := TokenByID(s.blk, id), TokenByID(s.blk, with)
	if t == nil || w == nil {
		s.t.Fatalf("legacy-share: no token %q or %q", id, with)
	}
	s.blk.Delete(balanceKey(t.Contract.Fiat))
	t.Contract.Fiat = w.Contract.Fiat
	s.blk.Set(tokenKey(id), encode(t))
	return fmt.Sprintf("%s now names %s", id, t.Contract.Fiat.Balance())
}

// testIBAN is a valid GB IBAN at the demo bank of its own for each token id.
func testIBAN(id string) string {
	h := sha256.Sum256([]byte(id))
	bban := fmt.Sprintf("PEGD200415%08d", binary.BigEndian.Uint32(h[:])%100_000_000)
	r := 0
	for _, ch := range bban + "GB00" {
		if ch >= 'A' && ch <= 'Z' {
			r = (r*100 + int(ch-'A') + 10) % 97
		} else {
			r = (r*10 + int(ch-'0')) % 97
		}
	}
	return fmt.Sprintf("GB%02d%s", 98-r, bban)
}

// submit completes a transaction's envelope, signs it and delivers it.
// Options: expiry=HEIGHT (default the open block + expiryAhead), chain=ID,
// nonce=N (default a fresh one), memo=TEXT, memo-len=N, save=LABEL (the
// transaction's name, default txN), and hold (build and save, do not deliver).
func (s *scenario) submit(a *cmdArgs, defaultFrom string, body *txpb.Body) string {
	s.nonce++
	from := s.envelope(a, defaultFrom, body, s.nonce)
	return s.send(a, s.build(body, s.key(from), a.get("save", "")))
}

// envelope fills in body's envelope fields from the options of submit and
// returns the signer's name.
func (s *scenario) envelope(a *cmdArgs, defaultFrom string, body *txpb.Body, nonce uint64) string {
	from := a.get("from", defaultFrom)
	if from == "" {
		s.t.Fatalf("%s needs from=NAME", a.td.Cmd)
	}
	body.Signer = s.wireAddr(from)
	body.ChainId = a.get("chain", s.chain)
	body.ExpiryHeight = s.uintArg(a, "expiry", s.env.Height+expiryAhead)
	body.Nonce = s.uintArg(a, "nonce", nonce)
	body.Memo = a.get("memo", "")
	if a.has("memo-len") {
		body.Memo = strings.Repeat("m", int(s.uintArg(a, "memo-len", 0)))
	}
	return from
}

// send delivers a built transaction, or only reports it with hold.
func (s *scenario) send(a *cmdArgs, b *builtTx) string {
	if a.flag("hold") {
		return b.label + " held"
	}
	return s.deliver(b.raw, a.labels)
}

func (s *scenario) uintArg(a *cmdArgs, key string, def uint64) uint64 {
	v := a.get(key, "")
	if v == "" {
		return def
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		s.t.Fatalf("%s=%q: %v", key, v, err)
	}
	return n
}

// build signs body with key and records it under label (or the next txN).
func (s *scenario) build(body *txpb.Body, key ed25519.PrivateKey, label string) *builtTx {
	s.built++
	if label == "" {
		label = fmt.Sprintf("%stx%d", s.prefix, s.built)
	}
	return s.record(body, key, label)
}

// record signs body with key and records it under label.
func (s *scenario) record(body *txpb.Body, key ed25519.PrivateKey, label string) *builtTx {
	raw, id, err := tx.Sign(body, key)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, dup := s.txs[label]; dup {
		s.t.Fatalf("transaction label %s used twice", label)
	}
	if prev, dup := s.names[id.String()]; dup {
		label = prev // the same body again: the same transaction
	}
	b := &builtTx{label: label, body: body, key: key, raw: raw, id: id}
	s.txs[label] = b
	s.names[id.String()] = label
	return b
}

// deliver applies raw to the open block as the ABCI app does and reports
// the outcome: the label, the code, the log and the events.
func (s *scenario) deliver(raw []byte, labels []string) string {
	if s.ended {
		s.t.Fatal("a transaction after end-block: commit first")
	}
	i := s.index
	s.index++
	t, rej := tx.Decode(raw, s.chain)
	if rej != nil {
		return fmt.Sprintf("%s %s, no receipt: %s", s.rawLabel(raw), rej.Code.Name(), s.pretty(rej.Message))
	}
	label := s.names[t.ID.String()]
	if label == "" {
		label = s.short(t.ID.String())
	}

	rec := &recorder{w: s.blk}
	s.blk.Begin()
	res := Apply(rec, s.env, t)
	if res.Code == ledger.OK {
		s.blk.Keep()
		s.mark(rec.keys)
	} else {
		if len(rec.keys) > 0 {
			s.t.Fatalf("%s was rejected with %s but wrote %q", label, res.Code.Name(), rec.keys)
		}
		if res.Log == "" || len(res.Events) > 0 {
			s.t.Fatalf("%s was rejected with %s, log %q and %d events; want a log and no events", label, res.Code.Name(), res.Log, len(res.Events))
		}
		s.blk.Discard()
	}
	if res.Code != ledger.CodeReplayed {
		rec := &recorder{w: s.blk}
		WriteReceipt(rec, s.env, t, i, res)
		s.mark(rec.keys)
	}

	var out strings.Builder
	switch res.Code {
	case ledger.OK:
		s.nameCoins(t, label, res.Events, labels)
		fmt.Fprintf(&out, "%s OK", label)
	case ledger.CodeReplayed:
		fmt.Fprintf(&out, "%s %s, first receipt kept: %s", label, res.Code.Name(), s.pretty(res.Log))
	default:
		fmt.Fprintf(&out, "%s %s: %s", label, res.Code.Name(), s.pretty(res.Log))
	}
	for _, e := range res.Events {
		out.WriteString("\n  " + s.formatEvent(e))
	}
	return out.String()
}

// formatEvent writes an event as "type key=value ...", with the script's names.
func (s *scenario) formatEvent(e Event) string {
	var out strings.Builder
	out.WriteString(e.Type)
	for _, at := range e.Attrs {
		fmt.Fprintf(&out, " %s=%s", at.Key, s.pretty(at.Value))
	}
	return out.String()
}

// nameCoins names the coins a transaction created: labels in order, then
// TXLABEL.INDEX.
func (s *scenario) nameCoins(t *tx.Tx, txLabel string, events []Event, labels []string) {
	n := 0
	for _, e := range events {
		if e.Type == "transfer.out" {
			s.nameTransfer(t, txLabel, attr(e, "transfer"))
		}
		if e.Type != "coin.created" {
			continue
		}
		hexID := attr(e, "coin")
		var id ledger.CoinID
		for i := uint32(0); i < tx.MaxOutputs; i++ {
			if c := ledger.NewCoinID(t.ID, i); c.String() == hexID {
				id = c
				if n < len(labels) {
					s.nameCoin(labels[n], id)
				} else {
					s.nameCoin(fmt.Sprintf("%s.%d", txLabel, i), id)
				}
				n++
				break
			}
		}
		if id == (ledger.CoinID{}) {
			s.t.Fatalf("%s created coin %s, which is not one of its outputs", txLabel, hexID)
		}
	}
	if n < len(labels) {
		s.t.Fatalf("%s created %d coins, but %d labels were given", txLabel, n, len(labels))
	}
}

func (s *scenario) nameCoin(label string, id ledger.CoinID) {
	if prev, dup := s.coins[label]; dup && prev != id {
		s.t.Fatalf("coin label %s used twice", label)
	}
	s.coins[label] = id
	s.names[id.String()] = label
}

func attr(e Event, key string) string {
	for _, a := range e.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// rawLabel names bytes that did not decode: the label of the body they carry,
// if any.
func (s *scenario) rawLabel(raw []byte) string {
	var env txpb.Tx
	if proto.Unmarshal(raw, &env) != nil || len(env.Body) == 0 {
		return "-"
	}
	id := ledger.TxID(sha256.Sum256(env.Body)).String()
	if l, ok := s.names[id]; ok {
		return l
	}
	return s.short(id)
}

// recorder passes reads and writes to the block and notes the keys written.
type recorder struct {
	w    Writer
	keys []string
}

func (r *recorder) Get(k []byte) []byte { return r.w.Get(k) }
func (r *recorder) Set(k, v []byte)     { r.keys = append(r.keys, string(k)); r.w.Set(k, v) }
func (r *recorder) Delete(k []byte)     { r.keys = append(r.keys, string(k)); r.w.Delete(k) }

func (s *scenario) mark(keys []string) {
	for _, k := range keys {
		s.written[k] = true
	}
}

// open starts the block after the last committed one.
func (s *scenario) open() {
	h := s.db.Height() + 1
	s.env = &Env{ChainID: s.chain, Region: s.region, Height: h,
		Time: scenarioEpoch.Add(time.Duration(h)*time.Second + s.skew), Genesis: *s.genesis, Tokens: s.tokens,
		Replays: s.replays}
	s.blk = s.db.NewBlock()
	s.index = 0
	s.written = make(map[string]bool)
	s.ended = false
}

func (s *scenario) genesisCmd(a *cmdArgs) string {
	if s.genesis != nil {
		s.t.Fatal("genesis twice")
	}
	g := Genesis{
		Network:  s.network,
		Operator: s.addr(a.get("operator", "op")),
		Params: Params{
			MinReserve:     s.uintArg(a, "min_reserve", 1000),
			Banks:          splitList(a.get("banks", "PEGDGB2L")),
			MaxExpiryDelta: s.uintArg(a, "max_expiry_delta", 100),
		},
	}
	for _, n := range splitList(a.get("issuers", "issuer")) {
		g.Issuers = append(g.Issuers, s.addr(n))
	}
	for _, n := range splitList(a.get("registered", "")) {
		g.Registered = append(g.Registered, s.addr(n))
	}
	for _, n := range splitList(a.get("registrars", "")) {
		g.Registrars = append(g.Registrars, s.addr(n))
	}
	for _, cm := range splitList(a.get("min_reserve_by", "")) {
		code, min, _ := strings.Cut(cm, ":")
		v, err := strconv.ParseUint(min, 10, 64)
		if err != nil {
			s.t.Fatalf("min_reserve_by %q: %v", cm, err)
		}
		if g.Params.MinReserveByCurrency == nil {
			g.Params.MinReserveByCurrency = make(map[string]uint64)
		}
		g.Params.MinReserveByCurrency[code] = v
	}
	if a.has("ca") {
		g.CA = s.newCA(a.get("ca", ""), a.get("ca-valid", "87600h"))
	}
	blk := s.db.NewBlock()
	if err := InitGenesis(blk, g); err != nil {
		return "error: " + err.Error()
	}
	if err := blk.Commit(0); err != nil {
		s.t.Fatal(err)
	}
	loaded, err := LoadGenesis(s.db)
	if err != nil {
		s.t.Fatal(err)
	}
	s.genesis = &loaded
	s.loadReplays()
	s.open()
	return fmt.Sprintf("height 0 app_hash %x", s.db.AppHash()[:4])
}

// commit ends the open block as the ABCI app does (EndBlock, unless
// end-block already ran, with hadTxs as the app computes it), audits the
// committed state and opens the next block; it lists the events EndBlock
// returned. advance=DURATION opens the block after the last one committed that
// much later than the usual second.
func (s *scenario) commit(a *cmdArgs) string {
	var advance time.Duration
	if v := a.get("advance", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			s.t.Fatalf("advance=%q: want a duration of zero or more", v)
		}
		advance = d
	}
	var out []string
	n := s.uintArg(a, "blocks", 1)
	for i := range n {
		events := s.endBlock()
		hash := s.blk.Hash()
		if err := s.blk.Commit(s.env.Height); err != nil {
			s.t.Fatal(err)
		}
		if s.replays != nil {
			s.replays.Commit(s.env.Height, s.env.Refused)
			s.checkReplays()
		}
		out = append(out, fmt.Sprintf("height %d app_hash %x txs %d", s.env.Height, hash[:4], s.index))
		for _, id := range slices.Sorted(maps.Keys(s.env.Tally)) {
			f := s.env.Tally[id]
			line := fmt.Sprintf("  tally %s created %s destroyed %s minted %s redeemed %s", id, &f.Created, &f.Destroyed, &f.Minted, &f.Redeemed)
			if f.Exported.Sign() != 0 || f.Imported.Sign() != 0 {
				line += fmt.Sprintf(" exported %s imported %s", &f.Exported, &f.Imported)
			}
			out = append(out, line)
		}
		for _, e := range events {
			out = append(out, "  "+s.formatEvent(e))
		}
		if rep := s.auditReport(); !rep.OK() {
			for _, p := range rep.Problems {
				out = append(out, "  AUDIT: "+s.pretty(p))
			}
		}
		if i == n-1 && advance > 0 {
			s.skew += advance
			s.open()
			out = append(out, fmt.Sprintf("block %d opens at %s", s.env.Height, fmtTime(s.env.Time)))
			continue
		}
		s.open()
	}
	return strings.Join(out, "\n")
}

// endBlock runs CheckTally and EndBlock on the open block once, recording
// EndBlock's writes for the writes command, and returns its events (none if
// it had run already).
func (s *scenario) endBlock() []Event {
	if s.ended {
		return nil
	}
	s.ended = true
	s.env.CheckTally()
	rec := &recorder{w: s.blk}
	events := EndBlock(rec, s.env, s.index > 0)
	s.mark(rec.keys)
	return events
}

// endBlockCmd ends the open block without committing it, so that writes can
// show what EndBlock wrote; no transaction may follow before commit.
func (s *scenario) endBlockCmd() string {
	if s.ended {
		s.t.Fatal("end-block twice in one block")
	}
	var out []string
	for _, e := range s.endBlock() {
		out = append(out, s.formatEvent(e))
	}
	if len(out) == 0 {
		return "no events"
	}
	return strings.Join(out, "\n")
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// restart closes and reopens the store, as a node does after a crash: the
// open block is lost.
func (s *scenario) restart() string {
	dropped := s.index
	if err := s.db.Close(); err != nil {
		s.t.Fatal(err)
	}
	db, err := store.Open(s.dir, quietLog)
	if err != nil {
		s.t.Fatal(err)
	}
	s.db = db
	g, err := LoadGenesis(db)
	if err != nil {
		s.t.Fatal(err)
	}
	s.genesis = &g
	s.loadReplays()
	s.open()
	return fmt.Sprintf("reopened at height %d app_hash %x; %d uncommitted transactions lost", db.Height(), db.AppHash()[:4], dropped)
}

// loadReplays reads the committed refusals into s.replays, with replays on.
func (s *scenario) loadReplays() {
	if !s.withReplays {
		return
	}
	snap := s.db.Snapshot()
	defer snap.Close()
	r, err := LoadReplays(snap, s.db.Height())
	if err != nil {
		s.t.Fatal(err)
	}
	s.replays = r
}

// checkReplays fails unless the replays that followed the commits hold what
// loading them from the store gives.
func (s *scenario) checkReplays() {
	followed := s.replays
	s.loadReplays()
	if !maps.Equal(followed.failed, s.replays.failed) {
		s.t.Fatalf("at height %d, replays kept %v; loaded from the store: %v", s.db.Height(), followed.failed, s.replays.failed)
	}
}

func (s *scenario) auditReport() AuditReport {
	snap := s.db.Snapshot()
	defer snap.Close()
	rep, err := Audit(snap, scenarioRegion)
	if err != nil {
		s.t.Fatal(err)
	}
	return rep
}

func (s *scenario) audit() string {
	rep := s.auditReport()
	if rep.OK() {
		return fmt.Sprintf("OK: %d tokens, %d coins at height %d", rep.Tokens, rep.Coins, s.db.Height())
	}
	out := []string{fmt.Sprintf("%d problems at height %d:", len(rep.Problems), s.db.Height())}
	for _, p := range rep.Problems {
		out = append(out, "  "+s.pretty(p))
	}
	return strings.Join(out, "\n")
}

// writes lists the keys the open block has written so far (what its app hash
// covers), in the order of their names.
func (s *scenario) writes() string {
	if len(s.written) == 0 {
		return "none"
	}
	var out []string
	for k := range s.written {
		op := "set"
		if s.blk.Get([]byte(k)) == nil {
			op = "del"
		}
		out = append(out, s.prettyKey(k)+" "+op)
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// blockView reads the state as the next transaction of the open block would:
// Get through the block, Scan over the committed keys and the block's writes.
// unspent holds the unspent coins of v, the open block over the committed
// state, as a node holds those of its committed state.
func (s *scenario) unspent(v Scanner) *Unspent {
	u, err := LoadUnspent(v, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	return u
}

type blockView struct {
	blk     *store.Block
	snap    *store.Snapshot
	written map[string]bool
}

func (v *blockView) Get(k []byte) []byte { return v.blk.Get(k) }

func (v *blockView) Scan(prefix, start []byte, fn func(k, v []byte) bool) error {
	keys := make(map[string]bool)
	err := v.snap.Scan(prefix, start, func(k, _ []byte) bool { keys[string(k)] = true; return true })
	if err != nil {
		return err
	}
	for k := range v.written {
		if strings.HasPrefix(k, string(prefix)) && (start == nil || k >= string(start)) {
			keys[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if val := v.blk.Get([]byte(k)); val != nil && !fn([]byte(k), val) {
			break
		}
	}
	return nil
}

func (s *scenario) query(cmd string, a *cmdArgs) string {
	snap := s.db.Snapshot()
	defer snap.Close()
	v := &blockView{blk: s.blk, snap: snap, written: s.written}
	must := func(err error) {
		if err != nil {
			s.t.Fatal(err)
		}
	}
	var out []string
	switch cmd {
	case "fee-account":
		acct := LoadFeeAccount(v, s.addr(a.subject()))
		if acct == nil {
			return "no fee account"
		}
		now := s.env.Time.UnixNano()
		acct.Expire(now) // as of now: what the next charge or deposit will write
		out = append(out, fmt.Sprintf("%s (recorded %s) deposited=%s spent=%s expired=%s available=%s unspent=%s",
			acct.Judge(now, LoadFees(v).Policy.LowBalance), acct.Status, acct.Deposited, acct.Spent, acct.Expired, acct.Available(now), acct.Unspent()))
		for _, g := range acct.Grants {
			out = append(out, fmt.Sprintf("  grant %s amount=%s spent=%s released=%s window=%s..%s", s.pretty(g.Deposit.String()),
				g.Amount, g.Spent, g.Released(now), fmtTime(time.Unix(0, g.Start)), fmtTime(time.Unix(0, g.End))))
		}
	case "fee-history": // committed entries, newest first, in pages of limit=N
		limit, err := strconv.Atoi(a.get("limit", "100"))
		must(err)
		addr, before := s.addr(a.subject()), []byte(nil)
		for page := 1; ; page++ {
			es, next, err := FeeHistory(snap, addr, before, limit)
			must(err)
			out = append(out, fmt.Sprintf("page %d", page))
			for _, e := range es {
				out = append(out, fmt.Sprintf("  height %d %s %s %s deposited=%s charged=%s expired=%s available=%s %s", e.Height,
					fmtTime(time.Unix(0, e.Time)), s.pretty(e.TxID.String()), e.Kind, e.Deposited, e.Charged, e.Expired, e.Available, e.Status))
			}
			if next == nil {
				break
			}
			before = next
		}
	case "fee-books":
		b := LoadFeeTotals(v)
		bs, _, err := s.unspent(v).Balances(FeeContract(s.region), b.Token)
		must(err)
		held := "0"
		if len(bs) == 1 {
			held = bs[0].Amount.String()
		}
		out = append(out, fmt.Sprintf("%s deposited=%s spent=%s expired=%s collected=%s; the fee contract holds %s", b.Token, b.Deposited, b.Spent, b.Expired, b.Collected, held))
	case "alias":
		var h ledger.AliasHash
		copy(h[:], s.aliasArg(a))
		al := AliasByHash(v, h)
		if al == nil {
			return "no alias"
		}
		out = append(out, s.pretty(fmt.Sprintf("%s bound to %s by %s at height %d (tx %s); %s has %d",
			h, al.Address, al.Registrar, al.Height, al.Tx, al.Address, AliasCount(v, al.Address))))
		regs, err := Registrars(v)
		must(err)
		for _, r := range regs {
			out = append(out, "registrar "+s.pretty(r.String()))
		}
	case "balance":
		bs, _, err := s.unspent(v).Balances(s.addr(a.subject()), ledger.TokenID(a.get("token", "")))
		must(err)
		for _, b := range bs {
			out = append(out, fmt.Sprintf("%s %s in %d coins", b.Token, b.Amount, b.Coins))
		}
	case "coins":
		cs, _ := s.unspent(v).CoinsOf(s.addr(a.subject()), ledger.TokenID(a.get("token", "")), nil, 0)
		for _, c := range cs {
			out = append(out, fmt.Sprintf("%s %s %s", s.pretty(c.ID.String()), c.Token, c.Amount))
		}
	case "token":
		id := a.subject()
		if id == "" {
			id = "gbpt"
		}
		t := TokenByID(v, ledger.TokenID(id))
		if t == nil {
			return "no token " + id
		}
		out = s.formatToken(t)
	case "account":
		toks, err := Tokens(v)
		must(err)
		var ids []ledger.TokenID
		for _, t := range toks {
			ids = append(ids, t.Contract.ID)
		}
		acc := AccountOf(v, s.addr(a.subject()), ids)
		out = append(out, fmt.Sprintf("issuer=%v registered=%v frozen=%v", acc.Issuer, acc.Registered, acc.Frozen))
	case "approval":
		amt := Approval(v, ledger.TokenID(a.get("token", "gbpt")), s.addr(a.get("owner", "")), s.addr(a.get("spender", "")))
		out = append(out, amt.String())
	case "redemptions":
		rs, err := Redemptions(v, ledger.TokenID(a.get("token", "gbpt")))
		must(err)
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%s holder=%s amount=%s fiat_owed=%s %s to %s %s height=%d",
				s.pretty(r.TxID.String()), s.pretty(r.Holder.String()), r.Amount,
				r.FiatOwed.Format(r.Fiat.Currency.Digits), r.Fiat.Currency.Code, r.Fiat.BIC, r.Fiat.Account, r.Height))
		}
	case "attestations":
		tok := ledger.TokenID(a.get("token", "gbpt"))
		rs, err := Readings(v, tok, 0)
		must(err)
		var digits uint8
		if t := TokenByID(v, tok); t != nil {
			digits = t.Contract.Fiat.Currency.Digits
		}
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%s height=%d balance=%s type=%s bank_time=%s attested_at=%s raw_hash=%s source=%s",
				s.pretty(r.TxID.String()), r.Height, r.Balance.Format(digits), r.BalanceType,
				fmtTime(r.BankTime), fmtTime(r.AttestedAt), s.pretty(r.RawHash.String()), r.Source))
		}
	case "month":
		tok := ledger.TokenID(a.get("token", "gbpt"))
		m, err := MonthOf(v, tok, a.get("month", s.env.Time.Format("2006-01")), s.env.Time)
		must(err)
		if m == nil {
			return "no month"
		}
		out = append(out, fmt.Sprintf("%s %s opening=%s closing=%s minted=%s redeemed=%s attestations=%d min_coverage=%s/%s",
			m.Token, m.Month, m.OpeningSupply, m.ClosingSupply, m.Minted, m.Redeemed, m.Attestations, m.MinBalance, m.MinRequired))
		for _, st := range []reserve.Status{reserve.Unattested, reserve.OK, reserve.AtRisk, reserve.Stale} {
			out = append(out, fmt.Sprintf("  %s %ds", st, m.Seconds[st]))
		}
	case "receipt":
		label := a.subject()
		b, ok := s.txs[label]
		if !ok {
			s.t.Fatalf("no transaction %s", label)
		}
		r := ReceiptByID(v, b.id)
		if r == nil {
			return "no receipt"
		}
		out = append(out, fmt.Sprintf("%s height=%d index=%d kind=%s signer=%s code=%s events=%d",
			label, r.Height, r.Index, r.Kind, s.pretty(r.Signer.String()), r.Code.Name(), len(r.Events)))
		if r.Log != "" {
			out = append(out, "  "+s.pretty(r.Log))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "\n")
}

func (s *scenario) formatToken(t *Token) []string {
	c := t.Contract
	pending := "-"
	if !t.PendingOwner.IsZero() {
		pending = s.pretty(t.PendingOwner.String())
	}
	minters := []string{}
	for _, m := range t.Minters {
		minters = append(minters, s.pretty(m.Address.String())+"="+m.Allowance.String())
	}
	out := []string{
		fmt.Sprintf("%s %s decimals=%d supply=%s minted=%s redeemed=%s paused=%v", c.ID, c.Symbol, c.Decimals, t.Supply, t.Minted, t.Redeemed, t.Paused),
		fmt.Sprintf("cap=%s reserve=%s %s ratio=%s min_unit=%s max_transfer=%s min_redeem=%s rules=%s/%s",
			c.SupplyCap, c.DeclaredReserve.Format(c.Fiat.Currency.Digits), c.Fiat.Currency.Code, c.Ratio,
			c.MinUnit, c.MaxTransfer, c.MinRedeem, c.TransferRule, c.RedeemRule),
		fmt.Sprintf("owner=%s pending=%s issuer=%s deployed=%s at %d", s.pretty(t.Owner.String()), pending,
			s.pretty(t.Issuer.String()), s.pretty(t.DeployTx.String()), t.DeployHeight),
		"minters: " + strings.Join(minters, " "),
		fmt.Sprintf("reserve: %s since %s window=%s pause_when_at_risk=%v required=%s %s",
			t.ReserveStatus, fmtTime(time.Unix(0, t.ReserveSince)), c.StalenessWindow, c.PauseWhenAtRisk,
			reserve.Required(c, t.Supply).Format(c.Fiat.Currency.Digits), c.Fiat.Currency.Code),
		s.formatReading(c, t.Reading),
	}
	if p := t.Endorsement; p != nil {
		var names []string
		for _, e := range p.Endorsers {
			names = append(names, s.pretty(e.String()))
		}
		out = append(out, fmt.Sprintf("endorsement: above %s, %d of [%s] within %s", p.Threshold, p.Required, strings.Join(names, " "), p.Window))
	}
	return out
}

func (s *scenario) formatReading(c token.Contract, r *reserve.Reading) string {
	if r == nil {
		return "reading: none"
	}
	return fmt.Sprintf("reading: %s balance=%s %s backs %s type=%s bank_time=%s attested_at=%s height=%d",
		s.pretty(r.TxID.String()), r.Balance.Format(c.Fiat.Currency.Digits), c.Fiat.Currency.Code,
		c.FormatAmount(c.Capacity(r.Balance)), r.BalanceType, fmtTime(r.BankTime), fmtTime(r.AttestedAt), r.Height)
}

// rawCmd delivers bytes the commands do not build: hex=BYTES, zeros=N, or a
// saved transaction (of=LABEL) sent again, re-signed with changes, or broken.
func (s *scenario) rawCmd(a *cmdArgs) string {
	if h := a.get("hex", ""); h != "" {
		b, err := hex.DecodeString(h)
		if err != nil {
			s.t.Fatal(err)
		}
		return s.deliver(b, nil)
	}
	if a.has("zeros") {
		return s.deliver(make([]byte, s.uintArg(a, "zeros", 0)), nil)
	}
	orig, ok := s.txs[a.get("of", "")]
	if !ok {
		s.t.Fatalf("raw needs hex=, zeros= or of=LABEL of a built transaction")
	}
	b := orig
	if a.has("expiry") || a.has("chain") || a.has("nonce") {
		body := proto.Clone(orig.body).(*txpb.Body)
		body.ExpiryHeight = s.uintArg(a, "expiry", body.ExpiryHeight)
		body.ChainId = a.get("chain", body.ChainId)
		body.Nonce = s.uintArg(a, "nonce", body.Nonce)
		b = s.build(body, orig.key, a.get("save", ""))
	}
	return s.deliver(s.mutate(b, a), a.labels)
}

// mutate breaks a built transaction:
//
//	bad-sig        flip a bit of the signature
//	no-sig         drop the signatures
//	short-key      a 31-byte public key
//	resign         replace the signature with one by key=NAME
//	cosign         add a valid signature by key=NAME
//	five-sigs      the signature five times
//	other-chain    sign for chain=ID while the body names this chain
//	tamper         change the body after signing
//	truncate       drop the last byte
//	no-msg         a body without a message, signed
//	unknown-envelope, unknown-body, unknown-msg   add a field this node does not know
func (s *scenario) mutate(b *builtTx, a *cmdArgs) []byte {
	m := a.get("mutate", "")
	if m == "" {
		return b.raw
	}
	var env txpb.Tx
	if err := proto.Unmarshal(b.raw, &env); err != nil {
		s.t.Fatal(err)
	}
	sigFor := func(k ed25519.PrivateKey, chain string, body []byte) *txpb.Signature {
		return &txpb.Signature{PublicKey: k.Public().(ed25519.PublicKey), Signature: ed25519.Sign(k, tx.SignBytes(chain, body))}
	}
	unknown := func(b []byte) []byte {
		return protowire.AppendVarint(protowire.AppendTag(b, 99, protowire.VarintType), 1)
	}
	switch m {
	case "bad-sig":
		env.Signatures[0].Signature[0] ^= 1
	case "no-sig":
		env.Signatures = nil
	case "short-key":
		env.Signatures[0].PublicKey = env.Signatures[0].PublicKey[1:]
	case "resign":
		env.Signatures = []*txpb.Signature{sigFor(s.key(a.get("key", "")), s.chain, env.Body)}
	case "cosign":
		env.Signatures = append(env.Signatures, sigFor(s.key(a.get("key", "")), s.chain, env.Body))
	case "five-sigs":
		for range 4 {
			env.Signatures = append(env.Signatures, env.Signatures[0])
		}
	case "other-chain":
		env.Signatures = []*txpb.Signature{sigFor(b.key, a.get("sign-chain", "peg-other"), env.Body)}
	case "tamper":
		body := proto.Clone(b.body).(*txpb.Body)
		body.Nonce++
		env.Body = s.marshal(body)
	case "truncate":
		return b.raw[:len(b.raw)-1]
	case "unknown-envelope":
		return unknown(b.raw)
	case "unknown-body":
		env.Body = unknown(env.Body)
		env.Signatures = []*txpb.Signature{sigFor(b.key, s.chain, env.Body)}
	case "no-msg":
		body := proto.Clone(b.body).(*txpb.Body)
		body.Msg = nil
		env.Body = s.marshal(body)
		env.Signatures = []*txpb.Signature{sigFor(b.key, s.chain, env.Body)}
	case "unknown-msg":
		// The message's own bytes carry the unknown field.
		body := proto.Clone(b.body).(*txpb.Body)
		r := body.ProtoReflect()
		fd := r.WhichOneof(r.Descriptor().Oneofs().ByName("msg"))
		msg := s.marshal(r.Get(fd).Message().Interface())
		r.Clear(fd)
		out := protowire.AppendTag(s.marshal(body), fd.Number(), protowire.BytesType)
		env.Body = protowire.AppendBytes(out, unknown(msg))
		env.Signatures = []*txpb.Signature{sigFor(b.key, s.chain, env.Body)}
	default:
		s.t.Fatalf("unknown mutation %q", m)
	}
	return s.marshal(&env)
}

func (s *scenario) marshal(m proto.Message) []byte {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		s.t.Fatal(err)
	}
	return b
}

// key derives a name's key: the seed is the SHA-256 of the name (without a
// region).
func (s *scenario) key(name string) ed25519.PrivateKey {
	base, _, _ := strings.Cut(name, "@")
	seed := sha256.Sum256([]byte(base))
	return ed25519.NewKeyFromSeed(seed[:])
}

// addr is a name's address: at home in GB, or in the region after "@".
func (s *scenario) addr(name string) ledger.Address {
	if name == "" {
		s.t.Fatal("an address argument is missing")
	}
	if base, region, ok := strings.Cut(name, "@"); base == "fee-contract" {
		if !ok {
			region = string(s.region)
		}
		a := FeeContract(ledger.Region(region))
		s.names[a.String()] = name
		return a
	}
	if label, ok := strings.CutPrefix(name, "tpool:"); ok {
		a := s.tradePool(label)
		s.names[a.String()] = name
		return a
	}
	if pool, node, ok := strings.Cut(name, ":"); ok && (pool == "pool" || strings.HasPrefix(pool, "pool@")) {
		region := s.region
		if _, r, ok := strings.Cut(pool, "@"); ok {
			region = ledger.Region(r)
		}
		a := CreditPool(region, s.addr(node))
		s.names[a.String()] = name
		return a
	}
	base, region, ok := strings.Cut(name, "@")
	if !ok {
		region = string(s.region)
	}
	a := ledger.NewAddress(ledger.Region(region), s.key(base).Public().(ed25519.PublicKey))
	s.names[a.String()] = name
	return a
}

// wireAddr is an address argument as it goes on the wire: a name's address,
// or the text after "!" as it is.
func (s *scenario) wireAddr(v string) string {
	if lit, ok := strings.CutPrefix(v, "!"); ok {
		return lit
	}
	return s.addr(v).String()
}

func (s *scenario) coinArgs(v string) [][]byte {
	var out [][]byte
	for _, item := range splitList(v) {
		item, n := repeated(s.t, item)
		var id []byte
		switch {
		case strings.HasPrefix(item, "~"):
			h := sha256.Sum256([]byte(item[1:]))
			s.names[hex.EncodeToString(h[:])] = item
			id = h[:]
		case strings.HasPrefix(item, "0x"):
			var err error
			if id, err = hex.DecodeString(item[2:]); err != nil {
				s.t.Fatal(err)
			}
		default:
			c, ok := s.coins[item]
			if !ok {
				s.t.Fatalf("no coin labelled %s", item)
			}
			id = c[:]
		}
		for range n {
			out = append(out, id)
		}
	}
	return out
}

func (s *scenario) outputs(v string) []*txpb.Output {
	var out []*txpb.Output
	for _, item := range splitList(v) {
		item, n := repeated(s.t, item)
		i := strings.LastIndex(item, ":") // an owner may be pool:NAME
		if i < 0 {
			s.t.Fatalf("output %q is not OWNER:AMOUNT", item)
		}
		owner, amount := item[:i], item[i+1:]
		for range n {
			out = append(out, &txpb.Output{Owner: s.wireAddr(owner), Amount: amount})
		}
	}
	return out
}

// repeated splits "item*N" into item and N (1 without a suffix).
func repeated(t *testing.T, item string) (string, int) {
	i := strings.LastIndex(item, "*")
	if i < 0 {
		return item, 1
	}
	n, err := strconv.Atoi(item[i+1:])
	if err != nil {
		t.Fatalf("%q: %v", item, err)
	}
	return item[:i], n
}

func splitList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

var (
	addrPattern = regexp.MustCompile(`peg1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{20,}`)
	hashPattern = regexp.MustCompile(`\b[0-9a-f]{64}\b`)
)

// pretty replaces addresses, coin ids and transaction ids with the script's
// names for them, and shortens the rest.
func (s *scenario) pretty(str string) string {
	str = addrPattern.ReplaceAllStringFunc(str, func(m string) string {
		if n, ok := s.names[m]; ok {
			return n
		}
		return "peg1…" + m[len(m)-6:]
	})
	return hashPattern.ReplaceAllStringFunc(str, func(m string) string {
		if n, ok := s.names[m]; ok {
			return n
		}
		return s.short(m)
	})
}

func (s *scenario) short(hexID string) string { return hexID[:8] + "…" }

// prettyKey renders a store key with the script's names.
func (s *scenario) prettyKey(k string) string {
	id := func(b string) string { return s.pretty(hex.EncodeToString([]byte(b))) }
	addr := func(b string) (string, string) {
		if len(b) < 2 {
			return fmt.Sprintf("%x", b), ""
		}
		n := 2 + int(b[1]) + ledger.KeyHashSize
		if len(b) < n {
			return fmt.Sprintf("%x", b), ""
		}
		a, err := ledger.AddressFromBytes([]byte(b[:n]))
		if err != nil {
			return fmt.Sprintf("%x", b), ""
		}
		return s.pretty(a.String()), b[n:]
	}
	for _, p := range []string{prefixCoin, prefixReceipt, prefixAlias} {
		if rest, ok := strings.CutPrefix(k, p); ok {
			return p + id(rest)
		}
	}
	for _, p := range []string{prefixIssuer, prefixRegistered, prefixRegistrar, prefixAliasCount} {
		if rest, ok := strings.CutPrefix(k, p); ok {
			a, _ := addr(rest)
			return p + a
		}
	}
	if rest, ok := strings.CutPrefix(k, prefixFrozen); ok {
		tok, rest, _ := strings.Cut(rest, "/")
		a, _ := addr(rest)
		return prefixFrozen + tok + "/" + a
	}
	if rest, ok := strings.CutPrefix(k, prefixApproval); ok {
		tok, rest, _ := strings.Cut(rest, "/")
		owner, rest := addr(rest)
		spender, _ := addr(rest)
		return prefixApproval + tok + "/" + owner + "/" + spender
	}
	for _, p := range []string{prefixRedemption, prefixReading} {
		if rest, ok := strings.CutPrefix(k, p); ok {
			tok, rest, _ := strings.Cut(rest, "/")
			if len(rest) == 8+ledger.HashSize {
				h := binary.BigEndian.Uint64([]byte(rest[:8]))
				return fmt.Sprintf("%s%s/%d/%s", p, tok, h, id(rest[8:]))
			}
		}
	}
	return strconv.Quote(k)
}

// cmdArgs reads a command's arguments and insists that every one is used, so
// that a misspelt argument fails the test rather than being ignored.
type cmdArgs struct {
	t      *testing.T
	td     *datadriven.TestData
	used   []bool
	labels []string // names after "->"
}

func newCmdArgs(t *testing.T, td *datadriven.TestData) *cmdArgs {
	a := &cmdArgs{t: t, td: td, used: make([]bool, len(td.CmdArgs))}
	for i, arg := range td.CmdArgs {
		if arg.Key != "->" {
			continue
		}
		for j := i; j < len(td.CmdArgs); j++ {
			a.used[j] = true
			if j > i {
				if len(td.CmdArgs[j].Vals) > 0 {
					td.Fatalf(t, "labels after -> take no values")
				}
				a.labels = append(a.labels, splitList(td.CmdArgs[j].Key)...)
			}
		}
		break
	}
	return a
}

// get is key's value (several values joined by commas), or def.
func (a *cmdArgs) get(key, def string) string {
	for i, arg := range a.td.CmdArgs {
		if arg.Key == key && len(arg.Vals) > 0 && !a.labelArg(i) {
			a.used[i] = true
			return strings.Join(arg.Vals, ",")
		}
	}
	return def
}

func (a *cmdArgs) has(key string) bool {
	for i, arg := range a.td.CmdArgs {
		if arg.Key == key && len(arg.Vals) > 0 && !a.labelArg(i) {
			return true
		}
	}
	return false
}

// flag reports whether key appears without a value.
func (a *cmdArgs) flag(key string) bool {
	for i, arg := range a.td.CmdArgs {
		if arg.Key == key && len(arg.Vals) == 0 && !a.labelArg(i) {
			a.used[i] = true
			return true
		}
	}
	return false
}

// subject is the first argument without a value ("balance alice").
func (a *cmdArgs) subject() string {
	for i, arg := range a.td.CmdArgs {
		if len(arg.Vals) == 0 && !a.used[i] {
			a.used[i] = true
			return arg.Key
		}
	}
	return ""
}

func (a *cmdArgs) labelArg(i int) bool {
	for j := 0; j <= i; j++ {
		if a.td.CmdArgs[j].Key == "->" {
			return true
		}
	}
	return false
}

func (a *cmdArgs) done() {
	if a.t.Failed() {
		return
	}
	for i, used := range a.used {
		if !used {
			a.td.Fatalf(a.t, "unused argument %s", a.td.CmdArgs[i])
		}
	}
}
