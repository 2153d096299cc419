//go:build invariants

package main

// buildFlags makes the end-to-end binary audit its state after every block,
// as the test binary's own build does.
var buildFlags = []string{"-tags", "invariants"}
