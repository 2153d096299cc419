package region

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pegledger/peg/internal/ledger"
)

// MaxRoutes bounds the entries of a routing table, phones and IDs together:
// a country's area codes are a few hundred, and a table is read whole by
// every front processor.
const MaxRoutes = 4096

// Route is one entry of a routing table: values that start with Prefix are
// held by Region's chain.
//
// A phone prefix is written as a phone number is, "+" and 1 to 15 digits
// ("+44", "+4420"); an ID prefix is a country code, optionally with a hyphen
// and the leading digits of the number ("CN", "CN-31").
type Route struct {
	Kind   Kind
	Prefix string
	Region ledger.Region
}

// Table is a validated routing table (S2.3): which region's chain holds the
// alias of a value, by its longest matching prefix. Phones and IDs are
// separate prefix spaces. A Table is immutable and safe to share.
type Table struct {
	routes map[Kind]map[string]ledger.Region
	// longest is the longest prefix of each kind, in matched characters.
	longest map[Kind]int
}

// ErrNoRoute is the error of Route for a value no prefix matches.
var ErrNoRoute = errors.New("region: no route")

// NewTable validates routes and builds their table: every prefix well
// formed and listed once within its kind, every region a region code, at
// most MaxRoutes entries. Every problem is reported at once.
func NewTable(routes []Route) (*Table, error) {
	if len(routes) > MaxRoutes {
		return nil, fmt.Errorf("region: %d routes, at most %d", len(routes), MaxRoutes)
	}
	t := &Table{
		routes:  map[Kind]map[string]ledger.Region{Phone: {}, ID: {}},
		longest: map[Kind]int{},
	}
	var errs []error
	for i, r := range routes {
		key, err := prefixKey(r.Kind, r.Prefix)
		if err == nil {
			_, err = ledger.ParseRegion(string(r.Region))
		}
		if err == nil {
			if _, dup := t.routes[r.Kind][key]; dup {
				err = fmt.Errorf("%s prefix %q is listed twice", r.Kind, r.Prefix)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("route %d: %w", i+1, err))
			continue
		}
		t.routes[r.Kind][key] = r.Region
		t.longest[r.Kind] = max(t.longest[r.Kind], len(key))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

// prefixKey is the form of a prefix that Value.digits starts with.
func prefixKey(k Kind, p string) (string, error) {
	switch k {
	case Phone:
		if !strings.HasPrefix(p, "+") {
			return "", fmt.Errorf("phone prefix %q does not start with +", p)
		}
		d, err := phoneDigits(p[1:])
		if err != nil {
			return "", fmt.Errorf("phone prefix %q %s", p, err)
		}
		return d, nil
	case ID:
		country, number, _ := strings.Cut(p, "-")
		if len(country) != 2 || !isLetter(country[0]) || !isLetter(country[1]) {
			return "", fmt.Errorf("id prefix %q does not start with a country code in capitals such as CN", p)
		}
		if len(number) > MaxIDDigits || strings.Trim(number, "0123456789") != "" || (strings.Contains(p, "-") && number == "") {
			return "", fmt.Errorf("id prefix %q: after the country and a hyphen, 1 to %d digits of the number", p, MaxIDDigits)
		}
		return country + number, nil
	}
	return "", fmt.Errorf("unknown kind %d", uint8(k))
}

// Route returns the region whose chain holds v's alias: the region of the
// longest prefix v starts with, or an error wrapping ErrNoRoute.
func (t *Table) Route(v Value) (ledger.Region, error) {
	r, _, err := t.Match(v)
	return r, err
}

// Match is Route, with the prefix that matched, as it is written in the table.
func (t *Table) Match(v Value) (ledger.Region, string, error) {
	d := v.digits()
	for n := min(len(d), t.longest[v.kind]); n > 0; n-- {
		if r, ok := t.routes[v.kind][d[:n]]; ok {
			return r, written(v.kind, d[:n]), nil
		}
	}
	return "", "", fmt.Errorf("%w for %s %s: no prefix of the routing table matches it", ErrNoRoute, v.kind, v)
}

// written is the table's form of a prefix key.
func written(k Kind, key string) string {
	if k == Phone {
		return "+" + key
	}
	if len(key) == 2 {
		return key
	}
	return key[:2] + "-" + key[2:]
}

// Len is the number of routes of kind k.
func (t *Table) Len(k Kind) int { return len(t.routes[k]) }
