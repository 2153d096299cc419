package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// MaxBodyDepth bounds how deeply a JSON request body may nest objects and
// arrays. The API's bodies nest two deep; the bound keeps checkJSON's work
// and memory proportional to the body, whatever a client sends.
const MaxBodyDepth = 32

// strictJSON refuses, before the request validator and any handler read it,
// a JSON body (application/json) that encoding/json would read without
// complaint but that does not say one thing: a key twice in one object, at
// any depth (which value counts is the decoder's choice, and a proxy or an
// auditor may choose the other), or anything but whitespace after the
// value. It is the one place every JSON POST body passes through.
func (s *server) strictJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			s.writeError(w, r, apiError(CodeRequestTooLarge, "request body exceeds %d bytes", tooLarge.Limit))
			return
		case err != nil:
			s.writeError(w, r, badRequest("request body: %v", err))
			return
		}
		if err := checkJSON(body); err != nil {
			s.writeError(w, r, badRequest("request body: %v", err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// jsonLevel is an object or array open in the body checkJSON reads.
type jsonLevel struct {
	keys    map[string]struct{} // an object's keys so far; nil for an array
	wantKey bool                // an object's next token is a key or its end
	key     string              // an object's key whose value is being read
	index   int                 // an array's index of the value being read
}

// checkJSON reports a body's duplicate key, trailing data or syntax error;
// an empty body passes, for the validator to refuse.
func checkJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // numbers as their text: nothing to convert, nothing to overflow
	var open []jsonLevel
	root := "value"
	for first := true; first || len(open) > 0; first = false {
		tok, err := dec.Token()
		switch {
		case first && err == io.EOF:
			return nil
		case err == io.EOF:
			return errors.New("the JSON ends before its last object or array is closed")
		case err != nil:
			return fmt.Errorf("not JSON: %w", err)
		}
		if first && tok == json.Delim('{') {
			root = "object"
		}
		if n := len(open); n > 0 && open[n-1].wantKey && tok != json.Delim('}') {
			top := &open[n-1]
			key := tok.(string) // the decoder gives an object only string keys
			if _, dup := top.keys[key]; dup {
				return duplicateKey(key, open)
			}
			top.keys[key], top.key, top.wantKey = struct{}{}, key, false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(open) == MaxBodyDepth {
				return fmt.Errorf("the JSON nests deeper than %d objects and arrays", MaxBodyDepth)
			}
			l := jsonLevel{}
			if tok == json.Delim('{') {
				l.keys, l.wantKey = make(map[string]struct{}), true
			}
			open = append(open, l)
			continue
		case json.Delim('}'), json.Delim(']'):
			open = open[:len(open)-1]
		}
		if n := len(open); n > 0 { // a value of the object or array ended
			if open[n-1].keys != nil {
				open[n-1].wantKey = true
			} else {
				open[n-1].index++
			}
		}
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the JSON %s (from byte %d)", root, end)
	}
	return nil
}

// duplicateKey words a key met twice in the innermost of open, naming that
// object by its JSON pointer unless it is the body itself.
func duplicateKey(key string, open []jsonLevel) error {
	var at strings.Builder
	escape := strings.NewReplacer("~", "~0", "/", "~1")
	for _, l := range open[:len(open)-1] {
		at.WriteByte('/')
		if l.keys != nil {
			at.WriteString(escape.Replace(l.key))
		} else {
			at.WriteString(strconv.Itoa(l.index))
		}
	}
	if at.Len() == 0 {
		return fmt.Errorf("duplicate key %q", key)
	}
	return fmt.Errorf("duplicate key %q in %s", key, at.String())
}
