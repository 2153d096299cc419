package abci

import (
	"context"
	"sync"

	abcicli "github.com/cometbft/cometbft/abci/client"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/proxy"
)

// NewClientCreator connects CometBFT to app in the same process. Each ABCI
// connection (consensus, mempool, query, snapshot) gets a lock of its own, so
// admission, block execution and queries run beside one another; and CheckTx
// takes no lock at all, so the mempool admits as many batches at once as the
// API hands it, parsing and verifying them on every core.
//
// That is sound because App.CheckTx is safe for concurrent use: it reads only
// the committed state, through a scratch block of its own, and CometBFT holds
// the mempool's lock across Commit, so no check overlaps a commit.
func NewClientCreator(app *App) proxy.ClientCreator { return creator{app} }

type creator struct{ app *App }

func (c creator) NewABCIClient() (abcicli.Client, error) {
	return &client{Client: abcicli.NewLocalClient(nil, c.app), app: c.app}, nil
}

// client is CometBFT's local client with CheckTxAsync, the mempool's call,
// made without the connection's lock.
type client struct {
	abcicli.Client
	app *App

	mu sync.RWMutex
	cb abcicli.Callback
}

func (c *client) SetResponseCallback(cb abcicli.Callback) {
	c.mu.Lock()
	c.cb = cb
	c.mu.Unlock()
	c.Client.SetResponseCallback(cb)
}

// CheckTxAsync checks the transaction at once, as the local client does, and
// answers through the connection's callback and the request's own.
func (c *client) CheckTxAsync(ctx context.Context, req *abcitypes.RequestCheckTx) (*abcicli.ReqRes, error) {
	res, err := c.app.CheckTx(ctx, req)
	if err != nil {
		return nil, err
	}
	rr := abcicli.NewReqRes(abcitypes.ToRequestCheckTx(req))
	rr.Response = abcitypes.ToResponseCheckTx(res)
	c.mu.RLock()
	cb := c.cb
	c.mu.RUnlock()
	if cb != nil {
		cb(rr.Request, rr.Response)
	}
	// Marks the request answered: a callback set later runs at once.
	rr.InvokeCallback()
	rr.Done()
	return rr, nil
}

// CheckTx is the synchronous form, without the lock either.
func (c *client) CheckTx(ctx context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	return c.app.CheckTx(ctx, req)
}
