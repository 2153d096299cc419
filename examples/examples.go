// Package examples holds the example files the walkthrough uses, embedded so
// that `peg up` can write its home's copies from the same text.
package examples

import _ "embed"

// Routing is routing.toml, the routing table of the walkthrough.
//
//go:embed routing.toml
var Routing []byte
