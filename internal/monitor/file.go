package monitor

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/pegledger/peg/internal/bank"
	"github.com/pegledger/peg/internal/ledger"
)

// File is the monitor's configuration file (see examples/monitor.toml).
// Secrets never sit in it: each names the environment variable that holds it.
type File struct {
	FollowInterval    string        `toml:"follow_interval"`
	FailureAlertAfter int           `toml:"failure_alert_after"`
	MetricsListen     string        `toml:"metrics_listen"`
	DeliveryLog       string        `toml:"delivery_log"`
	Webhooks          []FileWebhook `toml:"webhook"`
	Watches           []FileWatch   `toml:"watch"`
}

// FileWebhook is a webhook receiver; its HMAC key comes from SecretEnv.
type FileWebhook struct {
	URL       string `toml:"url"`
	SecretEnv string `toml:"secret_env"`
}

// FileWatch is one coin to poll, with exactly one connector.
type FileWatch struct {
	Token          string `toml:"token"`
	AttestorKey    string `toml:"attestor_key"`
	FiatAccount    string `toml:"fiat_account"`
	Interval       string `toml:"interval"`
	Jitter         string `toml:"jitter"`
	Timeout        string `toml:"timeout"`
	MaxReadsPerDay int    `toml:"max_reads_per_day"`
	BackoffMax     string `toml:"backoff_max"`

	OpenBanking *struct {
		BaseURL         string   `toml:"base_url"`
		TokenURL        string   `toml:"token_url"`
		ClientID        string   `toml:"client_id"`
		ClientSecretEnv string   `toml:"client_secret_env"`
		FinancialID     string   `toml:"financial_id"`
		AccountID       string   `toml:"account_id"`
		Currency        string   `toml:"currency"`
		Types           []string `toml:"types"`
		TLSFiles
	} `toml:"openbanking"`
	BerlinGroup *struct {
		BaseURL    string   `toml:"base_url"`
		ConsentID  string   `toml:"consent_id"`
		ResourceID string   `toml:"resource_id"`
		IBAN       string   `toml:"iban"`
		Currency   string   `toml:"currency"`
		Types      []string `toml:"types"`
		TLSFiles
	} `toml:"berlingroup"`
	Camt *struct {
		Dir      string `toml:"dir"`
		Account  string `toml:"account"`
		Currency string `toml:"currency"`
	} `toml:"camt"`
}

// TLSFiles are PEM files for a connector's TLS: the CA that signs the bank's
// certificate ("" for the system roots) and the client certificate and key.
type TLSFiles struct {
	CAFile   string `toml:"ca_file"`
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
}

// LoadFile reads a configuration file strictly: unknown keys are errors.
func LoadFile(path string) (File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return File{}, fmt.Errorf("monitor: %w", err)
	}
	var f File
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return File{}, fmt.Errorf("monitor: %s: %w", path, err)
	}
	return f, nil
}

// Follow parses the follow interval.
func (f File) Follow() (time.Duration, error) { return duration("follow_interval", f.FollowInterval) }

// Hooks resolves the webhooks' secrets from the environment and validates
// each webhook (Webhook.Validate).
func (f File) Hooks() ([]Webhook, error) {
	out := make([]Webhook, len(f.Webhooks))
	for i, h := range f.Webhooks {
		if h.SecretEnv == "" || os.Getenv(h.SecretEnv) == "" {
			return nil, fmt.Errorf("monitor: webhook %d (%s) needs its secret in the environment variable secret_env names (secret_env = %q)", i, h.URL, h.SecretEnv)
		}
		out[i] = Webhook{URL: h.URL, Secret: os.Getenv(h.SecretEnv)}
		if err := out[i].Validate(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Watch builds the i'th watch; key supplies the attestor's private key and
// region from a key name.
func (f File) Watch(i int, key func(name string) (ledger.Region, []byte, error), log *slog.Logger) (Watch, error) {
	fw := f.Watches[i]
	id, err := ledger.ParseTokenID(fw.Token)
	if err != nil {
		return Watch{}, fmt.Errorf("monitor: watch %d: %w", i, err)
	}
	w := Watch{Token: id, FiatAccount: fw.FiatAccount, MaxReadsPerDay: fw.MaxReadsPerDay}
	var errs []error
	for _, d := range []struct {
		name string
		s    string
		dst  *time.Duration
	}{{"interval", fw.Interval, &w.Interval}, {"jitter", fw.Jitter, &w.Jitter},
		{"timeout", fw.Timeout, &w.Timeout}, {"backoff_max", fw.BackoffMax, &w.BackoffMax}} {
		v, err := duration(d.name, d.s)
		errs = append(errs, err)
		*d.dst = v
	}
	region, priv, err := key(fw.AttestorKey)
	errs = append(errs, err)
	w.Region, w.Attestor = region, priv
	w.Connector, err = fw.connector(log)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return Watch{}, fmt.Errorf("monitor: watch %s: %w", fw.Token, err)
	}
	return w, w.validate()
}

func (fw FileWatch) connector(log *slog.Logger) (bank.Connector, error) {
	n := 0
	for _, set := range []bool{fw.OpenBanking != nil, fw.BerlinGroup != nil, fw.Camt != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("give exactly one of [watch.openbanking], [watch.berlingroup], [watch.camt]; got %d", n)
	}
	switch {
	case fw.OpenBanking != nil:
		o := fw.OpenBanking
		tlsConf, err := bank.NewTLSConfig(o.CAFile, o.CertFile, o.KeyFile)
		if err != nil {
			return nil, err
		}
		return bank.NewOpenBanking(bank.OpenBankingConfig{BaseURL: o.BaseURL, TokenURL: o.TokenURL, ClientID: o.ClientID,
			ClientSecret: os.Getenv(o.ClientSecretEnv), FinancialID: o.FinancialID, AccountID: o.AccountID,
			Currency: o.Currency, Types: o.Types, TLS: tlsConf})
	case fw.BerlinGroup != nil:
		b := fw.BerlinGroup
		cfg := bank.BerlinGroupConfig{BaseURL: b.BaseURL, ConsentID: b.ConsentID, ResourceID: b.ResourceID,
			IBAN: b.IBAN, Currency: b.Currency, Types: b.Types}
		if b.CertFile != "" || b.CAFile != "" {
			tlsConf, err := bank.NewTLSConfig(b.CAFile, b.CertFile, b.KeyFile)
			if err != nil {
				return nil, err
			}
			cfg.TLS = tlsConf
		}
		return bank.NewBerlinGroup(cfg)
	default:
		c := fw.Camt
		return bank.NewCamtDir(bank.CamtDirConfig{Dir: c.Dir, Account: c.Account, Currency: c.Currency, Logger: log})
	}
}

func duration(name, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s %q: want a duration such as 6h", name, s)
	}
	return d, nil
}
