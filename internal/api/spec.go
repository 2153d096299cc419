package api

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	middleware "github.com/oapi-codegen/nethttp-middleware"

	"github.com/pegledger/peg/internal/client"
)

// specYAML is the API's OpenAPI document, served verbatim at /openapi.yaml.
//
//go:embed openapi.yaml
var specYAML []byte

// spec parses specYAML once. The document is embedded and tested, so a
// failure here is a bug in the build, not an operating failure.
var spec = sync.OnceValue(func() *openapi3.T {
	doc, err := openapi3.NewLoader().LoadFromData(specYAML)
	if err != nil {
		panic(fmt.Sprintf("api: openapi.yaml does not load: %v", err))
	}
	if err := doc.Validate(context.Background()); err != nil {
		panic(fmt.Sprintf("api: openapi.yaml is invalid: %v", err))
	}
	return doc
})

// The protobuf body of POST /v1/txs/batch is the handler's to decode; the
// document describes it as a binary string, which the validator reads whole.
func init() {
	openapi3filter.RegisterBodyDecoder(client.BatchContentType, openapi3filter.FileBodyDecoder)
}

// validator checks each /v1 request against the document before a handler
// sees it: path and query parameters, and the request body.
func (s *server) validator() func(http.Handler) http.Handler {
	var opts openapi3filter.Options
	opts.WithCustomSchemaErrorFunc(patternMessage)
	return middleware.OapiRequestValidatorWithOptions(spec(), &middleware.Options{
		Options:              opts,
		DoNotValidateServers: true,
		ErrorHandlerWithOpts: s.invalid,
	})
}

// maxEcho bounds how much of a refused value a message repeats.
const maxEcho = 72

// patternMessage words a value that does not match its schema's pattern with
// what the schema's description says it should be, instead of the regular
// expression; other schema errors keep the validator's words.
func patternMessage(err *openapi3.SchemaError) string {
	v, ok := err.Value.(string)
	if err.SchemaField != "pattern" || !ok || err.Schema == nil || err.Schema.Description == "" {
		return ""
	}
	if len(v) > maxEcho {
		v = v[:maxEcho] + "…"
	}
	msg := fmt.Sprintf("%q is not %s", v, err.Schema.Description)
	if p := err.JSONPointer(); len(p) > 0 {
		msg = "/" + strings.Join(p, "/") + ": " + msg
	}
	return msg
}

// invalid answers a request the validator refused, in Peg's error shape.
func (s *server) invalid(_ context.Context, err error, w http.ResponseWriter, r *http.Request, opts middleware.ErrorHandlerOpts) {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		s.writeError(w, r, apiError(CodeMethodNotAllowed, "%s does not answer %s; see /openapi.yaml", r.URL.Path, r.Method))
	case opts.MatchedRoute == nil:
		s.writeError(w, r, notFound("no API route %s %s; see /openapi.yaml", r.Method, r.URL.Path))
	case errors.As(err, &tooLarge):
		s.writeError(w, r, apiError(CodeRequestTooLarge, "request body exceeds %d bytes", tooLarge.Limit))
	case opts.StatusCode == http.StatusBadRequest:
		s.writeError(w, r, badRequest("%s", firstLine(err.Error())))
	default:
		s.writeError(w, r, fmt.Errorf("api: validating %s %s: %w", r.Method, r.URL.Path, err))
	}
}

// firstLine keeps the first line of a validation error: the rest repeats the
// schema and the value.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
