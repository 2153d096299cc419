package node

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	dbm "github.com/cometbft/cometbft-db"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtstore "github.com/cometbft/cometbft/store"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/pegledger/peg/internal/abci"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/state"
	"github.com/pegledger/peg/internal/store"
)

// MaxReplayDiffs bounds the differing keys an audit lists when the replayed
// state and the node's state disagree: the first few say where to look.
const MaxReplayDiffs = 10

// AuditReport is the outcome of auditing a stopped node's data (Audit).
type AuditReport struct {
	Height  uint64 // the height of the node's committed state
	AppHash []byte // the app hash the node's store holds for it
	// State is the audit of the money invariants over the node's state.
	State state.AuditReport
	// Replay is the recomputation of the app hash from the block history.
	Replay ReplayReport
}

// OK reports whether neither the invariants nor the replay found a problem.
func (r AuditReport) OK() bool { return r.State.OK() && r.Replay.OK() }

// ReplayReport is what replaying a node's blocks found.
type ReplayReport struct {
	Blocks      int64 // blocks replayed
	BlockHeight int64 // the last block in the node's block store
	// AppHash is the replayed app hash at the node's committed height.
	AppHash  []byte
	Problems []string
}

// OK reports whether the replay agreed with the node at every height.
func (r ReplayReport) OK() bool { return len(r.Problems) == 0 }

func (r *ReplayReport) problem(format string, args ...any) {
	if len(r.Problems) < state.MaxAuditProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Audit checks the data of the stopped node at home. It runs the money
// invariants (state.Audit) over the node's committed state, then recomputes
// the app hash: it replays every block of the node's CometBFT block store,
// from the genesis file, through a fresh application on a temporary store,
// and compares the replayed app hash after each block with the one the next
// block's header carries, and at the node's committed height with the stored
// app hash and the stored state, key by key.
//
// Both stores are opened while the node is stopped: the block store read-only,
// the state store as the node opens it. A running node holds their locks, and
// Audit fails saying so.
func Audit(home string, log *slog.Logger) (AuditReport, error) {
	var rep AuditReport
	cfg, err := LoadConfig(home)
	if err != nil {
		return rep, err
	}
	region, _ := ledger.ParseRegion(cfg.Region) // validated by LoadConfig
	dir := filepath.Join(home, AppDataDir)
	if _, err := os.Stat(dir); err != nil {
		return rep, fmt.Errorf("node: audit: no state store: %w", err)
	}
	db, err := store.Open(dir, log.With("module", "store"))
	if err != nil {
		return rep, fmt.Errorf("node: audit: %w (is the node still running?)", err)
	}
	defer db.Close()
	if !db.Initialized() {
		return rep, fmt.Errorf("node: audit: %s holds no committed state", dir)
	}
	rep.Height, rep.AppHash = db.Height(), db.AppHash()
	snap := db.Snapshot()
	defer snap.Close()
	if rep.State, err = state.Audit(snap, region); err != nil {
		return rep, err
	}
	blocks, closeBlocks, err := openBlockStore(home, cfg)
	if err != nil {
		return rep, err
	}
	defer closeBlocks()
	doc, err := cmttypes.GenesisDocFromFile(filepath.Join(home, GenesisFile))
	if err != nil {
		return rep, fmt.Errorf("node: audit: %w", err)
	}
	rep.Replay, err = replay(doc, region, blocks, snap, log)
	return rep, err
}

// openBlockStore opens the node's CometBFT block store read-only.
func openBlockStore(home string, cfg Config) (*cmtstore.BlockStore, func(), error) {
	cc, err := cometConfig(home, cfg)
	if err != nil {
		return nil, nil, err
	}
	if cc.DBBackend != string(dbm.GoLevelDBBackend) {
		return nil, nil, fmt.Errorf("node: audit reads a goleveldb block store, not %s", cc.DBBackend)
	}
	if _, err := os.Stat(filepath.Join(cc.DBDir(), "blockstore.db")); err != nil {
		return nil, nil, fmt.Errorf("node: audit: no block store: %w", err)
	}
	db, err := dbm.NewGoLevelDBWithOpts("blockstore", cc.DBDir(), &opt.Options{ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("node: audit: opening the block store: %w (is the node still running?)", err)
	}
	return cmtstore.NewBlockStore(db), func() { db.Close() }, nil
}

// replay runs the blocks through a fresh application and compares it with
// the node: the headers' app hashes and, at the node's committed height, the
// stored app hash and state.
func replay(doc *cmttypes.GenesisDoc, region ledger.Region, blocks *cmtstore.BlockStore, node *store.Snapshot, log *slog.Logger) (ReplayReport, error) {
	rep := ReplayReport{BlockHeight: blocks.Height()}
	tmp, err := os.MkdirTemp("", "peg-audit-*")
	if err != nil {
		return rep, fmt.Errorf("node: audit: %w", err)
	}
	defer os.RemoveAll(tmp)
	fresh, err := store.Open(tmp, log.With("module", "replay-store"))
	if err != nil {
		return rep, err
	}
	defer fresh.Close()
	app, err := abci.New(fresh, doc.ChainID, region, slog.New(slog.DiscardHandler))
	if err != nil {
		return rep, err
	}
	ctx := context.Background()
	res, err := app.InitChain(ctx, &abcitypes.RequestInitChain{Time: doc.GenesisTime, ChainId: doc.ChainID,
		InitialHeight: doc.InitialHeight, AppStateBytes: doc.AppState})
	if err != nil {
		return rep, fmt.Errorf("node: audit: replaying genesis: %w", err)
	}
	if base := blocks.Base(); rep.BlockHeight > 0 && base != doc.InitialHeight {
		return rep, fmt.Errorf("node: audit: the block store starts at height %d; a replay needs every block from %d", base, doc.InitialHeight)
	}
	if int64(node.Height) > rep.BlockHeight {
		rep.problem("the state is at height %d, beyond the block store's last block %d", node.Height, rep.BlockHeight)
	}
	prev := res.AppHash
	diverged := false
	for h := doc.InitialHeight; ; h++ {
		if uint64(h-1) == node.Height {
			if err := compareState(&rep, fresh, node); err != nil {
				return rep, err
			}
		}
		if h > rep.BlockHeight {
			break
		}
		b, err := loadBlock(blocks, h)
		if err != nil {
			return rep, err
		}
		if !diverged && !bytes.Equal(b.AppHash, prev) {
			rep.problem("height %d: the replay's app hash is %X; block %d's header carries %X", h-1, prev, h, []byte(b.AppHash))
			diverged = true // every later hash chains this one
		}
		if prev, err = replayBlock(ctx, app, b); err != nil {
			return rep, err
		}
		rep.Blocks++
	}
	return rep, nil
}

// compareState compares the replayed state with the node's at the node's
// committed height: the stored app hash, then every key.
func compareState(rep *ReplayReport, fresh *store.DB, node *store.Snapshot) error {
	rep.AppHash = fresh.AppHash()
	if !bytes.Equal(rep.AppHash, node.AppHash) {
		rep.problem("height %d: the replay's app hash is %X; the node's store holds %X", node.Height, rep.AppHash, node.AppHash)
	}
	snap := fresh.Snapshot()
	defer snap.Close()
	diffs, err := state.Diff(node, snap, MaxReplayDiffs)
	if err != nil {
		return err
	}
	for _, d := range diffs {
		rep.problem("height %d: the node's state and the replay's differ: key %s", node.Height, d)
	}
	return nil
}

// loadBlock reads a block, turning the panic of a corrupt record into an
// error.
func loadBlock(blocks *cmtstore.BlockStore, h int64) (b *cmttypes.Block, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("node: audit: block %d is corrupt: %v", h, v)
		}
	}()
	if b = blocks.LoadBlock(h); b == nil {
		return nil, fmt.Errorf("node: audit: the block store lacks block %d", h)
	}
	return b, nil
}

// replayBlock finalizes and commits b as consensus did, and returns the app
// hash after it.
func replayBlock(ctx context.Context, app *abci.App, b *cmttypes.Block) ([]byte, error) {
	res, err := app.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{
		Hash: b.Hash(), NextValidatorsHash: b.NextValidatorsHash, ProposerAddress: b.ProposerAddress,
		Height: b.Height, Time: b.Time, Txs: b.Txs.ToSliceOfBytes(),
	})
	if err != nil {
		return nil, fmt.Errorf("node: audit: replaying block %d: %w", b.Height, err)
	}
	if _, err := app.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		return nil, fmt.Errorf("node: audit: committing block %d: %w", b.Height, err)
	}
	return res.AppHash, nil
}
