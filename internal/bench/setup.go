package bench

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/token"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// The bench token's contract, apart from its amounts and roles.
const (
	tokenDecimals = 2
	tokenCurrency = "GBP"
	// tokenBank is the demo bank, which every chain `peg up` or StartLocal
	// builds accepts (node.DefaultParams).
	tokenBank = "PEGDGB2L"
)

// stageTimeout bounds the wait for one setup stage's transactions to be
// committed after the last is admitted.
const stageTimeout = 2 * time.Minute

// newTokenID is a token id no earlier run has used, so that runs against one
// network do not collide.
func newTokenID() ledger.TokenID {
	var b [4]byte
	rand.Read(b[:])
	return ledger.TokenID("bench-" + hex.EncodeToString(b[:]))
}

// draft is the bench token's contract: a reserve and a cap that cover the
// run's payments (and the platform's minimum reserve), open transfers, and a
// fiat account of the Other scheme that no bank holds, so that no reserve
// monitor attests it.
func draft(id ledger.TokenID, roles Roles, payments, feeDeposits int, p client.Params) token.Draft {
	whole := (uint64(payments)*LeafUnits + uint64(feeDeposits)*FeeDeposit + 99) / 100 // tokens of 1.00, rounded up
	reserve := max(whole, p.MinReserve)
	if m, ok := p.MinReserveByCurrency[tokenCurrency]; ok {
		reserve = max(whole, m)
	}
	amount := fmt.Sprint(reserve)
	return token.Draft{
		ID: string(id), Name: "Peg bench token", Symbol: "BENCH", Decimals: tokenDecimals,
		SupplyCap:       amount,
		Fiat:            token.FiatDraft{BIC: tokenBank, Scheme: "Other", Account: "BENCH-" + string(id[len("bench-"):]), Currency: tokenCurrency},
		DeclaredReserve: amount,
		Ratio:           "1",
		MinUnit:         "0.01",
		MaxTransfer:     amount,
		TransferRule:    "open",
		RedeemRule:      "anyone",
		Roles: token.RolesDraft{
			Owner: roles.Issuer.Addr.String(), Pauser: roles.Pauser.Addr.String(), Freezer: roles.Freezer.Addr.String(),
			Attestor: roles.Attestor.Addr.String(),
			Minters:  []token.MinterDraft{{Address: roles.Minter.Addr.String(), Allowance: amount}},
		},
	}
}

// setupStats says what the setup did.
type setupStats struct {
	mints, fanOut, levels int
	elapsed               time.Duration
}

// setup deploys the token, attests its reserve and funds the accounts; it
// returns each account's leaves, one per payment it will make.
func (r *runner) setup(ctx context.Context, st *client.Status) ([][]bundle, setupStats, error) {
	start := time.Now()
	var stats setupStats
	feeDeposits := 0
	if r.cfg.Fees {
		feeDeposits = len(r.accounts)
	}
	if err := r.deploy(ctx, st, r.cfg.Payments, feeDeposits); err != nil {
		return nil, stats, err
	}
	held, mints, err := r.mints(r.accounts, shares(r.cfg.Payments, len(r.accounts)))
	if err != nil {
		return nil, stats, err
	}
	stats.mints = len(mints)
	if err := r.stage(ctx, "mint to each account", mints); err != nil {
		return nil, stats, err
	}
	var deposited time.Time
	if r.cfg.Fees {
		if err := r.openFeeAccounts(ctx); err != nil {
			return nil, stats, err
		}
		deposited = time.Now()
	}
	held, err = r.fanOutAll(ctx, held, &stats)
	if err != nil {
		return nil, stats, err
	}
	if r.cfg.Fees {
		if err := r.priceFees(ctx, deposited, held); err != nil {
			return nil, stats, err
		}
	}
	stats.elapsed = time.Since(start)
	return held, stats, nil
}

// deploy deploys the bench token, with a reserve for payments leaves and
// feeDeposits fee deposits, and attests its reserve.
func (r *runner) deploy(ctx context.Context, st *client.Status, payments, feeDeposits int) error {
	d := draft(r.tok, r.t.Roles, payments, feeDeposits, st.Params)
	if _, vs := token.Build(d, token.Params{MinReserve: st.Params.MinReserve, MinReserveByCurrency: st.Params.MinReserveByCurrency,
		Banks: st.Params.Banks}); len(vs) > 0 {
		return fmt.Errorf("bench: the bench token's contract is invalid on this chain: %s %s: %s", vs[0].Code.Name(), vs[0].Field, vs[0].Message)
	}
	deploy, err := r.s.sign(&txpb.Body{Msg: &txpb.Body_DeployToken{DeployToken: &txpb.DeployToken{Contract: tx.DraftToProto(d)}}}, r.t.Roles.Issuer)
	if err != nil {
		return err
	}
	if err := r.stage(ctx, "deploy "+string(r.tok), []signed{deploy}); err != nil {
		return err
	}
	return r.stage(ctx, "attest its reserve", []signed{r.attestation(d)})
}

// fanOutAll splits every account's bundles into leaves, a level at a time.
func (r *runner) fanOutAll(ctx context.Context, held [][]bundle, stats *setupStats) ([][]bundle, error) {
	for level := 1; ; level++ {
		txs, next, err := fanOut(r.s, r.tok, r.accounts, held)
		if err != nil {
			return nil, err
		}
		if len(txs) == 0 {
			return held, nil
		}
		if err := r.stage(ctx, fmt.Sprintf("fan-out level %d", level), txs); err != nil {
			return nil, err
		}
		held = next
		stats.fanOut += len(txs)
		stats.levels = level
	}
}

// attestation reports the declared reserve as the bank's balance, read a
// second ago by the wall clock (within the ledger's allowance for a bank's
// clock ahead of the block's).
func (r *runner) attestation(d token.Draft) signed {
	balance := d.DeclaredReserve + "00" // whole pounds in pence
	raw := sha256.Sum256([]byte("peg bench reserve " + d.ID + " " + balance))
	s, err := r.s.sign(&txpb.Body{Msg: &txpb.Body_Attest{Attest: &txpb.Attest{
		Token: d.ID, Account: d.Fiat.Account, Currency: tokenCurrency, Balance: balance,
		BalanceType: "ClosingBooked", BankTime: time.Now().Add(-time.Second).Unix(), RawHash: raw[:], Source: "manual",
	}}}, r.t.Roles.Attestor)
	if err != nil {
		panic(fmt.Sprintf("bench: signing an attestation: %v", err)) // a body of plain fields always encodes
	}
	return s
}

// mints mints owners[a] a coin worth share[a] leaves, for each a with a
// share.
func (r *runner) mints(owners []Signer, share []int) ([][]bundle, []signed, error) {
	var funded []int
	for a, n := range share {
		if n > 0 {
			funded = append(funded, a)
		}
	}
	txs, err := r.s.signAll(len(funded), func(i int) (*txpb.Body, Signer) {
		a := funded[i]
		return &txpb.Body{Msg: &txpb.Body_Mint{Mint: &txpb.Mint{Token: string(r.tok), To: owners[a].Addr.String(),
			Amount: leafAmount(share[a])}}}, r.t.Roles.Minter
	})
	if err != nil {
		return nil, nil, err
	}
	held := make([][]bundle, len(owners))
	for i, a := range funded {
		held[a] = []bundle{{coin: ledger.NewCoinID(txs[i].id, 0), leaves: share[a]}}
	}
	return held, txs, nil
}

// stage submits a setup stage's transactions as fast as it can, waits for
// their blocks and requires every one accepted.
func (r *runner) stage(ctx context.Context, what string, txs []signed) error {
	start := time.Now()
	outs := r.submitAll(ctx, txs, 0)
	if err := ctx.Err(); err != nil {
		return err
	}
	ids := make([]ledger.TxID, len(txs))
	for i, o := range outs {
		if o.refused != nil {
			return fmt.Errorf("bench: setup: %s: %s refused: %s: %s", what, txs[i].id, o.refused.Name, o.refused.Message)
		}
		ids[i] = txs[i].id
	}
	missing, err := r.f.await(ctx, ids, time.Now().Add(stageTimeout))
	if err != nil {
		return fmt.Errorf("bench: setup: %s: %w", what, err)
	}
	if missing > 0 {
		return fmt.Errorf("bench: setup: %s: %d of %d transactions in no block after %s", what, missing, len(ids), stageTimeout)
	}
	rcs, err := r.receipts(ctx, ids)
	if err != nil {
		return fmt.Errorf("bench: setup: %s: %w", what, err)
	}
	for i, rc := range rcs {
		if rc == nil || rc.Code != ledger.OK {
			return fmt.Errorf("bench: setup: %s: transaction %s: %s", what, ids[i], describe(rc))
		}
	}
	r.progress("setup: %s: %d transaction(s) committed in %s", what, len(txs), time.Since(start).Round(time.Millisecond))
	return nil
}

func describe(rc *client.Receipt) string {
	if rc == nil {
		return "no receipt"
	}
	return rc.Name + ": " + rc.Message
}
