package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pegledger/peg/internal/bank"
	"github.com/pegledger/peg/internal/bank/demobank"
	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/keyring"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/money"
	"github.com/pegledger/peg/internal/monitor"
	"github.com/pegledger/peg/internal/node"
)

// The development reserve: the demo bank account that backs examples/gbpt.toml.
const (
	devReserveAccount = demobank.AccountID("gbpt-reserve")
	devReserveIBAN    = "GB81PEGD20041531926819"
	devReserveOpening = "1000000.00"
)

// How `peg up` watches reserves at the demo bank. The demo bank agrees to
// more than PSD2's four unattended reads a day.
const (
	devPollInterval   = 5 * time.Second
	devPollJitter     = time.Second
	devReadTimeout    = 10 * time.Second
	devReadsPerDay    = 24 * 60 * 60 / 5
	devBackoffMax     = time.Minute
	devFollowInterval = time.Second
	devFailureAlerts  = 3
)

// reserveWatch is the demo bank and the monitor that `peg up` runs beside the
// node.
type reserveWatch struct {
	bank       *bankServer
	metricsURL string
	monitor    *monitor.Monitor
}

// startReserveWatch opens the demo bank under home (opening the development
// reserve account on first use), serves it and metrics on the ports after the
// node's, and starts a monitor that watches every coin whose reserve is at the
// demo bank and whose attestor key is in the development keyring.
func startReserveWatch(ctx context.Context, home string, basePort int, n *node.Node, hooks []monitor.Webhook, log *slog.Logger) (*reserveWatch, func(), error) {
	bs, err := startBankServer(filepath.Join(home, "bank"), fmt.Sprintf("127.0.0.1:%d", basePort+3),
		fmt.Sprintf("127.0.0.1:%d", basePort+4), demobank.Options{Logger: log.With("module", "bank")})
	if err != nil {
		return nil, nil, err
	}
	if err := openDevReserve(bs.bank); err != nil {
		bs.bank.Close()
		return nil, nil, err
	}
	reg := prometheus.NewRegistry()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", basePort+5))
	if err != nil {
		bs.bank.Close()
		return nil, nil, fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	metricsSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	kr, err := keyring.Open(filepath.Join(home, node.KeyringDir))
	if err != nil {
		return nil, nil, err
	}
	api := client.New(n.APIURL())
	m, err := monitor.New(monitor.Config{
		API: api, FollowInterval: devFollowInterval, FailureAlertAfter: devFailureAlerts,
		Webhooks: hooks, DeliveryLog: filepath.Join(home, "webhook-deliveries.jsonl"),
		Metrics: reg, Log: log.With("module", "monitor"),
		Discover: func(ctx context.Context, id ledger.TokenID) (*monitor.Watch, error) {
			return discoverAtDemoBank(ctx, api, bs, kr, id, log)
		},
	})
	if err != nil {
		bs.bank.Close()
		return nil, nil, err
	}
	done := make(chan struct{}, 3)
	go func() {
		if err := bs.run(ctx); err != nil {
			log.Error("demo bank stopped", "err", err)
		}
		done <- struct{}{}
	}()
	go func() {
		if err := metricsSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
		done <- struct{}{}
	}()
	go func() {
		if err := m.Run(ctx); err != nil {
			log.Error("monitor stopped", "err", err)
		}
		done <- struct{}{}
	}()
	wait := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		metricsSrv.Shutdown(sctx)
		cancel()
		for range 3 {
			<-done
		}
	}
	return &reserveWatch{bank: bs, metricsURL: "http://" + ln.Addr().String() + "/metrics", monitor: m}, wait, nil
}

// openDevReserve opens the account behind examples/gbpt.toml, once.
func openDevReserve(b *demobank.Bank) error {
	if _, err := b.Account(devReserveAccount); !errors.Is(err, demobank.ErrNotFound) {
		return err
	}
	acct, err := b.CreateAccount(demobank.NewAccount{ID: devReserveAccount, IBAN: devReserveIBAN, BIC: node.DemoBankBIC,
		Currency: "GBP", Name: "Pound Token reserve"})
	if err != nil {
		return err
	}
	amt, err := money.Parse(devReserveOpening, acct.Currency.Digits)
	if err != nil {
		return err
	}
	_, err = b.Credit(acct.ID, amt, "opening deposit of the GBPT reserve")
	return err
}

// discoverAtDemoBank watches a coin if its fiat account is an account at the
// demo bank and its attestor is a development key: the monitor then reads the
// account over Open Banking and attests as that key.
func discoverAtDemoBank(ctx context.Context, api *client.Client, bs *bankServer, kr *keyring.Keyring, id ledger.TokenID, log *slog.Logger) (*monitor.Watch, error) {
	t, err := api.Token(ctx, id)
	if err != nil {
		return nil, err
	}
	fiat := t.Contract.Fiat
	var acct *demobank.Account
	for _, a := range bs.bank.Accounts() {
		if fiat.BIC == a.BIC && fiat.Account == a.IBAN && fiat.Currency == a.Currency.Code {
			acct = &a
			break
		}
	}
	if acct == nil {
		log.Info("reserve is not at the demo bank; attest it by hand", "token", id, "bic", fiat.BIC, "account", fiat.Account)
		return nil, nil
	}
	key, err := kr.ByAddress(t.Roles.Attestor)
	if err != nil || !key.Insecure {
		log.Info("attestor key is not a development key here; attest by hand", "token", id, "attestor", t.Roles.Attestor)
		return nil, nil
	}
	priv, err := kr.PrivateKey(key.Name, nil)
	if err != nil {
		return nil, err
	}
	tlsConf, err := demobank.ClientTLSConfig(bs.bank.Files())
	if err != nil {
		return nil, err
	}
	cr := bs.bank.Credentials()
	conn, err := bank.NewOpenBanking(bank.OpenBankingConfig{
		BaseURL: bs.obURL + demobank.OBBasePath, TokenURL: bs.obURL + demobank.TokenPath,
		ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, FinancialID: cr.FinancialID,
		AccountID: string(acct.ID), Currency: acct.Currency.Code, TLS: tlsConf, Timeout: devReadTimeout,
	})
	if err != nil {
		return nil, err
	}
	return &monitor.Watch{Token: id, Connector: conn, FiatAccount: fiat.Account, Attestor: priv, Region: key.Region,
		Interval: devPollInterval, Jitter: devPollJitter, Timeout: devReadTimeout,
		MaxReadsPerDay: devReadsPerDay, BackoffMax: devBackoffMax}, nil
}
