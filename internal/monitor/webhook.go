package monitor

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"
)

// Webhook is a receiver of alerts. Each delivery is a JSON Alert in a POST
// with the header
//
//	Peg-Signature: t=UNIX,v1=HEX
//
// where HEX is HMAC-SHA256(Secret, "UNIX." + body): the receiver recomputes it
// and checks that t is recent, which defeats forgery and replay.
type Webhook struct {
	URL    string `toml:"url"`
	Secret string `toml:"secret"`
}

// Validate refuses a webhook that cannot be delivered as documented: a URL
// that does not parse, is not http or https, or names no host; and an empty
// secret, which would sign every delivery with a key anyone can reproduce.
func (h Webhook) Validate() error {
	u, err := url.Parse(h.URL)
	switch {
	case err != nil:
		return fmt.Errorf("monitor: webhook URL %q does not parse: %w", h.URL, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("monitor: webhook URL %q: want an http:// or https:// URL", h.URL)
	case u.Opaque != "" || u.Hostname() == "":
		return fmt.Errorf("monitor: webhook URL %q names no host", h.URL)
	case h.Secret == "":
		return fmt.Errorf("monitor: webhook %s has no secret to sign its deliveries with", h.URL)
	}
	return nil
}

// Delivery limits.
const (
	// MaxAttempts bounds the tries of one delivery.
	MaxAttempts = 6
	// FirstRetry is the wait before the second try; each later wait doubles.
	FirstRetry = 500 * time.Millisecond
	// DeliveryTimeout bounds one try.
	DeliveryTimeout = 10 * time.Second
)

// SignatureHeader carries a delivery's signature.
const SignatureHeader = "Peg-Signature"

// Sign computes the signature header value for body at time t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Delivery is one line of the delivery log: the outcome of one try.
type Delivery struct {
	AlertID string    `json:"alert_id"`
	URL     string    `json:"url"`
	Attempt int       `json:"attempt"`
	Time    time.Time `json:"time"`
	Status  int       `json:"status,omitempty"`
	Error   string    `json:"error,omitempty"`
	OK      bool      `json:"ok"`
}

// deliverer posts alerts to webhooks with retries and logs every try.
type deliverer struct {
	hooks  []Webhook
	client *http.Client
	log    *slog.Logger
	mu     sync.Mutex
	file   *os.File // delivery log, JSON lines; nil for none
	wg     sync.WaitGroup
}

// send delivers a to every webhook in the background.
func (d *deliverer) send(ctx context.Context, a Alert) {
	body, err := json.Marshal(a)
	if err != nil {
		d.log.Error("encoding alert", "err", err)
		return
	}
	for _, h := range d.hooks {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.deliver(ctx, h, a.ID, body)
		}()
	}
}

func (d *deliverer) deliver(ctx context.Context, h Webhook, id string, body []byte) {
	wait := FirstRetry
	for attempt := 1; attempt <= MaxAttempts; attempt++ {
		status, err := d.try(ctx, h, body)
		rec := Delivery{AlertID: id, URL: h.URL, Attempt: attempt, Time: time.Now().UTC(), Status: status,
			OK: err == nil}
		if err != nil {
			rec.Error = err.Error()
		}
		d.record(rec)
		if err == nil {
			return
		}
		d.log.Warn("webhook delivery failed", "url", h.URL, "alert", id, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait *= 2
	}
	d.log.Error("webhook delivery abandoned", "url", h.URL, "alert", id, "attempts", MaxAttempts)
}

func (d *deliverer) try(ctx context.Context, h Webhook, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, DeliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(h.Secret, time.Now(), body))
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("receiver answered HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

func (d *deliverer) record(rec Delivery) {
	if d.file == nil {
		return
	}
	b, _ := json.Marshal(rec)
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := d.file.Write(append(b, '\n')); err != nil {
		d.log.Error("writing the delivery log", "err", err)
	}
}

// wait blocks until every delivery in flight has finished or given up.
func (d *deliverer) wait() { d.wg.Wait() }
