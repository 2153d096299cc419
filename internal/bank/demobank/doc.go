// Package demobank owns Peg's demo bank: a small bank we control, for demos and
// tests, that speaks the same protocols as the banks that hold real reserves, so
// that Peg's bank connectors can be run against it unchanged.
//
// It owns four things:
//
//   - the accounts and their money (accounts.go): exact balances in minor units
//     of an ISO 4217 currency, never negative, with a bounded history of credits
//     and debits, persisted in one JSON file written atomically (store.go);
//   - the UK Open Banking read API over mutual TLS (openbanking.go, oauth.go):
//     OAuth 2.0 client credentials at POST /token, then GET /accounts,
//     /accounts/{AccountId} and /accounts/{AccountId}/balances under
//     /open-banking/v3.1/aisp, answering OBReadAccount6 and OBReadBalance1;
//   - an admin API on a separate plain-HTTP listener (admin.go, wire.go) and its
//     Go client (client.go), to open accounts, move money, export ISO 20022
//     camt.053.001.08 statements (camt.go) and inject faults (fault.go);
//   - its own small PKI and credentials (pki.go, credentials.go), generated in
//     the data directory on first Open.
//
// The demo bank is not a ledger: it is the outside world that Peg's reserve
// monitor reads. It is never the only thing the connectors are tested against.
package demobank
