// Package txpb holds the generated Go code for proto/peg/tx/v1/tx.proto.
// Regenerate with `go generate ./internal/tx/txpb` (needs protoc and protoc-gen-go).
package txpb

//go:generate protoc --proto_path=../../../proto --go_out=../../.. --go_opt=module=github.com/pegledger/peg peg/tx/v1/tx.proto
