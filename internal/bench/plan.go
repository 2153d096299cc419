package bench

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/tx"
	"github.com/pegledger/peg/internal/tx/txpb"
)

// signed is a signed transaction ready to submit.
type signed struct {
	raw []byte
	id  ledger.TxID
}

// signer stamps bodies with the chain, the expiry and a nonce no other
// transaction of the run has, and signs them.
type signer struct {
	chainID string
	expiry  uint64
	nonce   atomic.Uint64
}

func (s *signer) sign(body *txpb.Body, key Signer) (signed, error) {
	body.ChainId = s.chainID
	body.ExpiryHeight = s.expiry
	body.Signer = key.Addr.String()
	body.Nonce = s.nonce.Add(1)
	raw, id, err := tx.Sign(body, key.Priv)
	if err != nil {
		return signed{}, err
	}
	return signed{raw: raw, id: id}, nil
}

// signAll signs n bodies in parallel, body(i) giving the i-th and its key.
func (s *signer) signAll(n int, body func(i int) (*txpb.Body, Signer)) ([]signed, error) {
	out := make([]signed, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, runtime.GOMAXPROCS(0))
	for w := range errs {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				b, k := body(i)
				if out[i], errs[w] = s.sign(b, k); errs[w] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// bundle is a coin worth leaves × LeafUnits that its owner will split into
// that many leaves.
type bundle struct {
	coin   ledger.CoinID
	leaves int
}

// split divides n > 1 leaves into at most tx.MaxOutputs parts, each of the
// largest power of MaxOutputs below n but the last: the fewest levels and,
// within them, the fewest payments.
func split(n int) []int {
	c := 1
	for c*tx.MaxOutputs < n {
		c *= tx.MaxOutputs
	}
	var parts []int
	for n > 0 {
		p := min(c, n)
		parts = append(parts, p)
		n -= p
	}
	return parts
}

// shares gives each of k accounts its number of the n payments: n/k, the
// first n mod k one more.
func shares(n, k int) []int {
	s := make([]int, k)
	for a := range s {
		s[a] = n / k
		if a < n%k {
			s[a]++
		}
	}
	return s
}

// fanOut builds one level of the funding tree: for each account, one payment
// to itself per bundle of more than one leaf. It returns the level's
// payments and each account's bundles after them.
func fanOut(s *signer, tok ledger.TokenID, accounts []Signer, held [][]bundle) ([]signed, [][]bundle, error) {
	type job struct {
		acct int
		b    bundle
	}
	var jobs []job
	for a, bs := range held {
		for _, b := range bs {
			if b.leaves > 1 {
				jobs = append(jobs, job{a, b})
			}
		}
	}
	txs, err := s.signAll(len(jobs), func(i int) (*txpb.Body, Signer) {
		j := jobs[i]
		owner := accounts[j.acct]
		p := &txpb.Pay{Token: string(tok), Inputs: [][]byte{j.b.coin[:]}}
		for _, n := range split(j.b.leaves) {
			p.Outputs = append(p.Outputs, &txpb.Output{Owner: owner.Addr.String(), Amount: leafAmount(n)})
		}
		return &txpb.Body{Msg: &txpb.Body_Pay{Pay: p}}, owner
	})
	if err != nil {
		return nil, nil, err
	}
	next := make([][]bundle, len(held))
	for a, bs := range held {
		for _, b := range bs {
			if b.leaves == 1 {
				next[a] = append(next[a], b)
			}
		}
	}
	for i, j := range jobs {
		for k, n := range split(j.b.leaves) {
			next[j.acct] = append(next[j.acct], bundle{coin: ledger.NewCoinID(txs[i].id, uint32(k)), leaves: n})
		}
	}
	return txs, next, nil
}

// leafAmount is n leaves in minor units, as the wire writes amounts.
func leafAmount(n int) string {
	return money.FromUint64(uint64(n) * LeafUnits).String()
}

// payment is a pre-signed bench payment.
type payment struct {
	signed
	from, to int // account indexes
	change   bool
	// cross says the payee is an account of the other accounts signPayments
	// was given, of another region.
	cross bool
}

// order is the submission order of the payments: round-robin over the
// accounts, account a's i-th payment spending its i-th leaf.
func order(share []int) [][2]int {
	var out [][2]int
	for i := 0; ; i++ {
		added := false
		for a, n := range share {
			if i < n {
				out = append(out, [2]int{a, i})
				added = true
			}
		}
		if !added {
			return out
		}
	}
}

// withChange says whether the i-th payment is one with change: spread evenly,
// so that any prefix of the payments has about the Mix fraction.
func withChange(i int, mix float64) bool {
	return int(float64(i+1)*mix) > int(float64(i)*mix)
}

// signPayments signs the bench payments over the accounts' leaves. A cross
// fraction of them, spread as the ones with change are, pay an account of
// others (another region's) instead of one of accounts.
func signPayments(s *signer, tok ledger.TokenID, accounts []Signer, leaves [][]bundle, mix float64, others []Signer, cross float64) ([]payment, error) {
	share := make([]int, len(leaves))
	for a, l := range leaves {
		share[a] = len(l)
	}
	seq := order(share)
	payee := func(i int) (int, bool) {
		a, j := seq[i][0], seq[i][1]
		if len(others) > 0 && withChange(i, cross) {
			return payeeOf(a, j, len(others)), true
		}
		return payeeOf(a, j, len(accounts)), false
	}
	txs, err := s.signAll(len(seq), func(i int) (*txpb.Body, Signer) {
		a, j := seq[i][0], seq[i][1]
		to, x := payee(i)
		payer, payeeKey := accounts[a], accounts[to]
		if x {
			payeeKey = others[to]
		}
		p := &txpb.Pay{Token: string(tok), Inputs: [][]byte{leaves[a][j].coin[:]}}
		if withChange(i, mix) {
			p.Outputs = []*txpb.Output{
				{Owner: payeeKey.Addr.String(), Amount: fmt.Sprint(ChangeUnits)},
				{Owner: payer.Addr.String(), Amount: fmt.Sprint(LeafUnits - ChangeUnits)},
			}
		} else {
			p.Outputs = []*txpb.Output{{Owner: payeeKey.Addr.String(), Amount: fmt.Sprint(LeafUnits)}}
		}
		return &txpb.Body{Msg: &txpb.Body_Pay{Pay: p}}, payer
	})
	if err != nil {
		return nil, err
	}
	out := make([]payment, len(seq))
	for i, st := range txs {
		to, x := payee(i)
		out[i] = payment{signed: st, from: seq[i][0], to: to, change: withChange(i, mix), cross: x}
	}
	return out, nil
}

// payeeOf is the account that account a's j-th payment pays, of k: a+1+j
// (mod k), never a itself.
func payeeOf(a, j, k int) int {
	if to := (a + 1 + j) % k; to != a {
		return to
	}
	return (a + 1) % k
}
