package client

import "context"

// Audit is what GET /v1/audit answers: the money invariants recomputed from a
// running node's committed state (every token's unspent coins sum to its
// supply, no coin is both spent and unspent, every coin's owner and token
// exist, supply within the cap). It does not recompute the app hash: that
// needs a replay of the whole block history, which `peg audit --home` does on
// a stopped node; AppHashReplayed says so.
type Audit struct {
	// Height and AppHash (hex) are those of the committed state audited.
	Height  uint64 `json:"height"`
	AppHash string `json:"app_hash"`
	OK      bool   `json:"ok"`
	Tokens  int    `json:"tokens"`
	Coins   int    `json:"coins"`
	Spent   int    `json:"spent"`
	// Problems lists each broken invariant, at most MaxAuditProblems of them.
	Problems []string `json:"problems"`
	// AppHashReplayed is false: the API checks the invariants only.
	AppHashReplayed bool `json:"app_hash_replayed"`
}

// MaxAuditProblems is the most problems one audit lists.
const MaxAuditProblems = 100

// Audit asks a running node to audit its committed state (GET /v1/audit).
func (c *Client) Audit(ctx context.Context) (*Audit, error) {
	var a Audit
	if err := c.get(ctx, "/v1/audit", nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}
