package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/rpc/client/local"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/pegledger/peg/internal/abci"
	"github.com/pegledger/peg/internal/aliaskey"
	"github.com/pegledger/peg/internal/api"
	"github.com/pegledger/peg/internal/index/query"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
	"github.com/pegledger/peg/internal/tx"
)

// Node is a running Peg node: consensus, state and API.
type Node struct {
	Config  Config
	home    string
	log     *slog.Logger
	db      *store.DB
	app     *abci.App
	comet   *cmtnode.Node
	rpc     *local.Local
	api     *http.Server
	handler *api.Handler
	apiAddr string
	apiDone chan error
	// offering serialises the API's offers to the mempool (chain.broadcast).
	offering sync.Mutex
	// stopping is set once the node is being stopped (see cometLogger).
	stopping atomic.Bool
	// unlock releases the home's lock (lockHome).
	unlock func() error
	// proofs are the parts of the blocks proved last (ReceiptProof).
	proofs proofCache
	// index reads the index database the API serves (Config.Index), nil
	// without one.
	index *query.Reader
}

// Start opens the node at home and starts consensus and the API. The caller
// must Stop it. A home that another process runs is refused with a
// *LockedError.
func Start(home string, log *slog.Logger) (*Node, error) {
	cfg, err := LoadConfig(home)
	if err != nil {
		return nil, err
	}
	region, _ := ledger.ParseRegion(cfg.Region) // validated by LoadConfig
	unlock, err := lockHome(home)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(filepath.Join(home, AppDataDir), log.With("module", "store"))
	if err != nil {
		return nil, errors.Join(err, unlock())
	}
	n := &Node{Config: cfg, home: home, log: log, db: db, unlock: unlock}
	if err := n.start(region); err != nil {
		n.Stop()
		return nil, err
	}
	return n, nil
}

func (n *Node) start(region ledger.Region) error {
	app, err := abci.New(n.db, n.Config.ChainID, region, n.log.With("module", "app"))
	if err != nil {
		return err
	}
	n.app = app
	cc, err := cometConfig(n.home, n.Config)
	if err != nil {
		return err
	}
	nodeKey, err := p2p.LoadNodeKey(cc.NodeKeyFile())
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	pv := privval.LoadFilePV(cc.PrivValidatorKeyFile(), cc.PrivValidatorStateFile())
	// One lock per ABCI connection, not one for all: the mempool's CheckTx
	// runs on one core while consensus executes a block on the other. The
	// app guards what the two share (see abci.App). Checks stay one at a
	// time (see chain.broadcast); the API parses and verifies batches
	// beforehand, in parallel (abci.App.Prepare), so what runs one at a time
	// is only the checks against the state.
	comet, err := cmtnode.NewNode(cc, pv, nodeKey, proxy.NewConnSyncLocalClientCreator(app),
		cmtnode.DefaultGenesisDocProviderFunc(cc), dbProvider,
		cmtnode.DefaultMetricsProvider(cc.Instrumentation), cometLogger{n.log.With("module", "comet"), &n.stopping})
	if err != nil {
		return fmt.Errorf("node: creating consensus node: %w", err)
	}
	if err := comet.Start(); err != nil {
		return fmt.Errorf("node: starting consensus: %w", err)
	}
	n.comet = comet
	n.rpc = local.New(comet)
	g, err := state.LoadGenesis(n.db)
	if err != nil {
		return err
	}
	return n.serveAPI(g)
}

func (n *Node) serveAPI(g state.Genesis) error {
	ln, err := net.Listen("tcp", n.Config.API.Listen)
	if err != nil {
		return fmt.Errorf("node: api: %w", err)
	}
	n.apiAddr = ln.Addr().String()
	opts := []api.Option{api.ConsoleAliasKey(filepath.Join(n.home, aliaskey.FileName))}
	if where := n.Config.IndexDatabase(n.home); where != "" {
		// The index need not exist yet: peg index creates it, and the API
		// answers 503 until it can read it.
		r, err := query.Open(where, nil)
		if err != nil {
			ln.Close()
			return fmt.Errorf("node: index: %w", err)
		}
		n.index = r
		opts = append(opts, api.WithIndex(r))
	}
	n.handler = api.New(chain{n}, g, n.log.With("module", "api"), opts...)
	n.api = &http.Server{
		Handler:           n.handler,
		ReadHeaderTimeout: 10 * time.Second,
		// Longer than the API's own wait for a block, so that a submission
		// that waits is answered by the API, not cut off by the server.
		WriteTimeout: 2 * api.DefaultWait,
		IdleTimeout:  2 * time.Minute,
	}
	n.apiDone = make(chan error, 1)
	go func() { n.apiDone <- n.api.Serve(ln) }()
	n.log.Info("api listening", "url", n.APIURL())
	return nil
}

// APIURL is the base URL of the node's REST API.
func (n *Node) APIURL() string { return "http://" + n.apiAddr }

// Height is the last committed height.
func (n *Node) Height() uint64 { return n.db.Height() }

// AppHash is the app hash at Height.
func (n *Node) AppHash() []byte { return n.db.AppHash() }

// MarkStopping tells the node that it is about to stop, so that it logs
// what the stop itself causes as such, not as errors. Stop marks the node;
// a process that stops several nodes marks them all first, so that none
// takes its peers hanging up for a failure.
func (n *Node) MarkStopping() { n.stopping.Store(true) }

// Stop shuts the API, then consensus, then the store, in that order, and
// then releases the home.
func (n *Node) Stop() {
	n.MarkStopping()
	if n.api != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		// Shutdown does not wait for event streams, which never go idle:
		// closing the handler ends them before the store closes.
		n.handler.Close()
		_ = n.api.Shutdown(ctx)
		cancel()
		if err := <-n.apiDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("api stopped", "err", err)
		}
	}
	if n.index != nil {
		if err := n.index.Close(); err != nil {
			n.log.Error("closing the index", "err", err)
		}
	}
	if n.comet != nil && n.comet.IsRunning() {
		if err := n.comet.Stop(); err != nil {
			n.log.Error("stopping consensus", "err", err)
		}
		n.comet.Wait()
	}
	if err := n.db.Close(); err != nil {
		n.log.Error("closing store", "err", err)
	}
	if err := n.unlock(); err != nil {
		n.log.Error("unlocking the home", "err", err)
	}
}

// MaxBlockBytes is the consensus limit on a block, written into genesis: two
// of the largest batches (tx.MaxBatchSize), about 6,500 payments (peg bench,
// half with change). Bigger blocks do not commit more per second: a block is
// executed and committed while the next waits, so a 20 MiB block of 60,000
// payments holds the chain for seconds, and its larger maps and sorts cost
// more per payment (peg bench committed 7–8k/s with CometBFT's default of
// 21 MiB, 12.4–13.5k/s at 4 MiB and 12.7–14.3k/s at 2 MiB).
const MaxBlockBytes = 2 * tx.MaxBatchSize

// Limits of a node's mempool. An entry is a single transaction or a batch of
// up to tx.MaxBatchTxs, so the entry count alone does not bound its memory.
const (
	// MempoolSize bounds the entries the mempool holds.
	MempoolSize = 20_000
	// MempoolBytes is the default of the bytes it holds (mempool.max_bytes):
	// about 800,000 payments in batches, over a minute at full speed. A
	// smaller mempool bounds the wait for a block under overload, but
	// clients refused with 503 retry: at 64 MiB, peg bench's submitters
	// retried 1.6 million times in 600,000 payments, and the refused
	// requests cost the node more than the queue did.
	MempoolBytes = 256 << 20
)

// Block store settings: CometBFT writes each block whole, up to
// MaxBlockBytes, into its goleveldb block store. With goleveldb's 4 MiB
// write buffer and 2 MiB tables, a full block filled half a memtable and
// its compactions took 4.1 s of CPU in the sustained bench; with these, 0.95 s.
const (
	blockStoreWriteBuffer = 16 << 20
	blockStoreTableSize   = 8 << 20
)

// dbProvider opens CometBFT's databases as CometBFT does, but the block
// store, which takes every block, with a larger write buffer and tables.
// Its other stores take a few small records a block and keep goleveldb's
// defaults, which cost less memory.
func dbProvider(ctx *cmtcfg.DBContext) (dbm.DB, error) {
	if ctx.ID != "blockstore" || dbm.BackendType(ctx.Config.DBBackend) != dbm.GoLevelDBBackend {
		return cmtcfg.DefaultDBProvider(ctx)
	}
	return dbm.NewGoLevelDBWithOpts(ctx.ID, ctx.Config.DBDir(),
		&opt.Options{WriteBuffer: blockStoreWriteBuffer, CompactionTableSize: blockStoreTableSize})
}

// cometConfig maps Peg's config onto CometBFT's, which NewNode reads as a
// struct (never from a file).
func cometConfig(home string, c Config) (*cmtcfg.Config, error) {
	cc := cmtcfg.DefaultConfig()
	cc.SetRoot(home)
	cc.Moniker = c.Moniker
	cc.P2P.ListenAddress = c.P2P.Listen
	cc.P2P.PersistentPeers = c.P2P.PersistentPeers
	cc.P2P.AddrBookStrict = false // peers on loopback
	cc.P2P.AllowDuplicateIP = true
	cc.RPC.ListenAddress = c.RPC.Listen
	// Peg indexes its own receipts; CometBFT's indexer costs throughput.
	cc.TxIndex.Indexer = "null"
	// The mempool holds a few seconds of payments at full speed. Recheck is
	// off: CheckTx applies a transaction to the committed state in full, and
	// re-running that over the whole mempool after every block costs more
	// than it saves. A transaction that a later block made invalid (its coin
	// spent by another) is not dropped silently: it fails in its own block
	// with a stable code and a receipt.
	cc.Mempool.Size = MempoolSize
	cc.Mempool.MaxTxsBytes = c.Mempool.MaxBytes
	cc.Mempool.MaxTxBytes = tx.MaxBatchSize
	cc.Mempool.CacheSize = 2 * MempoolSize
	cc.Mempool.Recheck = false
	for _, d := range []struct {
		to   *time.Duration
		from string
	}{
		{&cc.Consensus.TimeoutPropose, c.Consensus.TimeoutPropose},
		{&cc.Consensus.TimeoutPrevote, c.Consensus.TimeoutPrevote},
		{&cc.Consensus.TimeoutPrecommit, c.Consensus.TimeoutPrecommit},
		{&cc.Consensus.TimeoutCommit, c.Consensus.TimeoutCommit},
	} {
		*d.to, _ = time.ParseDuration(d.from) // validated by LoadConfig
	}
	ei, _ := time.ParseDuration(c.Consensus.EmptyBlocksInterval)
	cc.Consensus.CreateEmptyBlocks = true
	cc.Consensus.CreateEmptyBlocksInterval = ei
	if err := cc.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("node: consensus config: %w", err)
	}
	return cc, nil
}
