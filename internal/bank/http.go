package bank

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// maxHeaderBytes bounds the response headers a bank may send.
const maxHeaderBytes = 64 << 10

// maxErrorSnippet bounds how much of an error answer goes into an error
// message.
const maxErrorSnippet = 200

// newHTTPClient builds the client of one HTTP connector: its own transport
// with the given TLS settings (cloned, at least TLS 1.2), bounded headers,
// no redirects (a bank API that redirects is refused, and credentials never
// follow a redirect), and an overall timeout.
func newHTTPClient(tlsConf *tls.Config, timeout time.Duration) *http.Client {
	var c *tls.Config
	if tlsConf != nil {
		c = tlsConf.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
	dialer := &net.Dialer{Timeout: timeout}
	tr := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        c,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: maxHeaderBytes,
		MaxIdleConns:           4,
		IdleConnTimeout:        90 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// checkBaseURL validates an API base URL: absolute https, a host, no query
// or fragment. Plain http is never accepted, in tests either.
func checkBaseURL(field, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %v", field, clip(s), err)
	}
	if u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%s %q must be an https URL with a host and no query, fragment or user", field, clip(s))
	}
	return u, nil
}

// fetch sends req and returns the body of a 200 answer, read up to max
// bytes. Transport failures, timeouts and 5xx/408/429 wrap ErrUnavailable;
// other statuses wrap ErrRefused; a body over max wraps ErrMalformed.
func fetch(client *http.Client, req *http.Request, max int64) ([]byte, *http.Response, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrUnavailable, err) // err names the method and URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, resp, statusError(resp)
	}
	if resp.ContentLength > max {
		return nil, resp, fmt.Errorf("answer of %d bytes exceeds MaxResponseBytes %d: %w", resp.ContentLength, max, ErrMalformed)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, resp, fmt.Errorf("reading the answer: %w: %w", ErrUnavailable, err)
	}
	if int64(len(body)) > max {
		return nil, resp, fmt.Errorf("answer exceeds MaxResponseBytes %d: %w", max, ErrMalformed)
	}
	return body, resp, nil
}

// statusError describes a non-200 answer, with a bounded, printable snippet
// of its body (banks put their error code there).
func statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4*maxErrorSnippet))
	snippet := printable(b, maxErrorSnippet)
	kind := ErrRefused
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout {
		kind = ErrUnavailable
	}
	if snippet == "" {
		return fmt.Errorf("HTTP %s: %w", resp.Status, kind)
	}
	return fmt.Errorf("HTTP %s (%s): %w", resp.Status, snippet, kind)
}

// printable keeps the printable characters of b, collapsing white space,
// up to max bytes.
func printable(b []byte, max int) string {
	var sb strings.Builder
	space := false
	for _, r := range string(b) {
		switch {
		case unicode.IsSpace(r):
			space = sb.Len() > 0
			continue
		case !unicode.IsPrint(r):
			continue
		}
		if space {
			sb.WriteByte(' ')
			space = false
		}
		sb.WriteRune(r)
		if sb.Len() >= max {
			return sb.String() + "…"
		}
	}
	return sb.String()
}

// newUUID returns a random (version 4) UUID from crypto/rand, as Open
// Banking's x-fapi-interaction-id and Berlin Group's X-Request-ID want.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand documents it)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// checkEcho verifies that a header the bank echoes, when present, is the
// value sent: an answer to another request is not an answer to this one.
func checkEcho(resp *http.Response, header, sent string) error {
	if got := resp.Header.Get(header); got != "" && !strings.EqualFold(got, sent) {
		return fmt.Errorf("%s %q answers another request (sent %s): %w", header, clip(got), sent, ErrMalformed)
	}
	return nil
}

// decodeJSON checks that body is exactly one JSON object without duplicated
// keys, then decodes it into v. encoding/json matches keys without regard
// to case and keeps the last of duplicates, so {"Amount":"1","amount":"9"}
// would otherwise be read silently as 9.
func decodeJSON(body []byte, v any) error {
	if err := checkJSON(body); err != nil {
		return fmt.Errorf("not a JSON answer: %w: %v", ErrMalformed, err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("JSON does not match the protocol: %w: %v", ErrMalformed, err)
	}
	return nil
}

// checkJSON walks body's tokens: one top-level object, no key repeated
// within an object (compared as encoding/json compares them).
func checkJSON(body []byte) error {
	type frame struct {
		keys    map[string]bool // nil for an array
		wantKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []*frame
	values := 0
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].keys != nil {
				stack[n-1].wantKey = true
			}
		} else {
			values++
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if values > 0 {
			return errors.New("more than one JSON value")
		}
		if n := len(stack); n > 0 && stack[n-1].keys != nil && stack[n-1].wantKey {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			k := foldKey(tok.(string))
			if stack[n-1].keys[k] {
				return fmt.Errorf("key %q appears more than once in an object", clip(tok.(string)))
			}
			stack[n-1].keys[k] = true
			stack[n-1].wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			if len(stack) == 0 {
				return errors.New("the answer is a JSON array, not an object")
			}
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			if len(stack) == 0 {
				return errors.New("the answer is a JSON scalar, not an object")
			}
			valueDone()
		}
	}
	if values != 1 {
		return errors.New("empty answer")
	}
	return nil
}

// foldKey maps each rune to the smallest rune of its case-folding orbit,
// the equivalence encoding/json uses when it matches keys to fields.
func foldKey(s string) string {
	return strings.Map(func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		return m
	}, s)
}
