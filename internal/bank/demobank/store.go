package demobank

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/pegledger/peg/internal/money"
)

// stateVersion is the version of the state file this code writes. Versions
// only move up; a file of a newer version is refused, not guessed at.
const stateVersion = 1

// State file size bounds: what a record of an account and of a transaction
// may take at most, with their longest fields and JSON escaping. The file's
// size is bounded by them and by MaxAccounts × MaxHistory, and a larger file
// is refused before it is read into memory.
const (
	maxAccountRecordBytes = 2 << 10
	maxTxRecordBytes      = 2 << 10
)

// maxTxIDLen bounds a transaction id: camt.053 carries it as NtryRef and
// AcctSvcrRef (Max35Text).
const maxTxIDLen = 35

// stateFile is the state file: every account, sorted by id, with its kept
// history. It is rewritten whole, atomically, after every change.
type stateFile struct {
	Version     int             `json:"version"`
	NextTx      uint64          `json:"next_tx"`
	NextAccount uint64          `json:"next_account"`
	Accounts    []accountRecord `json:"accounts"`
}

type accountRecord struct {
	ID             string       `json:"id"`
	IBAN           string       `json:"iban"`
	BIC            string       `json:"bic"`
	Currency       string       `json:"currency"`
	Name           string       `json:"name,omitempty"`
	Balance        money.Amount `json:"balance"` // minor units
	Opened         time.Time    `json:"opened"`
	Day            string       `json:"day"`
	DayOpen        money.Amount `json:"day_open"`
	Dropped        uint64       `json:"dropped,omitempty"`
	DroppedThrough time.Time    `json:"dropped_through,omitzero"`
	History        []txRecord   `json:"history"`
}

type txRecord struct {
	ID             string       `json:"id"`
	Time           time.Time    `json:"time"`
	Direction      Direction    `json:"direction"`
	Amount         money.Amount `json:"amount"`
	Reference      string       `json:"reference,omitempty"`
	BalanceAfter   money.Amount `json:"balance_after"`
	IdempotencyKey string       `json:"idempotency_key,omitempty"`
}

// ledgerState is the bank's accounts in memory. Like account records, a
// ledgerState is never changed once built: a change builds the next one.
type ledgerState struct {
	nextTx      uint64
	nextAccount uint64
	accounts    map[AccountID]*account
}

func (s *ledgerState) with(a *account) *ledgerState {
	next := *s
	next.accounts = make(map[AccountID]*account, len(s.accounts)+1)
	for id, r := range s.accounts {
		next.accounts[id] = r
	}
	next.accounts[a.ID] = a
	return &next
}

// sortedIDs lists the account ids in order, so that files and answers never
// depend on map iteration.
func (s *ledgerState) sortedIDs() []AccountID {
	ids := make([]AccountID, 0, len(s.accounts))
	for id := range s.accounts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (s *ledgerState) encode() ([]byte, error) {
	f := stateFile{Version: stateVersion, NextTx: s.nextTx, NextAccount: s.nextAccount, Accounts: []accountRecord{}}
	for _, id := range s.sortedIDs() {
		a := s.accounts[id]
		r := accountRecord{ID: string(a.ID), IBAN: a.IBAN, BIC: a.BIC, Currency: a.Currency.Code, Name: a.Name,
			Balance: a.Balance, Opened: a.Opened, Day: a.day, DayOpen: a.dayOpen,
			Dropped: a.dropped, DroppedThrough: a.droppedThrough, History: make([]txRecord, len(a.history))}
		for i, tx := range a.history {
			r.History[i] = txRecord(tx)
		}
		f.Accounts = append(f.Accounts, r)
	}
	b, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return nil, fmt.Errorf("demobank: encoding state: %w", err)
	}
	return append(b, '\n'), nil
}

// decodeState reads a state file and checks everything in it, as strictly as
// the API checks a request: the file is the bank's only memory.
func decodeState(b []byte, maxAccounts, maxHistory int) (*ledgerState, error) {
	var f stateFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("demobank: state file: %w", err)
	}
	if f.Version != stateVersion {
		return nil, fmt.Errorf("demobank: state file has version %d; this peg reads version %d", f.Version, stateVersion)
	}
	if len(f.Accounts) > maxAccounts {
		return nil, fmt.Errorf("demobank: state file has %d accounts; MaxAccounts is %d", len(f.Accounts), maxAccounts)
	}
	s := &ledgerState{nextTx: f.NextTx, nextAccount: f.NextAccount, accounts: make(map[AccountID]*account, len(f.Accounts))}
	ibans := make(map[string]bool, len(f.Accounts))
	for _, r := range f.Accounts {
		a, err := decodeAccount(r, maxHistory)
		if err != nil {
			return nil, err
		}
		if s.accounts[a.ID] != nil || ibans[a.IBAN] {
			return nil, fmt.Errorf("demobank: state file: account %s or IBAN %s appears twice", a.ID, a.IBAN)
		}
		s.accounts[a.ID], ibans[a.IBAN] = a, true
	}
	return s, nil
}

func decodeAccount(r accountRecord, maxHistory int) (*account, error) {
	cur, err := checkNewAccount(NewAccount{ID: AccountID(r.ID), IBAN: r.IBAN, BIC: r.BIC, Currency: r.Currency, Name: r.Name})
	if err == nil && (r.ID == "" || r.IBAN == "" || r.BIC == "") {
		err = errors.New("id, IBAN and BIC are required")
	}
	if err == nil && len(r.History) > maxHistory {
		err = fmt.Errorf("%d transactions kept; MaxHistory is %d", len(r.History), maxHistory)
	}
	if err != nil {
		return nil, fmt.Errorf("demobank: state file: account %q: %w", clip(r.ID), err)
	}
	a := &account{
		Account: Account{ID: AccountID(r.ID), IBAN: r.IBAN, BIC: r.BIC, Currency: cur, Name: r.Name, Balance: r.Balance, Opened: r.Opened},
		day:     r.Day, dayOpen: r.DayOpen, dropped: r.Dropped, droppedThrough: r.DroppedThrough,
		history: make([]Transaction, len(r.History)),
	}
	for i, t := range r.History {
		tx := Transaction(t)
		if tx.ID == "" || len(tx.ID) > maxTxIDLen {
			return nil, fmt.Errorf("demobank: state file: account %s: transaction id %q must have 1 to %d characters", a.ID, clip(tx.ID), maxTxIDLen)
		}
		if err := checkPosting(Posting{Direction: tx.Direction, Amount: tx.Amount, Reference: tx.Reference, IdempotencyKey: tx.IdempotencyKey}); err != nil {
			return nil, fmt.Errorf("demobank: state file: account %s: transaction %q: %w", a.ID, clip(tx.ID), err)
		}
		a.history[i] = tx
	}
	if _, err := time.Parse(time.DateOnly, a.day); err != nil {
		return nil, fmt.Errorf("demobank: state file: account %s: day %q: %w", a.ID, clip(a.day), err)
	}
	if err := a.check(); err != nil {
		return nil, fmt.Errorf("demobank: state file: %w", err)
	}
	return a, nil
}

// loadState reads the state file at path, or returns an empty state if there
// is none yet.
func loadState(path string, maxAccounts, maxHistory int) (*ledgerState, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &ledgerState{nextTx: 1, nextAccount: 1, accounts: map[AccountID]*account{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("demobank: %w", err)
	}
	defer f.Close()
	limit := int64(4<<10) + int64(maxAccounts)*(maxAccountRecordBytes+int64(maxHistory)*maxTxRecordBytes)
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("demobank: reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("demobank: %s is larger than %d bytes, the most MaxAccounts and MaxHistory allow", path, limit)
	}
	return decodeState(b, maxAccounts, maxHistory)
}
