package bank

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pegledger/peg/internal/money"
)

const dirIBAN = "DE89370400440532013000"

// writeDir makes a statement directory holding files (name to content; a
// name ending in "/" is made a directory).
func writeDir(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		path := filepath.Join(dir, name)
		var err error
		if strings.HasSuffix(name, "/") {
			err = os.Mkdir(path, 0o755)
		} else {
			err = os.WriteFile(path, data, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCamtDir(t *testing.T) {
	v02 := fixture(t, "camt/camt053_v02.xml")                                               // created 2025-03-13, CLBD 1000000.00
	v04 := fixture(t, "camt/camt053_v04.xml")                                               // created 2025-03-14 20:30Z, CLBD 987654.32
	v08 := fixture(t, "camt/camt053_v08.xml")                                               // created 2025-03-15 20:00Z, CLBD 1250000.00
	rpt := fixture(t, "camt/camt052_v02.xml", "2025-03-14T10:00:05", "2025-03-14T22:00:00") // a report after v04's statement
	v04small := fixture(t, "camt/camt053_v04.xml", "987654.32", "111.11")
	v08neg := fixture(t, "camt/camt053_v08.xml", v08CLBD, strings.Replace(v08CLBD, "CRDT", "DBIT", 1))
	v04neg := fixture(t, "camt/camt053_v04.xml", "<CdtDbtInd>CRDT</CdtDbtInd>\n        <Dt>\n          <Dt>2025-03-14</Dt>\n        </Dt>\n      </Bal>\n      <Ntry>",
		"<CdtDbtInd>DBIT</CdtDbtInd>\n        <Dt>\n          <Dt>2025-03-14</Dt>\n        </Dt>\n      </Bal>\n      <Ntry>")
	v08chf := fixture(t, "camt/camt053_v08.xml", "<Ccy>EUR</Ccy>", "<Ccy>CHF</Ccy>")
	other := fixture(t, "camt/camt053_v08.xml", dirIBAN, "DE02120300000000202051")
	c054 := fixture(t, "camt/camt053_v08.xml", "camt.053.001.08", "camt.054.001.08")
	big := append(bytes.Repeat([]byte(" "), 9000), v04...)

	for _, tc := range []struct {
		name     string
		files    map[string][]byte
		cfg      func(*CamtDirConfig)
		file     string // the file chosen
		want     uint64
		wantType string
		skipped  map[string]error
		err      error
		overdraw uint64
	}{
		{name: "newest by creation time, not by name",
			files: map[string][]byte{"a.xml": v08, "m.xml": v02, "z.xml": v04},
			file:  "a.xml", want: 125000000, wantType: "CLBD"},
		{name: "same creation time: the greater name",
			files: map[string][]byte{"stmt-1.xml": v04, "stmt-2.xml": v04small},
			file:  "stmt-2.xml", want: 11111, wantType: "CLBD"},
		{name: "an intraday report newer than the statement",
			files: map[string][]byte{"eod.xml": v04, "intraday.XML": rpt},
			file:  "intraday.XML", want: 100010000, wantType: "ITBD"},
		{name: "skips and says why",
			files: map[string][]byte{
				"good.xml": v04, "other.xml": other, "garbage.xml": []byte("<html>"), "notes.txt": []byte("hello"),
				"camt054.xml": c054, "big.xml": big, "archive.xml/": nil, ".upload.xml": []byte("<Document"),
			},
			cfg:  func(c *CamtDirConfig) { c.MaxFileBytes = 8000 },
			file: "good.xml", want: 98765432, wantType: "CLBD",
			skipped: map[string]error{
				"archive.xml": ErrMalformed, "big.xml": ErrMalformed, "camt054.xml": ErrMalformed,
				"garbage.xml": ErrMalformed, "notes.txt": ErrMalformed, "other.xml": ErrWrongAccount,
			}},
		{name: "a newer file in the wrong currency: the older valid one, reported",
			files: map[string][]byte{"new.xml": v08chf, "old.xml": v04},
			file:  "old.xml", want: 98765432, wantType: "CLBD",
			skipped: map[string]error{"new.xml": ErrWrongCurrency}},
		{name: "the newest is negative",
			files: map[string][]byte{"new.xml": v08neg, "old.xml": v04},
			file:  "new.xml", err: ErrNegative, overdraw: 125000000},
		{name: "an older negative does not matter",
			files: map[string][]byte{"new.xml": v08, "old.xml": v04neg},
			file:  "new.xml", want: 125000000, wantType: "CLBD"},
		{name: "nothing valid",
			files:   map[string][]byte{"other.xml": other, "garbage.xml": []byte("{}")},
			err:     ErrNoBalance,
			skipped: map[string]error{"other.xml": ErrWrongAccount, "garbage.xml": ErrMalformed}},
		{name: "empty directory", files: map[string][]byte{}, err: ErrNoBalance},
		{name: "too many files", files: map[string][]byte{"a.xml": v02, "b.xml": v04, "c.xml": v08},
			cfg: func(c *CamtDirConfig) { c.MaxFiles = 2 }, err: ErrUnavailable},
		{name: "directory missing", cfg: func(c *CamtDirConfig) { c.Dir = filepath.Join(c.Dir, "gone") }, err: ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := CamtDirConfig{Dir: writeDir(t, tc.files), Account: dirIBAN, Currency: "EUR"}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			d, err := NewCamtDir(cfg)
			if err != nil {
				t.Fatal(err)
			}
			s, err := d.Scan(context.Background())
			checkResult(t, s.Balance, err, tc.want, tc.wantType, "", tc.err, nil, tc.overdraw)
			if s.File != tc.file {
				t.Errorf("File = %q, want %q", s.File, tc.file)
			}
			if len(s.Skipped) != len(tc.skipped) {
				t.Errorf("skipped %v, want %v", s.Skipped, tc.skipped)
			}
			for _, sk := range s.Skipped {
				if want, ok := tc.skipped[sk.Name]; !ok || !errors.Is(sk.Err, want) {
					t.Errorf("skipped %s: %v, want %v", sk.Name, sk.Err, want)
				}
			}
			if tc.err == nil && (s.Message == "" || s.Created.IsZero()) {
				t.Errorf("Scan = %+v, want Message and Created", s)
			}
		})
	}
}

func TestCamtDirBalanceLogsSkipped(t *testing.T) {
	dir := writeDir(t, map[string][]byte{
		"good.xml":    fixture(t, "camt/camt053_v04.xml"),
		"garbage.xml": []byte("not xml"),
		"other.xml":   fixture(t, "camt/camt053_v04.xml", dirIBAN, "DE02120300000000202051"),
	})
	var logs bytes.Buffer
	d, err := NewCamtDir(CamtDirConfig{
		Dir: dir, Account: dirIBAN, Currency: "EUR",
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Balance(context.Background())
	if err != nil || b.Amount != money.FromUint64(98765432) || b.Account != dirIBAN {
		t.Fatalf("Balance = %+v, %v", b, err)
	}
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "file=garbage.xml") ||
		!strings.Contains(out, "level=DEBUG") || !strings.Contains(out, "file=other.xml") {
		t.Errorf("log:\n%s", out)
	}
	if !bytes.Equal(b.Raw, fixture(t, "camt/camt053_v04.xml")) {
		t.Error("Raw is not the file")
	}
	if d.Name() != "camt:"+dir {
		t.Errorf("Name = %q", d.Name())
	}
}

func TestCamtDirCancelled(t *testing.T) {
	dir := writeDir(t, map[string][]byte{"good.xml": fixture(t, "camt/camt053_v04.xml")})
	d, err := NewCamtDir(CamtDirConfig{Dir: dir, Account: dirIBAN, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Balance(ctx); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrUnavailable and context.Canceled", err)
	}
}

// TestCamtDirNoneValidSaysWhy: when no file gives a balance, the error
// names every skipped file with its reason, files of our account first,
// and stays bounded however many files and however long their reasons.
func TestCamtDirNoneValidSaysWhy(t *testing.T) {
	other := fixture(t, "camt/camt053_v04.xml", dirIBAN, "DE02120300000000202051")
	scan := func(t *testing.T, files map[string][]byte) error {
		t.Helper()
		d, err := NewCamtDir(CamtDirConfig{Dir: writeDir(t, files), Account: dirIBAN, Currency: "EUR"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Scan(context.Background())
		if !errors.Is(err, ErrNoBalance) || errors.Is(err, ErrMalformed) || errors.Is(err, ErrWrongAccount) {
			t.Fatalf("err = %v, want ErrNoBalance alone", err)
		}
		return err
	}

	t.Run("each file and its reason", func(t *testing.T) {
		err := scan(t, map[string][]byte{
			"garbage.xml": []byte("<html>"), "notes.txt": []byte("hello"), "other.xml": other,
			"camt054.xml": fixture(t, "camt/camt053_v08.xml", "camt.053.001.08", "camt.054.001.08"),
			"chf.xml":     fixture(t, "camt/camt053_v08.xml", "<Ccy>EUR</Ccy>", "<Ccy>CHF</Ccy>"),
		})
		for _, want := range []string{
			"among 5 skipped (camt054.xml: ",
			"camt054.xml: namespace \"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\" is not camt.052 or camt.053",
			"chf.xml: account currency \"CHF\", want EUR",
			"garbage.xml: not an XML document",
			"notes.txt: not an .xml file",
			"other.xml: for account DE02120300000000202051, want " + dirIBAN,
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v\nwant it to say %q", err, want)
			}
		}
	})
	t.Run("another account's files last", func(t *testing.T) {
		files := map[string][]byte{"z.xml": []byte("<html>")}
		for i := range MaxSkippedInError + 3 {
			files[fmt.Sprintf("a%02d.xml", i)] = other
		}
		err := scan(t, files)
		if !strings.Contains(err.Error(), "skipped (z.xml: not an XML document") || !strings.HasSuffix(err.Error(), "; and 4 more): "+ErrNoBalance.Error()) {
			t.Errorf("err = %v, want z.xml first and 4 more", err)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		long := []byte("<" + strings.Repeat("é", 5000) + "></b>") // a syntax error quoting the element
		files := map[string][]byte{}
		for i := range DefaultMaxFiles {
			files[fmt.Sprintf("bad-%04d.xml", i)] = []byte("<a></b>")
			if i < MaxSkippedInError {
				files[fmt.Sprintf("bad-%04d.xml", i)] = long
			}
		}
		err := scan(t, files)
		msg := err.Error()
		if len(msg) > 4096 || !utf8.ValidString(msg) {
			t.Errorf("error of %d bytes (valid UTF-8: %v), want at most 4096", len(msg), utf8.ValidString(msg))
		}
		if n := strings.Count(msg, ".xml: "); n != MaxSkippedInError {
			t.Errorf("error names %d files, want %d", n, MaxSkippedInError)
		}
		if !strings.Contains(msg, "bad-0000.xml: not an XML document") || !strings.Contains(msg, fmt.Sprintf("; and %d more): ", DefaultMaxFiles-MaxSkippedInError)) {
			t.Errorf("err = %.600s…", msg)
		}
	})
	t.Run("empty", func(t *testing.T) {
		if err := scan(t, map[string][]byte{".partial.xml": []byte("<Doc")}); !strings.Contains(err.Error(), "the directory holds no file to read") {
			t.Errorf("err = %v", err)
		}
	})
}
