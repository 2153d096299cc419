package query

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// A cursor is the key of the last row of a page, versioned and bound to the
// query that made it: base64url of "v1", the key's fields, and the first 8
// bytes of the SHA-256 of the query's filters and the key. The next page is
// the rows below that key in the page's order, so rows indexed between two
// pages (newer, above the key) never shift it. A cursor that does not decode,
// was altered, or is handed to another query (other filters) is refused.

const cursorVersion = "v1"

// maxCursorFields bounds the fields a cursor may hold.
const maxCursorFields = 8

// encodeCursor writes key (the last row's) for the query whose filters are
// scope.
func encodeCursor(scope string, key []string) string {
	fields := append([]string{cursorVersion}, key...)
	fields = append(fields, cursorCheck(scope, key))
	for i, f := range fields {
		fields[i] = strconv.Quote(f)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(fields, ",")))
}

// decodeCursor reads a cursor of n key fields for the query scope.
func decodeCursor(scope, cursor string, n int) ([]string, error) {
	bad := invalid("cursor: %q is not a cursor this query gave (it does not decode)", clip(cursor))
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, bad
	}
	var fields []string
	for rest := string(b); rest != ""; {
		q, err := strconv.QuotedPrefix(rest)
		if err != nil || len(fields) > maxCursorFields {
			return nil, bad
		}
		f, _ := strconv.Unquote(q)
		fields = append(fields, f)
		rest = rest[len(q):]
		if rest != "" {
			if rest[0] != ',' {
				return nil, bad
			}
			rest = rest[1:]
		}
	}
	if len(fields) == 0 || fields[0] != cursorVersion {
		return nil, invalid("cursor: not of version %s; start again without a cursor", cursorVersion)
	}
	if len(fields) != n+2 {
		return nil, bad
	}
	key := fields[1 : n+1]
	if fields[n+1] != cursorCheck(scope, key) {
		return nil, invalid("cursor: altered, or made by another query (other filters); a cursor continues the query that gave it")
	}
	return key, nil
}

func cursorCheck(scope string, key []string) string {
	h := sha256.New()
	h.Write([]byte(strconv.Quote(scope)))
	for _, k := range key {
		h.Write([]byte(strconv.Quote(k)))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// int64Field reads a cursor's integer field.
func int64Field(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, invalid("cursor: altered (a position is not a number)")
	}
	return v, nil
}
