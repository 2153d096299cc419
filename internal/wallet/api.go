package wallet

import (
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// openapiYAML documents the API; the server answers it at /openapi.yaml.
//
//go:embed openapi.yaml
var openapiYAML []byte

// IdempotencyHeader carries a request's idempotency key.
const IdempotencyHeader = "Idempotency-Key"

// ReplayedHeader is "true" on the stored answer to a repeated idempotency key.
const ReplayedHeader = "Idempotent-Replayed"

// Status is what GET /v1/status answers.
type Status struct {
	ChainID  string `json:"chain_id"`
	Node     string `json:"node"`
	Followed uint64 `json:"followed"` // the last block the records include
}

// route is one operation; routes lists them, and the test checks them
// against openapi.yaml.
type route struct {
	pattern string
	handle  func(w http.ResponseWriter, r *http.Request) error
}

func (s *Service) routes() []route {
	return []route{
		{"GET /v1/status", s.hStatus},
		{"GET /v1/codes", s.hCodes},
		{"GET /v1/wallets", s.hWallets},
		{"POST /v1/wallets", s.hCreateWallet},
		{"GET /v1/wallets/{wallet}", s.hWallet},
		{"GET /v1/wallets/{wallet}/records", s.hRecords},
		{"POST /v1/wallets/{wallet}/deposits", s.hDeposit},
		{"POST /v1/wallets/{wallet}/moves", s.hMove},
		{"POST /v1/wallets/{wallet}/payments", s.hPay},
		{"POST /v1/wallets/{wallet}/fee-deposits", s.hFeeDeposit},
		{"GET /v1/moves/{id}", s.hReadMove},
		{"POST /v1/checkouts", s.hCreateCheckout},
		{"GET /v1/checkouts/{id}", s.hReadCheckout},
		{"GET /v1/checkouts/{id}/deliveries", s.hDeliveries},
	}
}

// Handler is the server's HTTP API: JSON operations under /v1/ (behind the
// API token, when the server has one), the OpenAPI document at
// /openapi.yaml and /healthz. No answer carries a key.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := s.authorize(r); err != nil {
				s.writeError(w, r, err)
				return
			}
			if err := rt.handle(w, r); err != nil {
				s.writeError(w, r, err)
			}
		})
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(openapiYAML)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errorf(CodeBadRequest, "no operation %s %s; GET /openapi.yaml lists them", r.Method, r.URL.Path))
	})
	return mux
}

// authorize checks the request's bearer token against the server's, in
// constant time.
func (s *Service) authorize(r *http.Request) error {
	if s.cfg.APIToken == "" {
		return nil
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.APIToken)) != 1 {
		return errorf(CodeUnauthorized, "this server needs \"Authorization: Bearer TOKEN\" with its API token")
	}
	return nil
}

func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		s.log.Error("wallet API", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &Error{Status: http.StatusInternalServerError, Code: 1000, Name: "INTERNAL", Message: "internal error; the server's log says more"}
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// decodeBody reads a JSON body strictly: at most MaxBodySize, no unknown
// fields, nothing after it.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodySize+1))
	if err != nil {
		return errorf(CodeBadRequest, "reading the body: %v", err)
	}
	if len(body) > MaxBodySize {
		return errorf(CodeBadRequest, "the body is above %d bytes", MaxBodySize)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(CodeBadRequest, "the body is not the JSON this operation takes: %v", err)
	}
	if dec.More() {
		return errorf(CodeBadRequest, "the body has data after its JSON value")
	}
	return nil
}

// created answers a new resource, or the stored answer to a replayed key.
func created(w http.ResponseWriter, v any, replayed bool) error {
	if replayed {
		w.Header().Set(ReplayedHeader, "true")
	}
	return writeJSON(w, http.StatusCreated, v)
}

func (s *Service) hStatus(w http.ResponseWriter, r *http.Request) error {
	h, err := s.Followed(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Status{ChainID: s.chainID, Node: s.cfg.Node, Followed: h})
}

func (s *Service) hCodes(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{"codes": Codes()})
}

func (s *Service) hWallets(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.Wallets(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"wallets": ws})
}

// CreateWalletRequest is the body of POST /v1/wallets.
type CreateWalletRequest struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

func (s *Service) hCreateWallet(w http.ResponseWriter, r *http.Request) error {
	var req CreateWalletRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	wl, err := s.CreateWallet(r.Context(), req.Name, req.Kind)
	if err != nil {
		return err
	}
	return created(w, wl, false)
}

func (s *Service) hWallet(w http.ResponseWriter, r *http.Request) error {
	v, err := s.View(r.Context(), r.PathValue("wallet"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Service) hRecords(w http.ResponseWriter, r *http.Request) error {
	limit := 0
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return errorf(CodeBadRequest, "limit %q is not a number", l)
		}
		limit = n
	}
	rs, err := s.Records(r.Context(), r.PathValue("wallet"), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"records": rs})
}

func (s *Service) hDeposit(w http.ResponseWriter, r *http.Request) error {
	var req DepositRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	d, replayed, err := s.Deposit(r.Context(), r.PathValue("wallet"), r.Header.Get(IdempotencyHeader), req)
	if err != nil {
		return err
	}
	return created(w, d, replayed)
}

func (s *Service) hMove(w http.ResponseWriter, r *http.Request) error {
	var req MoveRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	m, replayed, err := s.Move(r.Context(), r.PathValue("wallet"), r.Header.Get(IdempotencyHeader), req)
	if err != nil {
		return err
	}
	if m.Status == MoveSubmitted {
		return writeJSON(w, http.StatusAccepted, m)
	}
	return created(w, m, replayed)
}

func (s *Service) hReadMove(w http.ResponseWriter, r *http.Request) error {
	m, err := s.ReadMove(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Service) hPay(w http.ResponseWriter, r *http.Request) error {
	var req PayRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	p, replayed, err := s.Pay(r.Context(), r.PathValue("wallet"), r.Header.Get(IdempotencyHeader), req)
	if err != nil {
		return err
	}
	return created(w, p, replayed)
}

// FeeDepositRequest is the body of POST /v1/wallets/{wallet}/fee-deposits.
type FeeDepositRequest struct {
	Amount string `json:"amount"`
}

func (s *Service) hFeeDeposit(w http.ResponseWriter, r *http.Request) error {
	var req FeeDepositRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	p, err := s.FeeDeposit(r.Context(), r.PathValue("wallet"), req.Amount)
	if err != nil {
		return err
	}
	return created(w, p, false)
}

func (s *Service) hCreateCheckout(w http.ResponseWriter, r *http.Request) error {
	var req CheckoutRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	c, replayed, err := s.CreateCheckout(r.Context(), r.Header.Get(IdempotencyHeader), req)
	if err != nil {
		return err
	}
	return created(w, c, replayed)
}

func (s *Service) hReadCheckout(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ReadCheckout(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Service) hDeliveries(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.ReadCheckout(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	ds, err := s.Deliveries(r.Context(), r.PathValue("id"))
	if err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
}
