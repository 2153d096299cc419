package demobank

import (
	"fmt"
	"net/http"
	"time"
)

// FaultMode is how the Open Banking API misbehaves on purpose, so that tests
// of the reserve monitor can make the bank fail without stopping it.
type FaultMode string

// The fault modes.
const (
	FaultNone    FaultMode = "none"    // answer normally
	FaultError   FaultMode = "error"   // answer 500 with an Open Banking error body
	FaultGarbage FaultMode = "garbage" // answer 200 with a body that is not JSON
)

// garbageBody is what FaultGarbage answers: the start of a balance answer, cut
// off, then bytes that are not JSON at all.
const garbageBody = "{\"Data\":{\"Balance\":[{\"AccountId\":\"\x00\xff<html>502 Bad Gateway</html>"

// Fault is the misbehaviour in force. Delay holds each answer back (in any
// mode), until the client gives up or the delay passes. Faults apply to the
// account resources; with IncludeToken they apply to POST /token too. They
// are not persisted: a restarted bank answers normally.
type Fault struct {
	Mode         FaultMode
	Delay        time.Duration
	IncludeToken bool
}

func (b *Bank) checkFault(f Fault) error {
	switch f.Mode {
	case FaultNone, FaultError, FaultGarbage:
	default:
		return fmt.Errorf("%w: fault mode %q is not one of %s, %s, %s", ErrInvalid, clip(string(f.Mode)), FaultNone, FaultError, FaultGarbage)
	}
	if f.Delay < 0 || f.Delay > b.opts.MaxFaultDelay {
		return fmt.Errorf("%w: fault delay %s must be between 0 and %s (MaxFaultDelay)", ErrInvalid, f.Delay, b.opts.MaxFaultDelay)
	}
	return nil
}

// SetFault puts f in force. Fault{Mode: FaultNone} goes back to normal.
func (b *Bank) SetFault(f Fault) error {
	if err := b.checkFault(f); err != nil {
		return err
	}
	b.mu.Lock()
	b.fault = f
	b.mu.Unlock()
	b.log.Warn("fault injection", "mode", f.Mode, "delay", f.Delay, "include_token", f.IncludeToken)
	return nil
}

// Fault returns the fault in force.
func (b *Bank) Fault() Fault {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fault.Mode == "" {
		return Fault{Mode: FaultNone}
	}
	return b.fault
}

// withFault wraps an Open Banking handler with the fault in force. token
// says whether h is the token endpoint.
func (b *Bank) withFault(h http.HandlerFunc, token bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := b.Fault()
		if token && !f.IncludeToken {
			f = Fault{Mode: FaultNone}
		}
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			case <-b.closed:
				t.Stop()
				return
			}
		}
		switch f.Mode {
		case FaultError:
			b.obError(w, r, http.StatusInternalServerError, "UK.OBIE.UnexpectedError", "injected fault: the bank is failing")
		case FaultGarbage:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(garbageBody))
		default:
			h(w, r)
		}
	}
}
