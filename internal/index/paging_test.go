package index

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/node/nodetest"
	"github.com/pegledger/peg/internal/sqldb"
	"github.com/pegledger/peg/internal/sqldb/sqltest"
	"github.com/pegledger/peg/internal/token"
)

// partsNode answers GET /v1/blocks as the node's API does when every block
// is larger than an answer: at most per receipts an answer, the last block
// cut with its next_index. Its blocks are synthetic (the node's own cutting
// is tested in internal/api).
// seen is called at each block read with the height it starts from.
func partsNode(t *testing.T, blocks []*client.BlockReceipts, per int, seen func(from int64)) *httptest.Server {
	head := blocks[len(blocks)-1].Height
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(client.Status{ChainID: "peg-synthetic", Region: "GB", Height: uint64(head)})
	})
	mux.HandleFunc("GET /v1/tokens/gbpt", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(client.Token{ID: "gbpt", Decimals: 2, Contract: token.Draft{Ratio: "1", Fiat: token.FiatDraft{Currency: "GBP"}}})
	})
	mux.HandleFunc("GET /v1/blocks", func(w http.ResponseWriter, r *http.Request) {
		from, _ := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
		seen(from)
		index, _ := strconv.Atoi(r.URL.Query().Get("index"))
		page := client.BlockPage{Head: head, Blocks: []client.BlockReceipts{}}
		room := per
		for h := from; h <= head && room > 0; h++ {
			b := *blocks[h-1]
			end := min(len(b.Receipts), index+room)
			b.From, b.Receipts = index, b.Receipts[index:end]
			room -= end - index
			if end < b.Txs {
				b.NextIndex = end
				page.Blocks = append(page.Blocks, b)
				break
			}
			page.Blocks = append(page.Blocks, b)
			index = 0
		}
		json.NewEncoder(w).Encode(page)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestFollowInParts: blocks that come in parts, answers that end inside a
// block, and batches smaller than a block: the follower writes each block
// whole, once, and stops a batch at its bound even inside a block.
func TestFollowInParts(t *testing.T) {
	s := newSynthetic(5)
	var blocks []*client.BlockReceipts
	for range 4 {
		blocks = append(blocks, s.next())
	}
	var mu sync.Mutex
	var db *sqldb.DB
	var readsAfterWrite int // reads of blocks before the last made once a batch was written
	// Four receipts an answer, five a block: only the answer that reaches
	// the head ends at a block's end.
	srv := partsNode(t, blocks, 4, func(from int64) {
		mu.Lock()
		defer mu.Unlock()
		var h int64
		db.QueryRow(`SELECT height FROM chains`).Scan(&h)
		if h > 0 && from < 4 {
			readsAfterWrite++
		}
	})
	for name, fresh := range sqltest.Databases(t, "index.db") {
		t.Run(name, func(t *testing.T) {
			mu.Lock()
			db, readsAfterWrite = openFresh(t, fresh(t)), 0
			mu.Unlock()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- (&Follower{Node: client.New(srv.URL), DB: db, Log: slog.New(slog.DiscardHandler), Poll: 10 * time.Millisecond, Batch: 3}).Run(ctx)
			}()
			nodetest.Eventually(t, "the follower writing every block", func() bool {
				var h int64
				db.QueryRow(`SELECT height FROM chains`).Scan(&h)
				return h == 4
			})
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			var txs, distinct, unspent int
			db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT tx_id) FROM txs`).Scan(&txs, &distinct)
			db.QueryRow(`SELECT COUNT(*) FROM coins WHERE spent_height IS NULL`).Scan(&unspent)
			// 5 mints and 15 payments; each payment leaves its payee's coin
			// unspent, the last block's change too.
			if txs != 20 || distinct != 20 || unspent != 20 {
				t.Errorf("%d transactions (%d distinct), %d unspent coins; want 20, 20 and 20", txs, distinct, unspent)
			}
			// A batch of 3 receipts is written before the chain is read
			// to its head, though every answer but one ends inside a block.
			mu.Lock()
			defer mu.Unlock()
			if readsAfterWrite == 0 {
				t.Errorf("%d reads after the first batch was written; the follower read on past its batch", readsAfterWrite)
			}
		})
	}
}
