//go:build !invariants

package main

// buildFlags are the extra `go build` flags of the end-to-end binary.
var buildFlags []string
