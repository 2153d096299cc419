package trade

import (
	"os"
	"strings"
	"testing"
)

// TestTableMatchesDocs holds Table and the table in docs/transactions.md
// together, row for row.
func TestTableMatchesDocs(t *testing.T) {
	b, err := os.ReadFile("../../docs/transactions.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "<!-- trade table: internal/trade.Table -->")
	end := strings.Index(doc, "<!-- end trade table -->")
	if start < 0 || end < start {
		t.Fatal("docs/transactions.md has no trade table between its markers")
	}
	var got []string
	for _, line := range strings.Split(doc[start:end], "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| From ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		got = append(got, strings.Join(cells, " / "))
	}
	var want []string
	for _, tr := range Table {
		want = append(want, strings.Join([]string{string(tr.From), string(tr.Step), string(tr.By), string(tr.When), string(tr.To)}, " / "))
	}
	if len(got) != len(want) {
		t.Fatalf("the docs' table has %d rows, Table %d:\n%s\nwant\n%s", len(got), len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: the docs say %q, Table %q", i+1, got[i], want[i])
		}
	}
}

// TestTableShape checks the table's own rules: one row per state and step,
// no row out of a closed state, every open state reachable and able to
// close (or move on).
func TestTableShape(t *testing.T) {
	seen := make(map[string]bool)
	reached := map[State]bool{None: true}
	leaves := make(map[State]bool)
	for _, tr := range Table {
		k := string(tr.From) + "/" + string(tr.Step)
		if seen[k] {
			t.Errorf("two rows for %s", k)
		}
		seen[k] = true
		if tr.From.Closed() {
			t.Errorf("a row leaves the closed state %s", tr.From)
		}
		reached[tr.To] = true
		leaves[tr.From] = true
	}
	for _, s := range []State{Offered, Accepted, Funded, Shipped, Confirmed, Disputed, Settled, Refunded, Resolved, Cancelled} {
		if !reached[s] {
			t.Errorf("no row leads to %s", s)
		}
		if !s.Closed() && !leaves[s] {
			t.Errorf("%s is open, yet no row leaves it", s)
		}
	}
}
