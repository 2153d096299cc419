// Package wirepb holds the generated Go code for proto/peg/api/v1/api.proto.
// Regenerate with `go generate ./internal/client/wirepb` (needs protoc and protoc-gen-go).
package wirepb

//go:generate protoc --proto_path=../../../proto --go_out=../../.. --go_opt=module=github.com/pegledger/peg peg/api/v1/api.proto
