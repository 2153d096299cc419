package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
	"github.com/pegledger/peg/internal/monitor"
	"github.com/pegledger/peg/internal/notify"
	"github.com/pegledger/peg/internal/notify/webhook"
)

func notifyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notify",
		Short: "An account's notifications: what committed blocks tell it, and what needs it (list, watch, serve webhooks)",
	}
	cmd.AddCommand(notifyListCmd(g), notifyWatchCmd(g), notifyServeCmd(g))
	return cmd
}

// notificationLine is one notification as the text output prints it.
func notificationLine(w io.Writer, n client.Notification) {
	needs := ""
	if n.NeedsYou {
		needs = "  NEEDS YOU: " + n.Action
	}
	fmt.Fprintf(w, "%-10s %s  %-22s tx %s%s\n", n.ID, n.Time.Format(time.RFC3339), n.Type, n.TxID, needs)
}

func notifyListCmd(g *globals) *cobra.Command {
	var cursor string
	var limit int
	cmd := &cobra.Command{
		Use:   "list ADDR [--cursor CURSOR] [--limit N]",
		Short: "List ADDR's notifications (address or key name) from a cursor, oldest first: the catch-up read",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.lookup(args[0])
			if err != nil {
				return &usageError{err}
			}
			ctx, cancel := context60()
			defer cancel()
			p, err := g.client().Notifications(ctx, a, cursor, limit)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), p, func(w io.Writer) {
				for _, n := range p.Notifications {
					notificationLine(w, n)
				}
				if next, _ := notify.ParseCursor(p.Next); next.Height <= p.Head {
					fmt.Fprintf(w, "more: peg notify list %s --cursor %s\n", args[0], p.Next)
				} else {
					fmt.Fprintf(w, "up to date at height %d; next: --cursor %s\n", p.Head, p.Next)
				}
			})
		},
	}
	cmd.Flags().StringVar(&cursor, "cursor", "", "where to read from: a page's next or a notification's id (default the chain's start)")
	cmd.Flags().IntVar(&limit, "limit", 0, "the most notifications to list (default 100, at most 500)")
	return cmd
}

func notifyWatchCmd(g *globals) *cobra.Command {
	var cursor string
	var count int
	cmd := &cobra.Command{
		Use:   "watch ADDR [--cursor CURSOR] [--count N]",
		Short: "Follow ADDR's notifications as blocks commit, resuming after the last one shown if the stream breaks",
		Long: `Follow ADDR's notifications (GET /v1/accounts/{address}/notifications/stream)
from --cursor, or from the next block. If the stream ends (the node restarts,
the connection drops), watch reconnects after the last notification it showed,
so it misses none and shows none twice. With --output json it prints one JSON
object a line. It runs until interrupted, or until it has shown --count.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.lookup(args[0])
			if err != nil {
				return &usageError{err}
			}
			if cursor != "" {
				if _, err := notify.ParseCursor(cursor); err != nil {
					return usageErrorf("--cursor: %v", err)
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return watchNotifications(ctx, g, cmd.OutOrStdout(), cmd.ErrOrStderr(), a, cursor, count)
		},
	}
	cmd.Flags().StringVar(&cursor, "cursor", "", "where to start: a page's next or a notification's id (default the next block)")
	cmd.Flags().IntVar(&count, "count", 0, "stop after this many notifications (default: run until interrupted)")
	return cmd
}

// errEnough ends a watch that has shown its count.
var errEnough = errors.New("enough")

func watchNotifications(ctx context.Context, g *globals, out, errw io.Writer, a ledger.Address, cursor string, count int) error {
	if cursor == "" {
		// Start at a named block, so that a reconnect before the first
		// notification resumes there rather than at a later head.
		st, err := g.client().Status(ctx)
		if err != nil {
			return err
		}
		cursor = notify.Cursor{Height: int64(st.Height) + 1}.String()
	}
	enc := json.NewEncoder(out)
	shown := 0
	for {
		err := g.client().NotificationStream(ctx, a, cursor, func(n client.Notification) error {
			if g.output == "json" {
				if err := enc.Encode(n); err != nil {
					return err
				}
			} else {
				notificationLine(out, n)
			}
			next, err := notify.After(n.ID)
			if err != nil {
				return err
			}
			cursor = next.String()
			if shown++; count > 0 && shown == count {
				return errEnough
			}
			return nil
		})
		switch {
		case errors.Is(err, errEnough):
			return nil
		case ctx.Err() != nil:
			return nil
		case !errors.Is(err, client.ErrStreamEnded):
			return err
		}
		fmt.Fprintf(errw, "the stream ended (%v); resuming at %s\n", err, cursor)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(webhook.Reconnect):
		}
	}
}

func notifyServeCmd(g *globals) *cobra.Command {
	var accounts []string
	var hookURL, secret, state, from string
	cmd := &cobra.Command{
		Use:   "serve --account ADDR... --webhook URL [--state FILE] [--from CURSOR]",
		Short: "Deliver the accounts' notifications to a webhook, signed, retried until acknowledged, resuming after a restart",
		Long: `Follow each --account's notification stream on the node and POST every
notification, as JSON, to --webhook, with the headers Peg-Signature
(t=UNIX,v1=HMAC-SHA256(secret, "UNIX." + body), as the reserve monitor's
alerts) and Peg-Notification-Id. A delivery is retried until the receiver
answers 2xx; then the cursor after it is saved in --state, and a restart
resumes there. A receiver sees each notification at least once, in chain
order per account; it acts on each exactly once by ignoring an id it has seen
(a crash between its answer and the save repeats that one). An account new to
--state starts at --from, or at the next block.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := webhook.Config{API: g.client(), Hook: monitor.Webhook{URL: hookURL, Secret: secret}, State: state}
			if cfg.State == "" {
				cfg.State = filepath.Join(g.home, "notify", "cursors.json")
			}
			for _, s := range accounts {
				a, err := g.lookup(s)
				if err != nil {
					return &usageError{err}
				}
				cfg.Accounts = append(cfg.Accounts, a)
			}
			if from != "" {
				c, err := notify.ParseCursor(from)
				if err != nil {
					return usageErrorf("--from: %v", err)
				}
				cfg.From = c
			}
			if err := os.MkdirAll(filepath.Dir(cfg.State), 0o700); err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			s, err := webhook.New(cfg, log)
			if err != nil {
				return &usageError{err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "delivering the notifications of %d account(s) to %s; cursors in %s\n", len(cfg.Accounts), hookURL, cfg.State)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			s.Run(ctx)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&accounts, "account", nil, "an account (address or key name) whose notifications to deliver (repeatable)")
	f.StringVar(&hookURL, "webhook", "", "http(s) URL to POST the notifications to")
	f.StringVar(&secret, "webhook-secret", os.Getenv("PEG_WEBHOOK_SECRET"), "HMAC-SHA256 key for the Peg-Signature header ($PEG_WEBHOOK_SECRET)")
	f.StringVar(&state, "state", "", "file keeping each account's cursor (default --home/notify/cursors.json)")
	f.StringVar(&from, "from", "", "where an account new to the state file starts (default the next block)")
	return cmd
}
