package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pegledger/peg/internal/console"
)

func consoleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "console",
		Short: "The node's web console (at /console/ on its API): sign in to it with a key of the keyring",
	}
	cmd.AddCommand(consoleSigninCmd(g))
	return cmd
}

// signedIn is what peg console signin prints: the one-time link to open.
type signedIn struct {
	Address string    `json:"address"`
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
}

func consoleSigninCmd(g *globals) *cobra.Command {
	var keyName string
	cmd := &cobra.Command{
		Use:   "signin --key NAME",
		Short: "Sign in to the console as a key's address: sign the console's one-time challenge here, and print a one-time link to open in the browser",
		Long: `Sign in to the node's web console as the address of a key of the keyring.

The command asks the console (--node) for a one-time challenge, signs it with
the key here, where the key is kept, and prints a one-time link. Open the link
within two minutes: the browser then holds a session of thirty minutes bound to
the address, in an HttpOnly cookie. The private key never leaves this process
and never reaches the browser. Signed in, the console shows "My account" and
the address's notifications; everything else it shows is public.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keyName == "" {
				return usageErrorf("--key NAME is needed: the key to sign in with")
			}
			key, priv, err := signer(cmd, g, keyName)
			if err != nil {
				return err
			}
			ctx, cancel := context60()
			defer cancel()
			base := strings.TrimRight(g.nodeURL(), "/")
			var ch console.Challenge
			if err := consolePost(ctx, base+console.Prefix+"signin/challenge", nil, &ch); err != nil {
				return err
			}
			sig := ed25519.Sign(priv, console.SignedMessage(ch.Challenge, key.Address))
			v := console.Verify{Challenge: ch.Challenge, Address: key.Address.String(),
				PublicKey: hex.EncodeToString(priv.Public().(ed25519.PublicKey)), Signature: hex.EncodeToString(sig)}
			var link console.Link
			if err := consolePost(ctx, base+console.Prefix+"signin/verify", v, &link); err != nil {
				return err
			}
			out := signedIn{Address: key.Address.String(), URL: base + link.Path, Expires: link.Expires}
			return g.print(cmd.OutOrStdout(), out, func(w io.Writer) {
				fmt.Fprintf(w, "Signed as %s. Open this link within %s (it works once):\n\n  %s\n", out.Address, console.LinkTTL, out.URL)
			})
		},
	}
	cmd.Flags().StringVar(&keyName, "key", "", "the key of the keyring to sign in with")
	return cmd
}

// consolePost posts in (JSON, or nothing) to the console at url and decodes
// its 200 answer into out; another answer is an error with its message.
func consolePost(ctx context.Context, url string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("console: %w; is the node (--node) running?", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("console: reading the answer of %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(b))
		}
		return fmt.Errorf("console: %s answered HTTP %d: %s", url, resp.StatusCode, e.Message)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("console: the answer of %s: %w", url, err)
	}
	return nil
}
