package state

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pegledger/peg/internal/fee"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
)

// TestFeeCodec: fee accounts and books decode to what was encoded, and a
// record cut short, lengthened or of another version panics as corrupt.
func TestFeeCodec(t *testing.T) {
	acct := &fee.Account{Status: fee.Low, Deposited: money.Max, Spent: money.FromUint64(7), Expired: money.FromUint64(1 << 40),
		Grants: []fee.Grant{
			{Deposit: ledger.TxID{1, 2, 3}, Amount: money.FromUint64(500), Spent: money.FromUint64(5), Start: 1, End: 1 << 62},
			{Deposit: ledger.TxID{9}, Amount: money.Max, Start: -5, End: 0},
		}}
	raw := encodeFeeAccount(acct)
	if got := decodeFeeAccount([]byte("k"), raw); !reflect.DeepEqual(got, acct) {
		t.Errorf("account round trip = %+v, want %+v", got, acct)
	}
	empty := &fee.Account{Grants: []fee.Grant{}}
	if got := decodeFeeAccount([]byte("k"), encodeFeeAccount(empty)); !reflect.DeepEqual(got, empty) {
		t.Errorf("empty account round trip = %+v, want %+v", got, empty)
	}
	books := FeeTotals{Token: "gbpt", Deposited: money.FromUint64(840), Spent: money.FromUint64(12), Expired: money.FromUint64(728)}
	if got := decodeFeeTotals([]byte("k"), encodeFeeTotals(books)); got != books {
		t.Errorf("books round trip = %+v, want %+v", got, books)
	}
	for name, b := range map[string][]byte{
		"cut short":       raw[:len(raw)-1],
		"lengthened":      append(append([]byte{}, raw...), 0),
		"another version": append([]byte{2}, raw[1:]...),
		"empty":           nil,
		"too many grants": append(encodeFeeAccount(&fee.Account{})[:len(encodeFeeAccount(&fee.Account{}))-1], 65),
		"books cut short": encodeFeeTotals(books)[:10],
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if v := recover(); v == nil || !strings.Contains(v.(string), "corrupt") {
					t.Errorf("decoding a record %s: recovered %v, want a corrupt-record panic", name, v)
				}
			}()
			if strings.HasPrefix(name, "books") {
				decodeFeeTotals([]byte("k"), b)
			} else {
				decodeFeeAccount([]byte("k"), b)
			}
		})
	}
}
