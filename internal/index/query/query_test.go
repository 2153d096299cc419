package query

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/index/idkey"
)

// history seeds: alice (1) pays bob (2) every hour of day0, amount (i+1)
// GBPT, and carol (3) pays alice once in EUT on day0+1; one refused
// payment; a mint by the issuer (9).
func seedHistory(f *fixture) {
	for i := range 24 {
		f.block("peg-gb", int64(i+1), day0.Add(time.Duration(i)*time.Hour), 1)
		f.pay(ftx{height: int64(i + 1), at: day0.Add(time.Duration(i) * time.Hour), token: "gbpt",
			amount: big100(i + 1), payer: addr(1), payee: addr(2)})
	}
	at := day0.Add(25 * time.Hour)
	f.block("peg-gb", 25, at, 3)
	f.pay(ftx{height: 25, at: at, token: "eut", amount: "7", payer: addr(3), payee: addr(1), payeeRegion: "DE"})
	f.tx(ftx{height: 25, idx: 1, at: at, kind: "pay", signer: addr(3), token: "gbpt", code: 51, amount: "5", payer: addr(3), payee: addr(1)})
	f.tx(ftx{height: 25, idx: 2, at: at, kind: "mint", signer: addr(9), token: "gbpt", amount: "100000", payee: addr(1)})
	f.chain("peg-gb", "GB", 25, at)
}

// big100 is n whole GBPT in minor units.
func big100(n int) string {
	return strings.TrimLeft(string(rune('0'+n/10))+string(rune('0'+n%10)), "0") + "00"
}

func TestHistoryFilters(t *testing.T) {
	eachDB(t, func(t *testing.T, f *fixture) {
		seedHistory(f)
		// Two of the payments opened trades (a trade's id is its offer's):
		// one settled, one funded.
		f.trade(fixtureID(3, 0), day0, day0.Add(time.Hour))
		f.exec(`INSERT INTO trades (trade_id, trade_key, chain_id, buyer, seller, token, amount, status, opened_ns)
			VALUES ($1, $2, 'peg-gb', 'b', 's', 'gbpt', '1', 'funded', 0)`, fixtureID(5, 0), idkey.Of(fixtureID(5, 0)))
		r := New(f.db, testTokens)
		for _, tc := range []struct {
			name string
			q    client.HistoryQuery
			want int
			test func(t *testing.T, items []client.HistoryItem)
		}{
			{"all accepted", client.HistoryQuery{Limit: 500}, 26, nil},
			{"refused", client.HistoryQuery{Code: "refused"}, 1, func(t *testing.T, items []client.HistoryItem) {
				if items[0].Code != 51 {
					t.Errorf("code %d", items[0].Code)
				}
			}},
			{"any", client.HistoryQuery{Code: "any", Limit: 500}, 27, nil},
			{"token", client.HistoryQuery{Token: "eut"}, 1, nil},
			{"kind", client.HistoryQuery{Kind: "mint"}, 1, func(t *testing.T, items []client.HistoryItem) {
				if items[0].Amount != "1000" || items[0].Unit != "GBPT" || items[0].Units != "100000" {
					t.Errorf("mint amount %q %q %q, want 1000 GBPT (100000 units)", items[0].Amount, items[0].Unit, items[0].Units)
				}
			}},
			{"from day", client.HistoryQuery{From: "2026-03-02"}, 2, nil},
			{"to day", client.HistoryQuery{To: "2026-03-01", Limit: 100}, 24, nil},
			{"time range", client.HistoryQuery{From: "2026-03-01T10:00:00Z", To: "2026-03-01T12:00:00Z"}, 2, nil},
			{"min max", client.HistoryQuery{Token: "gbpt", Kind: "pay", Min: "3", Max: "5.5"}, 3, func(t *testing.T, items []client.HistoryItem) {
				for _, it := range items {
					if it.Amount != "5" && it.Amount != "4" && it.Amount != "3" {
						t.Errorf("amount %s outside 3..5.5", it.Amount)
					}
				}
			}},
			{"region", client.HistoryQuery{Region: "DE"}, 0, nil},
			{"account", client.HistoryQuery{Account: addr(1), Limit: 100}, 25, func(t *testing.T, items []client.HistoryItem) {
				if items[0].Direction != "in" || items[0].Counterparty != addr(3) || items[0].AmountIn != "7" {
					t.Errorf("newest entry %+v, want 7 eut in from carol", items[0])
				}
				if items[1].Direction != "out" || items[1].AmountOut != "24" || items[1].Unit != "GBPT" {
					t.Errorf("second entry %+v, want 24 GBPT out", items[1])
				}
			}},
			{"counterparty", client.HistoryQuery{Account: addr(1), Counterparty: addr(3)}, 1, nil},
			{"unknown account", client.HistoryQuery{Account: addr(77)}, 0, nil},
			{"unknown token", client.HistoryQuery{Token: "nope"}, 0, nil},
			{"trade status", client.HistoryQuery{TradeStatus: "funded"}, 1, func(t *testing.T, items []client.HistoryItem) {
				if items[0].TxID != fixtureID(5, 0) {
					t.Errorf("the funded trade's offer is %s, want %s", items[0].TxID, fixtureID(5, 0))
				}
			}},
			{"trade status none", client.HistoryQuery{TradeStatus: "cancelled"}, 0, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				page, err := r.History(f.ctx, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Items) != tc.want {
					t.Fatalf("%d items, want %d", len(page.Items), tc.want)
				}
				for i := 1; i < len(page.Items); i++ {
					if page.Items[i].Time.After(page.Items[i-1].Time) {
						t.Fatalf("item %d is newer than item %d", i, i-1)
					}
				}
				if tc.test != nil {
					tc.test(t, page.Items)
				}
			})
		}
	})
}

// TestHistoryPagesWhileInserting walks an account's history and the whole
// history a page at a time while newer rows (and rows at the same time as
// a page's last) are indexed between pages: every row present at the start
// is seen once, in order.
func TestHistoryPagesWhileInserting(t *testing.T) {
	eachDB(t, func(t *testing.T, f *fixture) {
		seedHistory(f)
		r := New(f.db, testTokens)
		for _, q := range []client.HistoryQuery{{Limit: 4, Code: "any"}, {Account: addr(2), Limit: 5}} {
			all, err := r.History(f.ctx, client.HistoryQuery{Account: q.Account, Code: q.Code, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			var walked []string
			height := int64(100 + len(q.Account))
			for page := 0; ; page++ {
				p, err := r.History(f.ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range p.Items {
					walked = append(walked, it.TxID)
				}
				if p.NextCursor == "" {
					break
				}
				// A newer payment to bob, and one at the very time of the
				// page's last row on another chain (chain_id above): both
				// sort above the cursor and must not appear later.
				last := p.Items[len(p.Items)-1]
				height++
				f.pay(ftx{height: height, at: day0.Add(48 * time.Hour), token: "gbpt", amount: "1", payer: addr(1), payee: addr(2)})
				f.pay(ftx{chain: "peg-zz", region: "ZZ", height: height, at: last.Time, token: "gbpt", amount: "1", payer: addr(1), payee: addr(2)})
				q.Cursor = p.NextCursor
			}
			var want []string
			for _, it := range all.Items {
				want = append(want, it.TxID)
			}
			if !slices.Equal(walked, want) {
				t.Fatalf("pages walked %d rows %v\nwant %d %v", len(walked), walked, len(want), want)
			}
		}
	})
}

func TestCursorRefused(t *testing.T) {
	eachDB(t, func(t *testing.T, f *fixture) {
		seedHistory(f)
		r := New(f.db, testTokens)
		p, err := r.History(f.ctx, client.HistoryQuery{Limit: 3})
		if err != nil || p.NextCursor == "" {
			t.Fatalf("%v %q", err, p.NextCursor)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(p.NextCursor)
		altered := base64.RawURLEncoding.EncodeToString(bytes.Replace(raw, []byte(`"peg-gb"`), []byte(`"peg-zz"`), 1))
		v0 := base64.RawURLEncoding.EncodeToString(bytes.Replace(raw, []byte(`"v1"`), []byte(`"v0"`), 1))
		for name, q := range map[string]client.HistoryQuery{
			"garbage":        {Cursor: "!!!"},
			"not quoted":     {Cursor: base64.RawURLEncoding.EncodeToString([]byte("v1,1,2,3"))},
			"altered":        {Cursor: altered, Limit: 3},
			"old version":    {Cursor: v0, Limit: 3},
			"other query":    {Cursor: p.NextCursor, Token: "gbpt"},
			"truncated":      {Cursor: p.NextCursor[:len(p.NextCursor)-4]},
			"SQL":            {Cursor: "'; DROP TABLE txs; --"},
			"blocks' cursor": {Cursor: mustBlocksCursor(t, r, f)},
		} {
			_, err := r.History(f.ctx, q)
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Errorf("%s: %v, want an InvalidError", name, err)
			}
		}
		if _, err := r.History(f.ctx, client.HistoryQuery{Cursor: p.NextCursor, Limit: 10}); err != nil {
			t.Errorf("the cursor with another page size: %v", err)
		}
	})
}

func mustBlocksCursor(t *testing.T, r *Reader, f *fixture) string {
	p, err := r.Blocks(f.ctx, "", "", 2)
	if err != nil || p.NextCursor == "" {
		t.Fatalf("blocks: %v %q", err, p.NextCursor)
	}
	return p.NextCursor
}

func TestBlocksTxCoinStatus(t *testing.T) {
	eachDB(t, func(t *testing.T, f *fixture) {
		seedHistory(f)
		// Ids that are not hex have the key 0 (idkey.Of).
		f.exec(`INSERT INTO coins (coin_key, coin_id, chain_id, owner, token, amount, amt_hi, amt_lo, created_height, created_tx, spent_height, spent_tx)
			VALUES (0, 'c1', 'peg-gb', $1, 'gbpt', '250', 0, 250, 3, 'tx3', 5, 'tx5'), (0, 'c2', 'peg-gb', $1, 'eut', '9', 0, 9, 4, 'tx4', NULL, NULL)`, addr(2))
		r := New(f.db, testTokens)
		var heights []int64
		for cursor := ""; ; {
			p, err := r.Blocks(f.ctx, "peg-gb", cursor, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range p.Items {
				heights = append(heights, b.Height)
			}
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		if len(heights) != 25 || heights[0] != 25 || heights[24] != 1 {
			t.Fatalf("blocks %v", heights)
		}
		page, _ := r.History(f.ctx, client.HistoryQuery{Kind: "mint"})
		tx, err := r.Tx(f.ctx, page.Items[0].TxID)
		if err != nil || tx.Kind != "mint" || tx.Token != "gbpt" {
			t.Fatalf("tx %+v %v", tx, err)
		}
		if _, err := r.Tx(f.ctx, strings.Repeat("ab", 32)); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown tx: %v, want ErrNotFound", err)
		}
		c, err := r.Coin(f.ctx, "c1")
		if err != nil || c.Amount != "2.5" || c.Unit != "GBPT" || c.SpentTx != "tx5" || c.SpentHeight != 5 {
			t.Fatalf("coin %+v %v", c, err)
		}
		c, err = r.Coin(f.ctx, "c2")
		if err != nil || c.Amount != "9" || c.Unit != "" || c.SpentTx != "" || c.SpentHeight != 0 {
			t.Fatalf("unspent coin of an unknown token %+v %v", c, err)
		}
		if _, err := r.Coin(f.ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown coin: %v", err)
		}
		st, err := r.Status(f.ctx)
		if err != nil || len(st.Chains) != 1 || st.Chains[0].Height != 25 || st.Chains[0].Region != "GB" {
			t.Fatalf("status %+v %v", st, err)
		}
	})
}

// TestVolumesExact: sums beyond 64 bits are exact, in whole units of a
// known token, grouped by day and month, by region and corridor.
func TestVolumesExact(t *testing.T) {
	eachDB(t, func(t *testing.T, f *fixture) {
		big := "9000000000000000000000" // 9 * 10^21 minor units, beyond int64
		for i := range 3 {
			at := day0.Add(time.Duration(i) * time.Hour)
			f.pay(ftx{height: int64(i + 1), at: at, token: "gbpt", amount: big, payer: addr(1), payee: addr(2)})
		}
		f.pay(ftx{height: 4, at: day0.AddDate(0, 0, 1), token: "gbpt", amount: "1", payer: addr(1), payee: addr(5), payeeRegion: "DE"})
		f.pay(ftx{height: 5, at: day0.AddDate(0, 1, 0), token: "gbpt", amount: "3", payer: addr(1), payee: addr(2)})
		f.tx(ftx{height: 6, at: day0, kind: "mint", token: "gbpt", amount: "999"})
		f.tx(ftx{height: 7, at: day0, kind: "pay", token: "gbpt", code: 51, amount: "999"})
		f.chain("peg-gb", "GB", 7, day0.AddDate(0, 1, 0))
		r := New(f.db, testTokens)
		v, err := r.Volumes(f.ctx, client.AnalyticsQuery{From: "2026-03-01", To: "2026-03-31"})
		if err != nil {
			t.Fatal(err)
		}
		want := []client.VolumeRow{
			{Period: "2026-03-01", Token: "gbpt", Region: "GB", Count: 3, Volume: "270000000000000000000", Units: "27000000000000000000000", Unit: "GBPT"},
			{Period: "2026-03-02", Token: "gbpt", Region: "GB", Count: 1, Volume: "0.01", Units: "1", Unit: "GBPT"},
		}
		if !slices.Equal(v.Rows, want) {
			t.Fatalf("volumes by day\n%+v\nwant\n%+v", v.Rows, want)
		}
		v, err = r.Volumes(f.ctx, client.AnalyticsQuery{Group: "month", From: "2026-03-01", To: "2026-04-30"})
		if err != nil || len(v.Rows) != 2 || v.Rows[0].Units != "27000000000000000000001" || v.Rows[1].Period != "2026-04" || v.Rows[1].Units != "3" {
			t.Fatalf("volumes by month %+v %v", v, err)
		}
		c, err := r.Corridors(f.ctx, client.AnalyticsQuery{From: "2026-03-01", To: "2026-03-31"})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Rows) != 2 || c.Rows[0] != (client.CorridorRow{FromRegion: "GB", ToRegion: "DE", Token: "gbpt", Count: 1, Volume: "0.01", Units: "1", Unit: "GBPT"}) ||
			c.Rows[1].ToRegion != "GB" || c.Rows[1].Count != 3 {
			t.Fatalf("corridors %+v", c.Rows)
		}
		a, err := r.Active(f.ctx, client.AnalyticsQuery{From: "2026-03-01", To: "2026-03-02"})
		if err != nil || len(a.Rows) != 2 || a.Rows[0] != (client.ActiveRow{Period: "2026-03-01", Accounts: 2}) || a.Rows[1].Accounts != 2 {
			t.Fatalf("active %+v %v", a, err)
		}
		a, err = r.Active(f.ctx, client.AnalyticsQuery{Group: "month", From: "2026-03-01", To: "2026-04-30"})
		if err != nil || len(a.Rows) != 2 || a.Rows[0].Accounts != 3 || a.Rows[1].Accounts != 2 {
			t.Fatalf("active by month %+v %v", a, err)
		}
	})
}

func TestSettlementCoverageTrend(t *testing.T) {
	eachDB(t, func(t *testing.T, f *fixture) {
		for i := range 100 {
			f.trade(string(rune('a'+i/26))+string(rune('a'+i%26)), day0, day0.Add(time.Duration(i+1)*time.Minute))
		}
		f.credit("r1", day0, day0.Add(90*time.Second))
		f.tokenEvent("peg-gb", 1, 0, day0, "gbpt", "attest", "0", "100", "0", "OK")
		f.tokenEvent("peg-gb", 2, 0, day0.Add(time.Hour), "gbpt", "mint", "100", "100", "100", "OK")
		f.tokenEvent("peg-gb", 3, 0, day0.Add(2*time.Hour), "gbpt", "attest", "100", "50", "100", "AT_RISK")
		for d := range 20 {
			at := day0.AddDate(0, 0, d)
			n := 1
			if d >= 10 {
				n = 3 // the last ten days have three payments a day, the ten before one
			}
			for i := range n {
				f.pay(ftx{height: int64(10 + d*3 + i), at: at, token: "gbpt", amount: "100", payer: addr(1), payee: addr(2 + i)})
			}
		}
		f.chain("peg-gb", "GB", 100, day0.AddDate(0, 0, 19))
		r := New(f.db, testTokens)
		s, err := r.Settlement(f.ctx, client.AnalyticsQuery{What: "trade", From: "2026-03-01", To: "2026-03-01"})
		if err != nil {
			t.Fatal(err)
		}
		if s.Count != 100 || s.P50Seconds != 3000 || s.P90Seconds != 5400 || s.P99Seconds != 5940 {
			t.Fatalf("trade settlement %+v", s)
		}
		if s.Buckets[2] != (client.SettlementBucket{LESeconds: 60, Count: 1}) || s.Buckets[4] != (client.SettlementBucket{LESeconds: 3600, Count: 60}) {
			t.Fatalf("buckets %+v", s.Buckets)
		}
		s, err = r.Settlement(f.ctx, client.AnalyticsQuery{What: "credit", From: "2026-03-01", To: "2026-03-01"})
		if err != nil || s.Count != 1 || s.P50Seconds != 90 {
			t.Fatalf("credit settlement %+v %v", s, err)
		}
		c, err := r.Coverage(f.ctx, client.AnalyticsQuery{Token: "gbpt", From: "2026-03-01", To: "2026-03-01"})
		if err != nil || c.Currency != "GBP" || len(c.Points) != 3 || c.Points[2].Status != "AT_RISK" || c.Points[1].Supply != "100" {
			t.Fatalf("coverage %+v %v", c, err)
		}
		if _, err := r.Coverage(f.ctx, client.AnalyticsQuery{Token: "nope"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("coverage of an unknown token: %v", err)
		}
		tr, err := r.Trend(f.ctx, client.AnalyticsQuery{Metric: "count", Window: "10d"})
		if err != nil || tr.Current != "30" || tr.Previous != "10" || tr.ChangePercent != "200.00" || len(tr.Rows) != 10 || tr.Rows[9].Value != "3" {
			t.Fatalf("count trend %+v %v", tr, err)
		}
		tr, err = r.Trend(f.ctx, client.AnalyticsQuery{Metric: "volume", Token: "gbpt", Window: "10d"})
		if err != nil || tr.Current != "30" || tr.Previous != "10" || tr.ChangePercent != "200.00" {
			t.Fatalf("volume trend %+v %v", tr, err)
		}
		tr, err = r.Trend(f.ctx, client.AnalyticsQuery{Metric: "active", Window: "3d"})
		if err != nil || tr.Current != "4" || tr.Previous != "4" || tr.ChangePercent != "0.00" {
			t.Fatalf("active trend %+v %v", tr, err)
		}
	})
}

func TestChangePercent(t *testing.T) {
	for _, tc := range []struct {
		c, p int64
		want string
	}{{3, 1, "200.00"}, {1, 3, "-66.67"}, {2, 3, "-33.33"}, {5, 0, ""}, {0, 7, "-100.00"}, {1001, 1000, "0.10"}, {20001, 20000, "0.01"}, {40001, 40000, "0.00"}} {
		if got := changePercent(bigInt(tc.c), bigInt(tc.p)); got != tc.want {
			t.Errorf("changePercent(%d, %d) = %q, want %q", tc.c, tc.p, got, tc.want)
		}
	}
}

// TestBadRequests: every refused request is an InvalidError, never an
// operating failure, and runs no SQL that could be slow.
func TestBadRequests(t *testing.T) {
	eachDB(t, func(t *testing.T, f *fixture) {
		seedHistory(f)
		r := New(f.db, testTokens)
		long := strings.Repeat("x", 10_000)
		for name, q := range map[string]client.HistoryQuery{
			"limit":            {Limit: MaxHistoryPage + 1},
			"negative limit":   {Limit: -1},
			"account":          {Account: "bob'; DROP TABLE txs; --"},
			"long account":     {Account: long},
			"counterparty":     {Counterparty: addr(1)},
			"token":            {Token: "GBPT"},
			"kind":             {Kind: "pay' OR '1'='1"},
			"from":             {From: "yesterday"},
			"to":               {To: "2026-13-01"},
			"far time":         {From: "9999-01-01T00:00:00Z"},
			"min no token":     {Min: "1"},
			"min precision":    {Token: "gbpt", Min: "1.001"},
			"max huge":         {Token: "gbpt", Max: strings.Repeat("9", 40)},
			"max words":        {Token: "gbpt", Max: "1e9"},
			"region":           {Region: "gb"},
			"trade status":     {TradeStatus: "x\x00y"},
			"code":             {Code: "maybe"},
			"refused account":  {Account: addr(1), Code: "refused"},
			"unicode kind":     {Kind: "pаy"},
			"long cursor":      {Cursor: long},
			"long kind":        {Kind: long},
			"control in token": {Token: "gb\npt"},
		} {
			_, err := r.History(f.ctx, q)
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Errorf("%s: %v, want an InvalidError", name, err)
			}
		}
		for name, q := range map[string]client.AnalyticsQuery{
			"day range":     {From: "2025-01-01", To: "2026-03-01"},
			"month range":   {Group: "month", From: "2010-01-01", To: "2026-03-01"},
			"group":         {Group: "week"},
			"empty range":   {From: "2026-03-02", To: "2026-03-01"},
			"token":         {Token: "x'--"},
			"region":        {Region: long},
			"bad from":      {From: "2026-03-01 00:00"},
			"trend window":  {Metric: "count", Window: "367d"},
			"trend window2": {Metric: "count", Window: "-1d"},
			"trend metric":  {Metric: "speed"},
			"trend volume":  {Metric: "volume"},
			"coverage":      {},
			"settlement":    {What: "trades"},
		} {
			var err error
			switch {
			case strings.HasPrefix(name, "trend"):
				_, err = r.Trend(f.ctx, q)
			case name == "coverage":
				_, err = r.Coverage(f.ctx, q)
			case name == "settlement":
				_, err = r.Settlement(f.ctx, q)
			default:
				_, err = r.Volumes(f.ctx, q)
			}
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Errorf("%s: %v, want an InvalidError", name, err)
			}
		}
		var n int
		if err := f.db.QueryRowContext(f.ctx, `SELECT COUNT(*) FROM txs`).Scan(&n); err != nil || n != 27 {
			t.Fatalf("txs after the attempts: %d %v", n, err)
		}
	})
}

// TestPublishDue: every complete day and month is published once, into
// the table and as files; publishing again writes nothing; a report does
// not change when later blocks arrive; a rebuilt report is the same bytes;
// a file that differs is refused.
func TestPublishDue(t *testing.T) {
	eachDB(t, func(t *testing.T, f *fixture) {
		seedHistory(f)
		f.tokenEvent("peg-gb", 2, 0, day0.Add(time.Hour), "gbpt", "mint", "100", "100", "100", "OK")
		dir := t.TempDir()
		got, err := PublishDue(f.ctx, f.db, dir)
		if err != nil {
			t.Fatal(err)
		}
		// The index reaches 2026-03-02 01:00: 2026-03-01 is complete, not
		// the 2nd nor March.
		if len(got) != 1 || got[0].Name != "daily-2026-03-01" || got[0].Height != 24 {
			t.Fatalf("published %+v", got)
		}
		body, err := os.ReadFile(got[0].File)
		if err != nil || SHA256(body) != got[0].SHA256 {
			t.Fatalf("file %v, sha %s want %s", err, SHA256(body), got[0].SHA256)
		}
		var rep struct {
			Volumes  []ReportVolume   `json:"volumes"`
			Active   int64            `json:"active_accounts"`
			Coverage []ReportCoverage `json:"coverage"`
		}
		decodeJSON(t, body, &rep)
		if len(rep.Volumes) != 1 || rep.Volumes[0].Count != 24 || rep.Volumes[0].Units != "30000" || rep.Active != 2 ||
			len(rep.Coverage) != 1 || rep.Coverage[0].Status != "OK" {
			t.Fatalf("report %s", body)
		}
		if again, err := PublishDue(f.ctx, f.db, dir); err != nil || len(again) != 0 {
			t.Fatalf("publishing again: %+v %v", again, err)
		}
		// Later blocks complete the days to April 1 and the month of
		// March; March 1's report stays as it was.
		f.block("peg-gb", 26, day0.AddDate(0, 1, 1), 0)
		f.chain("peg-gb", "GB", 26, day0.AddDate(0, 1, 1))
		got, err = PublishDue(f.ctx, f.db, dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 32 || got[len(got)-1].Name != "monthly-2026-03" {
			t.Fatalf("published %d reports, last %+v", len(got), got[len(got)-1])
		}
		r := New(f.db, testTokens)
		b, sum, err := r.PublishedReport(f.ctx, "daily-2026-03-01")
		if err != nil || !bytes.Equal(b, body) || sum != SHA256(body) {
			t.Fatalf("daily-2026-03-01 changed: %v", err)
		}
		rebuilt, err := Build(f.ctx, f.db, "daily-2026-03-02")
		if err != nil {
			t.Fatal(err)
		}
		b, _, _ = r.PublishedReport(f.ctx, "daily-2026-03-02")
		if !bytes.Equal(rebuilt.Canonical(), b) {
			t.Fatalf("rebuilt\n%s\npublished\n%s", rebuilt.Canonical(), b)
		}
		page, err := r.Published(f.ctx, "daily", "", 10)
		if err != nil || len(page.Items) != 10 || page.Items[0].Name != "daily-2026-04-01" || page.NextCursor == "" ||
			!slices.Equal(page.Items[0].ChainIDs, []string{"peg-gb"}) {
			t.Fatalf("published page %+v %v", page, err)
		}
		page, err = r.Published(f.ctx, "daily", page.NextCursor, 500)
		if err != nil || len(page.Items) != 22 || page.Items[21].Name != "daily-2026-03-01" {
			t.Fatalf("second page %d %v", len(page.Items), err)
		}
		// A missing file is written again; an altered one is refused.
		path := filepath.Join(dir, "daily-2026-03-05.json")
		os.Remove(path)
		if _, err := PublishDue(f.ctx, f.db, dir); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("the missing file was not written again: %v", err)
		}
		os.WriteFile(path, []byte("{}\n"), 0o644)
		if _, err := PublishDue(f.ctx, f.db, dir); err == nil || !strings.Contains(err.Error(), "differs") {
			t.Fatalf("an altered file: %v", err)
		}
	})
}

// TestCSVHeaderIsTheJSON: the CSV export has one column per JSON field of
// an item, in the same order, so that both exports say the same.
func TestCSVHeaderIsTheJSON(t *testing.T) {
	var fields []string
	ty := reflect.TypeOf(client.HistoryItem{})
	for i := range ty.NumField() {
		name, _, _ := strings.Cut(ty.Field(i).Tag.Get("json"), ",")
		fields = append(fields, name)
	}
	if !slices.Equal(CSVHeader, fields) {
		t.Fatalf("CSV header %v\nJSON fields %v", CSVHeader, fields)
	}
	var b bytes.Buffer
	it := client.HistoryItem{TxID: "t", Amount: "1,5", Counterparty: `a "b"`}
	if err := WriteCSV(&b, []client.HistoryItem{it}, true); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][11] != "1,5" || rows[1][21] != `a "b"` {
		t.Fatalf("%q %v", rows, err)
	}
}

// TestPublishWaitsForEveryChain: a day is complete only when every chain
// the index follows has a block after it; a lagging region holds it back.
func TestPublishWaitsForEveryChain(t *testing.T) {
	eachDB(t, func(t *testing.T, f *fixture) {
		seedHistory(f)
		f.block("peg-hk", 1, day0.Add(time.Hour), 0)
		f.chain("peg-hk", "HK", 1, day0.Add(time.Hour))
		if got, err := PublishDue(f.ctx, f.db, ""); err != nil || len(got) != 0 {
			t.Fatalf("published %+v %v while peg-hk is still in the day", got, err)
		}
		f.block("peg-hk", 2, day0.AddDate(0, 0, 1), 0)
		f.chain("peg-hk", "HK", 2, day0.AddDate(0, 0, 1))
		got, err := PublishDue(f.ctx, f.db, "")
		if err != nil || len(got) != 1 || got[0].Height != 24 {
			t.Fatalf("published %+v %v", got, err)
		}
		rep, err := Build(f.ctx, f.db, got[0].Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Chains) != 2 || rep.Chains[0].ChainID != "peg-gb" || rep.Chains[0].Height != 24 || rep.Chains[1].Height != 1 {
			t.Fatalf("chains %+v", rep.Chains)
		}
	})
}

// TestCoverageThinned: a range of more events than one answer carries is
// thinned to the last of each span and every change of status, with the
// point before it: the issuer's chart of a busy token keeps its AT_RISK
// episode and its last point.
func TestCoverageThinned(t *testing.T) {
	eachDB(t, func(t *testing.T, f *fixture) {
		const n = MaxCoveragePoints + 2_000
		// A mint every 5 s from day0; events 7,000 to 7,002 are AT_RISK.
		f.exec(`WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < $1)
			INSERT INTO token_events (chain_id, height, idx, seq, time_ns, day, token, type, tx_id, address, amount, supply, reserve,
				required, currency, status)
			SELECT 'peg-gb', i + 1, 0, 0, $2 + i * 5000000000, '2026-03-01', 'gbpt', 'mint', '', '', '1', CAST(i + 1 AS TEXT), '1000000',
				CAST(i + 1 AS TEXT), 'GBP', CASE WHEN i BETWEEN 7000 AND 7002 THEN 'AT_RISK' ELSE 'OK' END FROM k`,
			n-1, day0.UnixNano())
		f.chain("peg-gb", "GB", n, day0.AddDate(0, 0, 1))
		c, err := New(f.db, testTokens).Coverage(f.ctx, client.AnalyticsQuery{Token: "gbpt", From: "2026-03-01", To: "2026-03-02"})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Thinned || len(c.Points) > CoverageSpans+5 || len(c.Points) < 100 {
			t.Fatalf("thinned %v, %d points", c.Thinned, len(c.Points))
		}
		var risk []int64
		for i, p := range c.Points {
			if i > 0 && !p.Time.After(c.Points[i-1].Time) {
				t.Fatalf("point %d at %s after %s", i, p.Time, c.Points[i-1].Time)
			}
			if p.Status == "AT_RISK" {
				risk = append(risk, p.Height)
			}
		}
		if first, last := c.Points[0], c.Points[len(c.Points)-1]; first.Height != 1 || last.Height != n || last.Supply != fmt.Sprint(n) {
			t.Fatalf("first %+v, last %+v", first, last)
		}
		// The episode: its first and last points, with the OK points either side.
		if len(risk) < 2 || risk[0] != 7001 || risk[len(risk)-1] != 7003 {
			t.Fatalf("AT_RISK points at heights %v", risk)
		}
		for _, h := range []int64{7000, 7004} {
			if !slices.ContainsFunc(c.Points, func(p client.CoveragePoint) bool { return p.Height == h && p.Status == "OK" }) {
				t.Errorf("no OK point at height %d beside the episode", h)
			}
		}
	})
}
