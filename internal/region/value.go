// Package region owns characteristic values (S2.2): the phone numbers and
// national ID numbers by which people find an owner, the routing table that
// says which region's chain holds a value's alias (S2.3), and the keyed hash
// under which the alias directory stores a value, so that no value is ever
// in clear on chain and the directory cannot be enumerated without the key.
//
// Two kinds of value, each with its written form and one canonical form:
//
//   - A phone number is E.164: "+", then the country code and the national
//     number, 1 to 15 digits in all, the first not 0 ("+442071234567"). People
//     type separators, and ParsePhone drops them: spaces, hyphens, dots,
//     slashes and parentheses; "(0)", the national trunk prefix some write
//     after the country code ("+44 (0)20 7123 4567"), is dropped whole.
//   - A national ID number is its issuing country's ISO 3166-1 alpha-2 code,
//     a hyphen, and the number: 4 to 24 digits and capital letters, starting
//     with a digit ("CN-310101199001011234", "HK-12345678"). The number's
//     leading digits are the administrative division that issued it, which is
//     what the routing table's ID prefixes name ("CN-31": Shanghai). ParseID
//     accepts lower case and the same separators, and no separator at all
//     between the country and the number ("cn 310101 19900101 1234").
//
// The canonical form ("phone:+442071234567", "id:CN-310101199001011234")
// names the kind, so that a phone number and an ID number with the same
// digits never hash alike. The package does no I/O.
package region

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is what a characteristic value is.
type Kind uint8

// The kinds of value.
const (
	Phone Kind = 1 // an E.164 phone number
	ID    Kind = 2 // a national ID number
)

func (k Kind) String() string {
	switch k {
	case Phone:
		return "phone"
	case ID:
		return "id"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Limits of a value, as written and as parsed.
const (
	// MaxPhoneDigits is E.164's longest number: country code and national
	// number together.
	MaxPhoneDigits = 15
	// MinIDDigits and MaxIDDigits bound an ID number's characters after the
	// country; the longest national numbers in use have 18.
	MinIDDigits = 4
	MaxIDDigits = 24
	// MaxInputLen bounds what a parser reads: a number with generous
	// separators is well under it, and nothing longer is looked at.
	MaxInputLen = 64
)

// Value is a characteristic value in canonical form. The zero Value is not
// valid; IsZero tells.
type Value struct {
	kind Kind
	// text is the written canonical form: "+442071234567" or "CN-310101199001011234".
	text string
}

// Kind says whether v is a phone number or an ID number.
func (v Value) Kind() Kind { return v.kind }

// IsZero reports whether v is the zero Value.
func (v Value) IsZero() bool { return v.kind == 0 }

// String is v as people write it, without separators: "+442071234567",
// "CN-310101199001011234".
func (v Value) String() string { return v.text }

// Canonical is v with its kind, the form that is hashed: "phone:+442071234567",
// "id:CN-310101199001011234".
func (v Value) Canonical() string { return v.kind.String() + ":" + v.text }

// digits is what the routing table's prefixes are matched against: a phone
// number's digits, or an ID number's country and number ("CN310101…").
func (v Value) digits() string {
	if v.kind == Phone {
		return v.text[1:]
	}
	return v.text[:2] + v.text[3:]
}

// Errors of the parsers; each error wraps one of them.
var (
	ErrPhone = errors.New("region: not an E.164 phone number")
	ErrID    = errors.New("region: not a national ID number")
)

// isSeparator reports whether c is a separator people type inside a number.
func isSeparator(c byte) bool {
	switch c {
	case ' ', '-', '.', '/', '(', ')':
		return true
	}
	return false
}

// ParsePhone reads an E.164 phone number in any of the forms people type and
// returns it in canonical form.
func ParsePhone(s string) (Value, error) {
	if len(s) > MaxInputLen {
		return Value{}, fmt.Errorf("%w: %d characters, at most %d", ErrPhone, len(s), MaxInputLen)
	}
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "+") {
		return Value{}, fmt.Errorf("%w: %q does not start with + and the country code", ErrPhone, s)
	}
	d, err := phoneDigits(t[1:])
	if err != nil {
		return Value{}, fmt.Errorf("%w: %q %s", ErrPhone, s, err)
	}
	return Value{kind: Phone, text: "+" + d}, nil
}

// phoneDigits returns the digits of s, the part after "+", with separators
// and one trunk prefix "(0)" after the country code dropped.
func phoneDigits(s string) (string, error) {
	var b strings.Builder
	trunk := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if b.Len() == 0 && c == '0' {
				return "", errors.New("has a country code starting with 0")
			}
			b.WriteByte(c)
		case strings.HasPrefix(s[i:], "(0)") && b.Len() > 0:
			if trunk {
				return "", errors.New("has a second trunk prefix (0)")
			}
			trunk = true
			i += 2
		case isSeparator(c):
		default:
			return "", fmt.Errorf("has %q, which is neither a digit nor a separator", c)
		}
		if b.Len() > MaxPhoneDigits {
			return "", fmt.Errorf("has more than %d digits", MaxPhoneDigits)
		}
	}
	if b.Len() == 0 {
		return "", errors.New("has no digits")
	}
	return b.String(), nil
}

// ParseID reads a national ID number and returns it in canonical form.
func ParseID(s string) (Value, error) {
	if len(s) > MaxInputLen {
		return Value{}, fmt.Errorf("%w: %d characters, at most %d", ErrID, len(s), MaxInputLen)
	}
	t := strings.ToUpper(strings.TrimSpace(s))
	if len(t) < 2 || !isLetter(t[0]) || !isLetter(t[1]) {
		return Value{}, fmt.Errorf("%w: %q does not start with a country code such as CN", ErrID, s)
	}
	var b strings.Builder
	for i := 2; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9', isLetter(c):
			if b.Len() == 0 && isLetter(c) {
				return Value{}, fmt.Errorf("%w: %q: the number must start with a digit (its administrative division)", ErrID, s)
			}
			b.WriteByte(c)
		case isSeparator(c):
		default:
			return Value{}, fmt.Errorf("%w: %q has %q, which is neither a digit, a letter nor a separator", ErrID, s, c)
		}
	}
	if n := b.Len(); n < MinIDDigits || n > MaxIDDigits {
		return Value{}, fmt.Errorf("%w: %q has a number of %d characters, want %d to %d", ErrID, s, n, MinIDDigits, MaxIDDigits)
	}
	return Value{kind: ID, text: t[:2] + "-" + b.String()}, nil
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }

// ParseValue reads a value whose kind its form tells: a phone number starts
// with "+", an ID number with its country's letters; the canonical forms
// ("phone:+442071234567", "id:CN-310101199001011234") are read too.
func ParseValue(s string) (Value, error) {
	t := strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(t, "phone:"):
		return ParsePhone(t[len("phone:"):])
	case strings.HasPrefix(t, "id:"):
		return ParseID(t[len("id:"):])
	case strings.HasPrefix(t, "+"):
		return ParsePhone(t)
	}
	return ParseID(t)
}

// Parse reads a value of kind k.
func Parse(k Kind, s string) (Value, error) {
	switch k {
	case Phone:
		return ParsePhone(s)
	case ID:
		return ParseID(s)
	}
	return Value{}, fmt.Errorf("region: unknown kind %d", uint8(k))
}
