package bank

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of a statement directory.
const (
	// DefaultMaxFileBytes bounds one camt file read into memory (and
	// hashed). A reserve account's daily statement is kilobytes; a busy
	// account's runs to megabytes.
	DefaultMaxFileBytes = 64 << 20
	// MaxFileBytesCeiling is the largest MaxFileBytes a config may set.
	MaxFileBytesCeiling = 1 << 30
	// DefaultMaxFiles bounds the directory entries read per scan, so a
	// directory nobody cleans cannot make every poll slower.
	DefaultMaxFiles = 1000
	// MaxFilesCeiling is the largest MaxFiles a config may set.
	MaxFilesCeiling = 100000
	// MaxSkippedInError bounds the skipped files that the error of a scan
	// with no valid file names with their reasons, so that a directory of
	// a thousand bad files gives an error of a few kilobytes; the others
	// are counted (CamtScan.Skipped holds them all).
	MaxSkippedInError = 8
	// maxReasonLen bounds one skipped file's reason in that error: a
	// reason may quote the file (an XML syntax error names its elements).
	maxReasonLen = 240
)

// CamtDirConfig configures a connector that reads ISO 20022 camt.053
// statements and camt.052 intraday reports that the bank (or an SFTP job)
// drops into a directory.
type CamtDirConfig struct {
	// Dir is the directory. Every regular *.xml file in it is read; names
	// starting with "." (files still being written, by convention) are
	// ignored; any other file is reported as skipped.
	Dir string
	// Account is the reserve account as statements identify it: an IBAN
	// (compared without spaces, in upper case) or the Othr/Id.
	Account string
	// Currency is the ISO 4217 code the account is held in.
	Currency string
	// StatementCodes is the balance preference for camt.053 (first present
	// wins); empty means DefaultStatementCodes.
	StatementCodes []string
	// ReportCodes is the balance preference for camt.052; empty means
	// DefaultReportCodes.
	ReportCodes []string
	// MaxFileBytes bounds one file; zero means DefaultMaxFileBytes.
	MaxFileBytes int64
	// MaxFiles bounds the entries of Dir; a directory holding more is an
	// error (move old statements away); zero means DefaultMaxFiles.
	MaxFiles int
	// Logger, when set, receives a line for each skipped file on every
	// Balance call.
	Logger *slog.Logger
}

// Validate reports the first problem of the config, or nil. It does not
// look at the file system.
func (c *CamtDirConfig) Validate() error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("bank: camt directory config: %w", err)
	}
	return nil
}

func (c *CamtDirConfig) validate() error {
	if c.Dir == "" {
		return errors.New("dir, the directory to read, is required")
	}
	if err := checkIdent("Account", c.Account, MaxAccountLen); err != nil {
		return err
	}
	if _, err := checkCurrency(c.Currency); err != nil {
		return err
	}
	if err := checkTypes("StatementCodes", c.StatementCodes, camtCodes); err != nil {
		return err
	}
	if err := checkTypes("ReportCodes", c.ReportCodes, camtCodes); err != nil {
		return err
	}
	if c.MaxFileBytes < 0 || c.MaxFileBytes > MaxFileBytesCeiling {
		return fmt.Errorf("MaxFileBytes %d is outside 0 (default %d) to %d", c.MaxFileBytes, DefaultMaxFileBytes, MaxFileBytesCeiling)
	}
	if c.MaxFiles < 0 || c.MaxFiles > MaxFilesCeiling {
		return fmt.Errorf("MaxFiles %d is outside 0 (default %d) to %d", c.MaxFiles, DefaultMaxFiles, MaxFilesCeiling)
	}
	return nil
}

// CamtDir reads the newest valid camt.052/camt.053 file for one account
// from a directory.
type CamtDir struct {
	cfg  CamtDirConfig // defaults applied
	want camtWant
	name string
}

var _ Connector = (*CamtDir)(nil)

// NewCamtDir validates cfg and returns its connector.
func NewCamtDir(cfg CamtDirConfig) (*CamtDir, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.StatementCodes = append([]string(nil), orDefaultSlice(cfg.StatementCodes, DefaultStatementCodes)...)
	cfg.ReportCodes = append([]string(nil), orDefaultSlice(cfg.ReportCodes, DefaultReportCodes)...)
	cfg.MaxFileBytes = orDefault(cfg.MaxFileBytes, DefaultMaxFileBytes)
	cfg.MaxFiles = orDefault(cfg.MaxFiles, DefaultMaxFiles)
	cur, _ := checkCurrency(cfg.Currency)
	return &CamtDir{
		cfg: cfg,
		want: camtWant{
			account: cfg.Account, currency: cur,
			statementCodes: cfg.StatementCodes, reportCodes: cfg.ReportCodes,
		},
		name: "camt:" + cfg.Dir,
	}, nil
}

// Name is "camt:" followed by the directory.
func (d *CamtDir) Name() string { return d.name }

// SkippedFile is a file of the directory that gave no balance, and why. Err
// wraps the package's sentinel errors (ErrWrongAccount for a statement of
// another account, ErrMalformed for a broken or unsupported file …).
type SkippedFile struct {
	Name string
	Err  error
}

// CamtScan is the result of reading a statement directory.
type CamtScan struct {
	File    string    // the file the balance comes from
	Message string    // its message and version, e.g. "camt.053.001.08"
	Created time.Time // its GrpHdr/CreDtTm
	Balance Balance
	Skipped []SkippedFile // in name order
}

// Balance scans the directory and returns the balance of the newest valid
// file for the account, logging the files it skipped.
func (d *CamtDir) Balance(ctx context.Context) (Balance, error) {
	s, err := d.Scan(ctx)
	if d.cfg.Logger != nil {
		for _, sk := range s.Skipped {
			level := slog.LevelWarn
			if errors.Is(sk.Err, ErrWrongAccount) {
				level = slog.LevelDebug // another account's statement: expected in a shared directory
			}
			d.cfg.Logger.Log(ctx, level, "bank: skipped camt file", "connector", d.name, "file", sk.Name, "err", sk.Err)
		}
	}
	return s.Balance, err
}

// Scan reads every candidate file and picks the newest valid one for the
// account: the latest GrpHdr/CreDtTm, then the greatest file name. A file
// whose balance is negative is valid: if it is the newest, Scan returns its
// *NegativeError, with File, Message and Created set. Skipped is always
// filled. With no valid file the error wraps ErrNoBalance and says why
// each file was skipped (see skippedReasons).
func (d *CamtDir) Scan(ctx context.Context) (CamtScan, error) {
	names, err := d.list()
	if err != nil {
		return CamtScan{}, err
	}
	var s CamtScan
	var best *camtFile
	var bestErr error
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return s, fmt.Errorf("bank: %s: %w: %w", d.name, ErrUnavailable, err)
		}
		f, err := d.readFile(name)
		var neg *NegativeError
		if err != nil && !errors.As(err, &neg) {
			s.Skipped = append(s.Skipped, SkippedFile{Name: name, Err: err})
			continue
		}
		if best == nil || f.created.After(best.created) || f.created.Equal(best.created) && name > s.File {
			best, bestErr, s.File = &f, err, name
		}
	}
	if best == nil {
		return s, fmt.Errorf("bank: %s: no valid camt.052/053 file for account %s%s: %w",
			d.name, d.cfg.Account, skippedReasons(s.Skipped), ErrNoBalance)
	}
	s.Message, s.Created = best.message, best.created
	if bestErr != nil {
		return s, bestErr
	}
	s.Balance = best.balance
	return s, nil
}

// skippedReasons says, for the error of a scan that found no valid file,
// why each skipped file gave no balance: "(name: reason; …)", at most
// MaxSkippedInError of them, then how many more. Files for another account
// come last: a shared directory holds many, and they would hide why a file
// of ours failed.
func skippedReasons(skipped []SkippedFile) string {
	if len(skipped) == 0 {
		return ": the directory holds no file to read"
	}
	order := slices.Clone(skipped)
	slices.SortStableFunc(order, func(a, b SkippedFile) int {
		return cmp.Compare(otherAccount(a), otherAccount(b))
	})
	var b strings.Builder
	fmt.Fprintf(&b, " among %d skipped (", len(skipped))
	for i, sk := range order[:min(len(order), MaxSkippedInError)] {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", sk.Name, clipReason(sk.Err.Error()))
	}
	if more := len(order) - MaxSkippedInError; more > 0 {
		fmt.Fprintf(&b, "; and %d more", more)
	}
	b.WriteString(")")
	return b.String()
}

// otherAccount is 1 for a file skipped as another account's, else 0.
func otherAccount(sk SkippedFile) int {
	if errors.Is(sk.Err, ErrWrongAccount) {
		return 1
	}
	return 0
}

// clipReason cuts s to at most maxReasonLen bytes, on a character boundary.
func clipReason(s string) string {
	if len(s) <= maxReasonLen {
		return s
	}
	cut := maxReasonLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// list returns the names of Dir's entries, sorted, less hidden ones.
func (d *CamtDir) list() ([]string, error) {
	dir, err := os.Open(d.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("bank: %s: %w: %w", d.name, ErrUnavailable, err)
	}
	defer dir.Close()
	entries, err := dir.ReadDir(d.cfg.MaxFiles + 1)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("bank: %s: %w: %w", d.name, ErrUnavailable, err)
	}
	if len(entries) > d.cfg.MaxFiles {
		return nil, fmt.Errorf("bank: %s: the directory holds more than MaxFiles (%d) entries; move old statements away: %w",
			d.name, d.cfg.MaxFiles, ErrUnavailable)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// readFile reads and parses one file, refusing anything that is not a
// regular .xml file of at most MaxFileBytes. Symbolic links are followed;
// a FIFO or device is never opened.
func (d *CamtDir) readFile(name string) (camtFile, error) {
	if !strings.EqualFold(filepath.Ext(name), ".xml") {
		return camtFile{}, fmt.Errorf("not an .xml file: %w", ErrMalformed)
	}
	path := filepath.Join(d.cfg.Dir, name)
	info, err := os.Stat(path)
	if err != nil {
		return camtFile{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if !info.Mode().IsRegular() {
		return camtFile{}, fmt.Errorf("not a regular file (%v): %w", info.Mode().Type(), ErrMalformed)
	}
	max := d.cfg.MaxFileBytes
	if info.Size() > max {
		return camtFile{}, fmt.Errorf("%d bytes exceeds MaxFileBytes %d: %w", info.Size(), max, ErrMalformed)
	}
	f, err := os.Open(path)
	if err != nil {
		return camtFile{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return camtFile{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if int64(len(data)) > max {
		return camtFile{}, fmt.Errorf("grew past MaxFileBytes %d while being read: %w", max, ErrMalformed)
	}
	return parseCamt(d.name+"/"+name, d.want, data, time.Now())
}
