package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/pegledger/peg/internal/tx"
)

// Limits on a run, checked by Config.Validate.
const (
	// MaxAccounts bounds the funded accounts: each is a key held in memory and
	// a mint and a balance query at setup and at the end.
	MaxAccounts = 100_000
	// MaxPayments bounds the payments of one run. They are signed before the
	// clock starts and held in memory with their outcomes, some 500 bytes
	// each: the limit keeps that near 2 GiB.
	MaxPayments = 4_000_000
	// MaxBatch bounds the payments one request carries: the API's limit.
	MaxBatch = tx.MaxBatchTxs
	// MaxWorkers bounds the concurrent submitters, each an open connection
	// to the API.
	MaxWorkers = 1024
	// MaxRate bounds the offered rate in payments per second.
	MaxRate = 10_000_000
	// MaxDrain bounds how long the bench waits for admitted payments to be
	// committed after the last submission.
	MaxDrain = 10 * time.Minute
)

// FollowInterval is how often the follower asks for the committed height;
// commit times are late by at most this and one request.
const FollowInterval = 10 * time.Millisecond

// LeafUnits is the value, in minor units, of the coin each bench payment
// spends: 1.00 of the bench token.
const LeafUnits = 100

// ChangeUnits is what a payment with change pays; the rest of its leaf comes
// back to the payer.
const ChangeUnits = 40

// Config is what one run does. The zero value is not valid: start from
// DefaultConfig.
type Config struct {
	// Accounts is K, the funded accounts that pay each other (at least 2).
	Accounts int
	// Payments is N, the payments submitted (at least 1).
	Payments int
	// Mix is the fraction of payments with change (two outputs), 0 to 1; the
	// rest pay their whole input coin (one output).
	Mix float64
	// Rate is the offered rate in payments per second; 0 submits as fast as
	// the submitters can.
	Rate float64
	// Workers is the number of concurrent submitters.
	Workers int
	// Batch is how many payments one request carries: 1 submits each alone
	// (POST /v1/txs), more submits them together (POST /v1/txs/batch), which
	// the gateway packs into one consensus transaction.
	Batch int
	// Drain is how long after the last submission the bench waits for every
	// admitted payment to be in a committed block.
	Drain time.Duration
	// ReceiptSample is how many committed payments' receipts are read after
	// the drain to learn their codes. At or above the number of included
	// payments, all are read.
	ReceiptSample int
	// Fees charges every bench payment a fee (FeeFixed, FeePerOutput) from
	// a fee account each account opens in the setup; the target's operator
	// sets the policy, so it needs Roles.Operator.
	Fees bool
	// CPUProfile, if not nil, receives a CPU profile (runtime/pprof) of this
	// process from the first submission to the end of the drain: on an
	// in-process network, node and generator together.
	CPUProfile io.Writer `json:"-"`
	// Trace, if not nil, receives an execution trace (runtime/trace) of the
	// same span: which stages run at once and which wait on one another.
	Trace io.Writer `json:"-"`
}

// DefaultConfig is a run that finishes well under two minutes on a 2-core
// machine (see DefaultPayments).
func DefaultConfig() Config {
	return Config{
		Accounts:      1000,
		Payments:      DefaultPayments,
		Mix:           0.5,
		Rate:          0,
		Workers:       DefaultWorkers,
		Batch:         DefaultBatch,
		Drain:         60 * time.Second,
		ReceiptSample: MaxPayments,
	}
}

// DefaultPayments is the size of a default run. On a 2-core machine (AMD
// EPYC, Go 1.26), before the speed work of issue 4, the ledger committed
// about 3,300 payments/s, and a default run took 47 s: 8 s of setup (9,000
// mints and fan-out payments), 2 s of signing, 30 s of submission (137 bench
// blocks, a long steady window), 5 s reading 100,000 receipts. Faster ledgers
// only shorten it; at a fixed --rate the submission alone takes N/rate.
const DefaultPayments = 100_000

// DefaultWorkers is the default number of submitters. On the machine above
// 4, 8, 16 and 32 submitters gave the same rate within 10% (the node admits
// one transaction at a time); 8 keeps the mempool fed over loopback HTTP
// without taking the node's CPU.
const DefaultWorkers = 8

// DefaultBatch is the default number of payments per request: enough that
// the HTTP round trip and the mempool entry are a small share of a
// payment's cost, few enough that a batch is admitted in a few milliseconds.
const DefaultBatch = 500

// Validate checks every field against its limit.
func (c Config) Validate() error {
	var errs []error
	if c.Accounts < 2 || c.Accounts > MaxAccounts {
		errs = append(errs, fmt.Errorf("accounts %d: want 2 to %d", c.Accounts, MaxAccounts))
	}
	if c.Payments < 1 || c.Payments > MaxPayments {
		errs = append(errs, fmt.Errorf("payments %d: want 1 to %d", c.Payments, MaxPayments))
	}
	if math.IsNaN(c.Mix) || c.Mix < 0 || c.Mix > 1 {
		errs = append(errs, fmt.Errorf("mix %v: want a fraction from 0 to 1", c.Mix))
	}
	if math.IsNaN(c.Rate) || c.Rate < 0 || c.Rate > MaxRate {
		errs = append(errs, fmt.Errorf("rate %v: want 0 (as fast as possible) to %d payments/s", c.Rate, MaxRate))
	}
	if c.Workers < 1 || c.Workers > MaxWorkers {
		errs = append(errs, fmt.Errorf("workers %d: want 1 to %d", c.Workers, MaxWorkers))
	}
	if c.Batch < 1 || c.Batch > MaxBatch {
		errs = append(errs, fmt.Errorf("batch %d: want 1 to %d", c.Batch, MaxBatch))
	}
	if c.Drain <= 0 || c.Drain > MaxDrain {
		errs = append(errs, fmt.Errorf("drain %s: want more than 0 and at most %s", c.Drain, MaxDrain))
	}
	if c.ReceiptSample < 1 {
		errs = append(errs, fmt.Errorf("receipt sample %d: want at least 1", c.ReceiptSample))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}
