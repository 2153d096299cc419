package demobank

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TokenPath is the OAuth 2.0 token endpoint (RFC 6749 §3.2).
const TokenPath = "/token"

// ScopeAccounts is the Open Banking scope of account information.
const ScopeAccounts = "accounts"

// Access tokens are stateless: "v1." + base64url(expiry ‖ nonce) + "." +
// base64url(HMAC-SHA256(token key, tokenMACLabel ‖ expiry ‖ nonce)). They
// survive a restart of the bank, need no table that could grow, and cannot be
// forged without the token key in credentials.json.
const (
	tokenPrefix   = "v1."
	tokenMACLabel = "peg demobank access token v1\x00"
	tokenNonceLen = 16
	// maxTokenLen bounds a bearer token before any work is done on it.
	maxTokenLen = 128
)

var b64 = base64.RawURLEncoding

// issueToken makes an access token valid until exp.
func (b *Bank) issueToken(exp time.Time) string {
	payload := make([]byte, 8+tokenNonceLen)
	binary.BigEndian.PutUint64(payload, uint64(exp.Unix()))
	_, _ = rand.Read(payload[8:])
	return tokenPrefix + b64.EncodeToString(payload) + "." + b64.EncodeToString(b.tokenMAC(payload))
}

func (b *Bank) tokenMAC(payload []byte) []byte {
	m := hmac.New(sha256.New, b.tokenKey)
	m.Write([]byte(tokenMACLabel))
	m.Write(payload)
	return m.Sum(nil)
}

// Errors of a bearer token, as RFC 6750 describes them to the client.
var (
	errTokenMissing = errors.New("no bearer token: send Authorization: Bearer <access token> from " + TokenPath)
	errTokenInvalid = errors.New("the access token is not one this bank issued")
	errTokenExpired = errors.New("the access token has expired: get a new one from " + TokenPath)
)

// checkBearer checks the request's bearer token.
func (b *Bank) checkBearer(r *http.Request) error {
	h := r.Header.Get("Authorization")
	if h == "" {
		return errTokenMissing
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return errTokenMissing
	}
	if len(tok) > maxTokenLen || !strings.HasPrefix(tok, tokenPrefix) {
		return errTokenInvalid
	}
	p, m, ok := strings.Cut(tok[len(tokenPrefix):], ".")
	payload, err1 := b64.DecodeString(p)
	mac, err2 := b64.DecodeString(m)
	if !ok || err1 != nil || err2 != nil || len(payload) != 8+tokenNonceLen || !hmac.Equal(mac, b.tokenMAC(payload)) {
		return errTokenInvalid
	}
	exp := int64(binary.BigEndian.Uint64(payload))
	if b.now().Unix() >= exp {
		return errTokenExpired
	}
	return nil
}

// tokenResponse is the successful answer of RFC 6749 §5.1.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// oauthError is the error answer of RFC 6749 §5.2.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// handleToken is POST /token: the client credentials grant (RFC 6749 §4.4),
// with the client authenticated by HTTP Basic, by client_id and
// client_secret in the form (§2.3.1), or by its certificate with client_id
// in the form (tls_client_auth, RFC 8705), always over mutual TLS.
func (b *Bank) handleToken(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(w, r)
	if err != nil {
		b.tokenError(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	id, secret, method, err := clientAuth(r, form)
	if err != nil {
		b.tokenError(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	ok := subtle.ConstantTimeCompare([]byte(id), []byte(b.creds.ClientID))
	if method != authTLS {
		ok &= subtle.ConstantTimeCompare([]byte(secret), []byte(b.creds.ClientSecret))
	}
	if ok != 1 {
		if method == authBasic {
			w.Header().Set("WWW-Authenticate", `Basic realm="peg-demobank"`)
		}
		b.tokenError(w, r, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	switch gt := form.Get("grant_type"); gt {
	case "":
		b.tokenError(w, r, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	case "client_credentials":
	default:
		b.tokenError(w, r, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported, not "+clip(gt))
		return
	}
	for _, s := range strings.Fields(form.Get("scope")) {
		if s != ScopeAccounts && s != "openid" {
			b.tokenError(w, r, http.StatusBadRequest, "invalid_scope", "the only scope is "+ScopeAccounts+", not "+clip(s))
			return
		}
	}
	ttl := b.opts.TokenTTL
	tok := b.issueToken(b.now().Add(ttl))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(ttl / time.Second), Scope: ScopeAccounts})
	b.log.Info("access token issued", "client", id, "auth", method, "expires_in", ttl)
}

func (b *Bank) tokenError(w http.ResponseWriter, r *http.Request, status int, code, desc string) {
	b.log.Info("token refused", "remote", r.RemoteAddr, "error", code, "reason", desc)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, oauthError{Error: code, Description: desc})
}

// readForm reads an application/x-www-form-urlencoded body of at most
// MaxRequestBytes, refusing repeated parameters (RFC 6749 §3.2).
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, errors.New("the body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBytes)
	if err := r.ParseForm(); err != nil {
		return nil, errors.New("the body is not a valid form of at most 64 KiB")
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return nil, errors.New("parameter " + clip(k) + " is repeated")
		}
	}
	return r.PostForm, nil
}

// How a client authenticated at the token endpoint.
const (
	authBasic = "client_secret_basic" // RFC 6749 §2.3.1, in the Authorization header
	authPost  = "client_secret_post"  // RFC 6749 §2.3.1, in the form
	authTLS   = "tls_client_auth"     // RFC 8705 §2: the client certificate, with client_id in the form
)

// clientAuth finds the client's id and secret and how they were sent: in the
// Authorization header (form-urlencoded, then Basic, as RFC 6749 §2.3.1
// says), in the form, or only a client_id in the form, the mutual-TLS client
// certificate standing for the secret (RFC 8705). The certificate is checked
// for every request by requireClientCert; the bank's CA signs only its own
// client certificate. A client may use only one method.
func clientAuth(r *http.Request, form url.Values) (id, secret, method string, err error) {
	user, pass, basic := r.BasicAuth()
	inForm := form.Has("client_id") || form.Has("client_secret")
	switch {
	case basic && inForm:
		return "", "", authBasic, errors.New("the client authenticated both by HTTP Basic and in the form; use one")
	case basic:
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return "", "", authBasic, errors.New("the Basic credentials are not form-urlencoded")
		}
		return id, secret, authBasic, nil
	case form.Has("client_secret"):
		return form.Get("client_id"), form.Get("client_secret"), authPost, nil
	case form.Get("client_id") != "" && r.TLS != nil && len(r.TLS.VerifiedChains) > 0:
		return form.Get("client_id"), "", authTLS, nil
	}
	return "", "", authPost, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic("demobank: encoding an answer: " + err.Error()) // our own types always encode
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
