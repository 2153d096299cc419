package ledger

// Attr is one key/value of an event.
type Attr struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Event is something a transaction did, for clients and indexers. It lives
// here, not in the state machine, because a transaction's receipt (its
// code and events) is also what a proof of the transaction carries to
// another chain or to a terminal (internal/proof).
type Event struct {
	Type  string `json:"type"`
	Attrs []Attr `json:"attrs"`
}
