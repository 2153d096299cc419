package demobank

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/pegledger/peg/internal/durable"
)

// DefaultFinancialID is the x-fapi-financial-id the bank expects: in Open
// Banking, the organisation id of the bank the request is meant for.
const DefaultFinancialID = "0015800000pegdemo1"

// credentialsVersion is the version of credentials.json this code writes.
const credentialsVersion = 1

// maxCredentialsBytes bounds credentials.json when it is read.
const maxCredentialsBytes = 4 << 10

// Credentials are the secrets a client of the bank needs, generated on the
// bank's first Open and kept in credentials.json (0600): the OAuth 2.0 client
// of the Open Banking API, the organisation id it must name, and the admin
// API's bearer token.
type Credentials struct {
	ClientID     string
	ClientSecret string
	FinancialID  string
	AdminToken   string
}

// credentialsFile is credentials.json. The token key signs access tokens; it
// never leaves the bank.
type credentialsFile struct {
	Version      int    `json:"version"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	FinancialID  string `json:"financial_id"`
	AdminToken   string `json:"admin_token"`
	TokenKey     string `json:"token_key"`
}

// ensureCredentials reads credentials.json, writing new credentials first if
// there is none.
func ensureCredentials(path string) (credentialsFile, error) {
	c, err := readCredentials(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return c, err
	}
	c = credentialsFile{Version: credentialsVersion, ClientID: "peg-" + randomHex(8), ClientSecret: randomHex(32),
		FinancialID: DefaultFinancialID, AdminToken: randomHex(32), TokenKey: randomHex(32)}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return credentialsFile{}, fmt.Errorf("demobank: %w", err)
	}
	return c, durable.WriteFile(path, append(b, '\n'), 0o600)
}

func readCredentials(path string) (credentialsFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return credentialsFile{}, fmt.Errorf("demobank: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCredentialsBytes+1))
	if err != nil {
		return credentialsFile{}, fmt.Errorf("demobank: %w", err)
	}
	if len(b) > maxCredentialsBytes {
		return credentialsFile{}, fmt.Errorf("demobank: %s is larger than %d bytes", path, maxCredentialsBytes)
	}
	var c credentialsFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return credentialsFile{}, fmt.Errorf("demobank: %s: %w", path, err)
	}
	key, err := hex.DecodeString(c.TokenKey)
	switch {
	case c.Version != credentialsVersion:
		err = fmt.Errorf("version %d; this peg reads version %d", c.Version, credentialsVersion)
	case err != nil || len(key) < 32:
		err = errors.New("token_key must be at least 32 bytes in hex")
	case c.ClientID == "" || len(c.ClientSecret) < 32 || len(c.AdminToken) < 32 || c.FinancialID == "":
		err = errors.New("client_id, financial_id, client_secret and admin_token (at least 32 characters) are required")
	}
	if err != nil {
		return credentialsFile{}, fmt.Errorf("demobank: %s: %w", path, err)
	}
	return c, nil
}

func (c credentialsFile) public() Credentials {
	return Credentials{ClientID: c.ClientID, ClientSecret: c.ClientSecret, FinancialID: c.FinancialID, AdminToken: c.AdminToken}
}

// LoadCredentials reads the credentials of the bank whose data directory is
// dir, as the CLI does to find the admin token.
func LoadCredentials(dir string) (Credentials, error) {
	c, err := readCredentials(FilesIn(dir).Credentials)
	if err != nil {
		return Credentials{}, err
	}
	return c.public(), nil
}

// randomHex is n random bytes in hex. crypto/rand does not fail on the
// systems Go supports.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
