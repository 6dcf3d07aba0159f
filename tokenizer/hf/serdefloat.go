package hf

import (
	"math"
	"strconv"
)

// pow10 holds 1e0 … 1e308, each correctly rounded (as Rust's float
// literals are; math.Pow10 multiplies two table entries for large powers).
var pow10 = func() (p [309]float64) {
	for i := range p {
		p[i], _ = strconv.ParseFloat("1e"+strconv.Itoa(i), 64)
	}
	return p
}()

// serdeFloat parses a JSON number the way serde_json does without its
// float_roundtrip feature (the Rust tokenizers crate does not enable it):
// the decimal digits are gathered into a u64 significand (digits past u64
// overflow are dropped), the significand is converted to float64 and then
// multiplied or divided by one power of ten. That is not always the nearest
// float64 to the decimal text (17-digit scores such as -11.442008972167969
// can land one ulp away), and Unigram's Viterbi search breaks ties between
// equal-scoring segmentations on exactly those last bits, so the scores
// must be the very values HF computes. ok is false for text that is not a
// JSON number.
func serdeFloat(s string) (f float64, ok bool) {
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	if i >= len(s) || s[i] < '0' || s[i] > '9' {
		return 0, false
	}
	var sig uint64
	exp := 0
	overflow := false
	digit := func(c byte) {
		d := uint64(c - '0')
		if !overflow && (sig > (math.MaxUint64-d)/10) {
			overflow = true
		}
		if overflow {
			return
		}
		sig = sig*10 + d
	}
	if s[i] == '0' {
		i++
	} else {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			wasOver := overflow
			digit(s[i])
			if wasOver || overflow {
				exp++ // parse_long_integer: a dropped integer digit scales by 10
			}
			i++
		}
	}
	if i < len(s) && s[i] == '.' {
		i++
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			digit(s[i])
			if !overflow {
				exp--
			}
			i++
			n++
		}
		if n == 0 {
			return 0, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		e := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if e < 1<<20 {
				e = e*10 + int(s[i]-'0')
			}
			i++
		}
		if eneg {
			exp -= e
		} else {
			exp += e
		}
	}
	if i != len(s) {
		return 0, false
	}
	f = float64(sig)
	for {
		a := exp
		if a < 0 {
			a = -a
		}
		if a < len(pow10) {
			if exp >= 0 {
				f *= pow10[a]
			} else {
				f /= pow10[a]
			}
			break
		}
		if f == 0 {
			break
		}
		if exp >= 0 {
			return 0, false // out of range
		}
		f /= 1e308
		exp += 308
	}
	if neg {
		f = -f
	}
	return f, true
}
