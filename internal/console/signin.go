package console

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/pegledger/peg/internal/client"
	"github.com/pegledger/peg/internal/ledger"
)

// Signing in proves to the console that the person at the browser holds an
// address's key, without the key ever reaching the browser: the console
// issues a one-time challenge, the key's holder signs it outside the browser
// (peg console signin), the console checks the signature and answers a
// one-time sign-in link, and opening the link starts a session, a cookie
// bound to the address. Sessions live in the serving process's memory.

// Limits of signing in.
const (
	// ChallengeTTL is how long a challenge may be signed.
	ChallengeTTL = 2 * time.Minute
	// LinkTTL is how long a sign-in link may be opened, once.
	LinkTTL = 2 * time.Minute
	// SessionTTL is how long a session lasts.
	SessionTTL = 30 * time.Minute
	// MaxPending bounds the challenges and links not yet used, so that
	// anyone asking for challenges cannot fill the process's memory.
	MaxPending = 10_000
	// MaxSessions bounds the sessions held at once.
	MaxSessions = 10_000
	// MaxVerifyBody bounds a signature's request body.
	MaxVerifyBody = 4 << 10
)

// SessionCookie is the session's cookie: HttpOnly, SameSite=Strict, scoped
// to the console's path.
const SessionCookie = "peg_console"

// ChallengeContext is signed before the challenge, so that a sign-in
// signature can be nothing else (a transaction's signature covers a
// transaction's encoding, which never starts with it).
const ChallengeContext = "peg console sign-in\n"

// SignedMessage is the message a sign-in signs: the context, the challenge
// and the address signing in, one per line.
func SignedMessage(challenge string, addr ledger.Address) []byte {
	return []byte(ChallengeContext + challenge + "\n" + addr.String() + "\n")
}

// Challenge is the answer to POST /console/signin/challenge.
type Challenge struct {
	Challenge string    `json:"challenge"`
	Expires   time.Time `json:"expires"`
}

// Verify is the body of POST /console/signin/verify: the challenge signed
// by the key of Address, whose public key is PublicKey (hex).
type Verify struct {
	Challenge string `json:"challenge"`
	Address   string `json:"address"`
	PublicKey string `json:"public_key"`
	Signature string `json:"signature"`
}

// Link is the answer to a verified signature: the path of the one-time
// sign-in link, under the console's origin.
type Link struct {
	Path    string    `json:"path"`
	Expires time.Time `json:"expires"`
}

// session is a signed-in address until expires.
type session struct {
	addr    ledger.Address
	expires time.Time
}

// sessions holds the challenges, links and sessions of one process.
type sessions struct {
	mu         sync.Mutex
	challenges map[string]time.Time // challenge → expiry
	links      map[string]session   // link token → the session it starts
	live       map[string]session   // cookie value → session
}

func newSessions() *sessions {
	return &sessions{challenges: map[string]time.Time{}, links: map[string]session{}, live: map[string]session{}}
}

// token is 32 random bytes in hex.
func token() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("console: reading random bytes: %v", err)) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}

// sweep drops what has expired. The caller holds mu.
func (s *sessions) sweep(now time.Time) {
	for k, exp := range s.challenges {
		if now.After(exp) {
			delete(s.challenges, k)
		}
	}
	for k, l := range s.links {
		if now.After(l.expires) {
			delete(s.links, k)
		}
	}
	for k, l := range s.live {
		if now.After(l.expires) {
			delete(s.live, k)
		}
	}
}

// of is r's session, or nil.
func (s *sessions) of(r *http.Request) *session {
	ck, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.live[ck.Value]
	if !ok || time.Now().After(l.expires) {
		return nil
	}
	return &l
}

// challenge answers a new one-time challenge.
func (c *Console) challenge(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s := c.sessions
	s.mu.Lock()
	s.sweep(now)
	if len(s.challenges)+len(s.links) >= MaxPending {
		s.mu.Unlock()
		jsonError(w, http.StatusServiceUnavailable, "too many sign-ins under way; try again in a few minutes")
		return
	}
	ch := Challenge{Challenge: token(), Expires: now.Add(ChallengeTTL).UTC()}
	s.challenges[ch.Challenge] = ch.Expires
	s.mu.Unlock()
	writeJSONAnswer(w, http.StatusOK, ch)
}

// verify checks a signed challenge and answers a one-time sign-in link. The
// challenge is used up whether or not the signature holds.
func (c *Console) verify(w http.ResponseWriter, r *http.Request) {
	var v Verify
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxVerifyBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		jsonError(w, http.StatusBadRequest, "the body is not a sign-in signature: "+err.Error())
		return
	}
	addr, pub, sig, err := v.parse()
	if err != nil {
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	now := time.Now()
	s := c.sessions
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.challenges[v.Challenge]
	delete(s.challenges, v.Challenge)
	switch {
	case !ok || now.After(exp):
		jsonError(w, http.StatusUnauthorized, "unknown or expired challenge; ask for a new one")
		return
	case !addr.Owns(pub):
		jsonError(w, http.StatusUnauthorized, fmt.Sprintf("the public key is not %s's", addr))
		return
	case !ed25519.Verify(pub, SignedMessage(v.Challenge, addr), sig):
		jsonError(w, http.StatusUnauthorized, "the signature does not verify")
		return
	}
	tok := token()
	s.links[tok] = session{addr: addr, expires: now.Add(LinkTTL)}
	writeJSONAnswer(w, http.StatusOK, Link{Path: Prefix + "signin/complete?token=" + tok, Expires: now.Add(LinkTTL).UTC()})
}

// parse reads v's address, public key and signature.
func (v Verify) parse() (ledger.Address, ed25519.PublicKey, []byte, error) {
	addr, err := ledger.ParseAddress(v.Address)
	if err != nil {
		return ledger.Address{}, nil, nil, err
	}
	pub, err := hex.DecodeString(v.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return ledger.Address{}, nil, nil, fmt.Errorf("public_key: want %d bytes in hex", ed25519.PublicKeySize)
	}
	sig, err := hex.DecodeString(v.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return ledger.Address{}, nil, nil, fmt.Errorf("signature: want %d bytes in hex", ed25519.SignatureSize)
	}
	return addr, pub, sig, nil
}

// signinComplete opens a sign-in link: the link is used up, a session
// starts, and the browser goes to its account.
func (c *Console) signinComplete(r *http.Request) (*view, error) {
	tok := r.URL.Query().Get("token")
	now := time.Now()
	s := c.sessions
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.links[tok]
	delete(s.links, tok)
	if !ok || now.After(l.expires) {
		return nil, &pageError{http.StatusUnauthorized, "this sign-in link is unknown, used or expired; run peg console signin again"}
	}
	if len(s.live) >= MaxSessions {
		s.sweep(now)
		if len(s.live) >= MaxSessions {
			return nil, &pageError{http.StatusServiceUnavailable, "too many sessions; try again later"}
		}
	}
	id := token()
	s.live[id] = session{addr: l.addr, expires: now.Add(SessionTTL)}
	return &view{redirect: Prefix + "me", cookie: &http.Cookie{
		Name: SessionCookie, Value: id, Path: Prefix, MaxAge: int(SessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	}}, nil
}

// signout ends the session.
func (c *Console) signout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(SessionCookie); err == nil {
		c.sessions.mu.Lock()
		delete(c.sessions.live, ck.Value)
		c.sessions.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Path: Prefix, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

// signinPage says how to sign in, and who is signed in.
func (c *Console) signinPage(r *http.Request) (*view, error) {
	return &view{name: "signin", title: "Sign in"}, nil
}

// meData is the signed-in person's page: their account and notifications.
type meData struct {
	accountData
	Notifications *client.NotificationPage
	// NextNotes links the next page of notifications.
	NextNotes string
}

// me shows the signed-in address's account and a page of its
// notifications from ?notes= (the chain's start by default).
func (c *Console) me(r *http.Request) (*view, error) {
	s := c.sessions.of(r)
	if s == nil {
		return &view{redirect: Prefix + "signin"}, nil
	}
	api, err := c.api(r)
	if err != nil {
		return nil, err
	}
	a, err := c.accountData(r, api, s.addr)
	if err != nil {
		return nil, err
	}
	d := meData{accountData: *a}
	d.Mine = true
	if d.Notifications, err = api.Notifications(r.Context(), s.addr, r.URL.Query().Get("notes"), PageSize); err != nil {
		return nil, err
	}
	if len(d.Notifications.Notifications) == PageSize {
		d.NextNotes = Prefix + "me?notes=" + url.QueryEscape(d.Notifications.Next)
	}
	return &view{name: "me", title: "My account", data: d}, nil
}

// jsonError answers a sign-in request's failure.
func jsonError(w http.ResponseWriter, status int, msg string) {
	writeJSONAnswer(w, status, map[string]string{"message": msg})
}

func writeJSONAnswer(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("console: encoding %T: %v", v, err)) // the answers always encode
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
