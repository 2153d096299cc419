// Package token owns the stablecoin contract (S0.1, S0.5, S0.6): the Draft an
// issuer writes, the validation that turns it into a Contract before publication
// (S0.2), and the contract's pure money rules — how much supply a fiat reserve
// backs, and whether an amount may move.
//
// Build is the one edge where a contract is checked; past it, code trusts the
// Contract type. Everything here is pure: no I/O, no clock, no goroutines and no
// map iteration, because it runs inside consensus and every node must give the
// same answer. The reference tables it needs (ISO 4217 currencies, ISO 3166
// countries, the IBAN registry) are embedded as Go source.
package token
