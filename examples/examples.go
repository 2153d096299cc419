// Package examples embeds the example files the README walks through, so that
// `peg up` starts its network, and writes its home's copies, from the same
// files a reader studies and edits.
package examples

import _ "embed"

// GBPT is gbpt.toml, the pound-backed coin of the walkthrough.
//
//go:embed gbpt.toml
var GBPT []byte

// Fees is fees.toml, the fee policy and schedule in `peg up`'s genesis.
//
//go:embed fees.toml
var Fees []byte

// Routing is routing.toml, the routing table of the walkthrough.
//
//go:embed routing.toml
var Routing []byte
