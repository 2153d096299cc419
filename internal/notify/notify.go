// Package notify owns the information service's rules (S1.6): which
// committed events concern an account, under which stable notification type,
// and whether the account has something to do. It also owns the cursor that
// places a notification in the chain, so that a reader resumes after the last
// one it took and misses none. The package is pure: it reads events a caller
// hands it and does no I/O.
package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
)

// Cursor is a place in the chain's events: the block Height and the Index of
// an event among those of the block's accepted receipts, counted from 0 in
// block order. A cursor names where reading starts: the notification with
// that place, if any, comes first. Its text is "HEIGHT.INDEX", which clients
// treat as opaque.
type Cursor struct {
	Height int64
	Index  int
}

// Start is the cursor of the chain's first event.
var Start = Cursor{Height: 1}

// String is the cursor's text.
func (c Cursor) String() string { return strconv.FormatInt(c.Height, 10) + "." + strconv.Itoa(c.Index) }

// Less reports whether c comes before d.
func (c Cursor) Less(d Cursor) bool {
	return c.Height < d.Height || c.Height == d.Height && c.Index < d.Index
}

// MaxIndex bounds a cursor's index: no block carries more events (a block is
// at most a few megabytes, an event tens of bytes at least).
const MaxIndex = 1 << 24

// ParseCursor reads a cursor's text, or a notification's id, which is the
// cursor of the notification itself.
func ParseCursor(s string) (Cursor, error) {
	hs, is, ok := strings.Cut(s, ".")
	h, herr := strconv.ParseInt(hs, 10, 64)
	i, ierr := strconv.Atoi(is)
	switch {
	case !ok || herr != nil || ierr != nil || !canonical(hs) || !canonical(is):
		return Cursor{}, fmt.Errorf("notify: cursor %.40q: want HEIGHT.INDEX, as a page's next or a notification's id", s)
	case h < 1:
		return Cursor{}, fmt.Errorf("notify: cursor %.40q: the height is from 1", s)
	case i < 0 || i >= MaxIndex:
		return Cursor{}, fmt.Errorf("notify: cursor %.40q: the index is from 0 to %d", s, MaxIndex-1)
	}
	return Cursor{Height: h, Index: i}, nil
}

// canonical reports whether s is a number as String writes it: digits only,
// without a leading zero, so that one place has one text.
func canonical(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// After is the cursor just after the notification with id, where a reader
// that took it resumes.
func After(id string) (Cursor, error) {
	c, err := ParseCursor(id)
	if err != nil {
		return Cursor{}, err
	}
	if c.Index == MaxIndex-1 {
		return Cursor{Height: c.Height + 1}, nil
	}
	return Cursor{Height: c.Height, Index: c.Index + 1}, nil
}

// Receipt is what notifications are made of: an accepted transaction of a
// block and the events its receipt carries, in order.
type Receipt struct {
	TxID   ledger.TxID
	Events []ledger.Event
}

// Block is a committed block's accepted receipts, in block order.
type Block struct {
	Height   int64
	Time     time.Time
	Receipts []Receipt
}

// For returns account's notifications in b at or after from, in order.
func For(account ledger.Address, b Block, from Cursor) []client.Notification {
	acct := account.String()
	var out []client.Notification
	index := 0
	for _, rc := range b.Receipts {
		for _, e := range rc.Events {
			at := Cursor{Height: b.Height, Index: index}
			index++
			if at.Less(from) {
				continue
			}
			attrs := make(map[string]string, len(e.Attrs))
			for _, a := range e.Attrs {
				attrs[a.Key] = a.Value
			}
			n, ok := judge(acct, e.Type, attrs, rc.Events)
			if !ok {
				continue
			}
			n.ID, n.Account, n.Event, n.Height, n.Time, n.TxID, n.Attrs = at.String(), account, e.Type, b.Height, b.Time.UTC(), rc.TxID, attrs
			out = append(out, n)
		}
	}
	return out
}
