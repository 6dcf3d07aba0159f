package grammar

import (
	"math"
	"strconv"
	"strings"
)

// maxIntDigits matches the primitive integer rule: 16 digits at most.
const maxIntDigits = 16

// bound reads a numeric keyword; ok is false when absent.
func bound(s *jval, key, path string) (float64, bool, error) {
	v := s.get(key)
	if v == nil {
		return 0, false, nil
	}
	if v.kind != 'n' {
		return 0, false, schemaErr(path+"/"+key, "want a number (draft-4 boolean %s is not supported)", key)
	}
	f, err := strconv.ParseFloat(v.str, 64)
	if err != nil {
		return 0, false, schemaErr(path+"/"+key, "bad number %s", v.str)
	}
	return f, true, nil
}

// integer builds the rule body of an integer schema, with its bounds.
func (c *conv) integer(s *jval, path string) (string, error) {
	if err := onlyKeys(s, path, "integer"); err != nil {
		return "", err
	}
	limit := math.Pow10(maxIntDigits) - 1
	lo, hi := -limit, limit
	haveBound := false
	for _, k := range []string{"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"} {
		f, ok, err := bound(s, k, path)
		if err != nil {
			return "", err
		}
		if !ok {
			continue
		}
		haveBound = true
		switch k {
		case "minimum":
			lo = math.Max(lo, math.Ceil(f))
		case "exclusiveMinimum":
			lo = math.Max(lo, math.Floor(f)+1)
		case "maximum":
			hi = math.Min(hi, math.Floor(f))
		case "exclusiveMaximum":
			hi = math.Min(hi, math.Ceil(f)-1)
		}
	}
	if !haveBound {
		return c.prim("integer"), nil
	}
	if lo > hi {
		return "", schemaErr(path, "no integer lies between the minimum and the maximum")
	}
	return "(" + intRange(int64(lo), int64(hi)) + ") " + c.prim("space"), nil
}

// intRange is a GBNF expression for the decimal integers in [lo, hi] (no
// leading zeros, no "-0").
func intRange(lo, hi int64) string {
	var parts []string
	if lo < 0 {
		parts = append(parts, `"-" (`+natRange(max(1, -min(hi, -1)), -lo)+")")
	}
	if hi >= 0 {
		parts = append(parts, natRange(max(lo, 0), hi))
	}
	return strings.Join(parts, " | ")
}

// natRange is the expression for [a, b], 0 <= a <= b, split by length.
func natRange(a, b int64) string {
	var parts []string
	low := int64(0)
	for l := 1; l <= 19; l++ {
		high := int64(math.Pow10(l)) - 1
		if l == 19 {
			high = math.MaxInt64
		}
		from, to := max(a, low), min(b, high)
		if from <= to {
			parts = append(parts, sameLen(strconv.FormatInt(from, 10), strconv.FormatInt(to, 10)))
		}
		if high >= b {
			break
		}
		low = high + 1
	}
	return strings.Join(parts, " | ")
}

func digitClass(x, y byte) string {
	if x == y {
		return `"` + string(x) + `"`
	}
	return "[" + string(x) + "-" + string(y) + "]"
}

func allOf(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != c {
			return false
		}
	}
	return true
}

func anyDigits(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return " [0-9]"
	}
	return " [0-9]{" + strconv.Itoa(n) + "}"
}

// sameLen is the expression for the numbers from a to b, two digit strings
// of the same length with a <= b.
func sameLen(a, b string) string {
	n := len(a)
	if a == b {
		return `"` + a + `"`
	}
	if allOf(a[1:], '0') && allOf(b[1:], '9') {
		return digitClass(a[0], b[0]) + anyDigits(n-1)
	}
	if a[0] == b[0] {
		return `"` + a[:1] + `" (` + sameLen(a[1:], b[1:]) + ")"
	}
	var parts []string
	midLo, midHi := a[0], b[0]
	if !allOf(a[1:], '0') {
		parts = append(parts, `"`+a[:1]+`" (`+sameLen(a[1:], strings.Repeat("9", n-1))+")")
		midLo++
	}
	var tail string
	if !allOf(b[1:], '9') {
		tail = `"` + b[:1] + `" (` + sameLen(strings.Repeat("0", n-1), b[1:]) + ")"
		midHi--
	}
	if midLo <= midHi {
		parts = append(parts, digitClass(midLo, midHi)+anyDigits(n-1))
	}
	if tail != "" {
		parts = append(parts, tail)
	}
	return strings.Join(parts, " | ")
}

// number builds the rule body of a number schema. Bounds must be whole
// numbers (minimum 0, maximum 100…); a bounded number is written without an
// exponent, with at most 16 digits after the point.
func (c *conv) number(s *jval, path string) (string, error) {
	if err := onlyKeys(s, path, "number"); err != nil {
		return "", err
	}
	var lo, hi int64
	var haveLo, haveHi, loExcl, hiExcl bool
	for _, k := range []string{"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"} {
		f, ok, err := bound(s, k, path)
		if err != nil {
			return "", err
		}
		if !ok {
			continue
		}
		if f != math.Trunc(f) || math.Abs(f) >= math.Pow10(maxIntDigits) {
			return "", schemaErr(path+"/"+k, "%s %v on type number is not supported (only whole-number bounds below 1e16 are)", k, f)
		}
		n := int64(f)
		switch k {
		case "minimum", "exclusiveMinimum":
			excl := k == "exclusiveMinimum"
			if !haveLo || n > lo || n == lo && excl {
				lo, loExcl = n, excl
			}
			haveLo = true
		default:
			excl := k == "exclusiveMaximum"
			if !haveHi || n < hi || n == hi && excl {
				hi, hiExcl = n, excl
			}
			haveHi = true
		}
	}
	if !haveLo && !haveHi {
		return c.prim("number"), nil
	}
	if haveLo && haveHi && (lo > hi || lo == hi && (loExcl || hiExcl)) {
		return "", schemaErr(path, "no number lies between the minimum and the maximum")
	}
	var parts []string
	// x >= 0: magnitudes from max(lo, 0) up to hi.
	if !haveHi || hi >= 0 {
		a, aExcl := int64(0), false
		if haveLo && lo >= 0 {
			a, aExcl = lo, loExcl
		}
		if p := magnitude(a, hi, aExcl, hiExcl, haveHi); p != "" {
			parts = append(parts, p)
		}
	}
	// x < 0: "-" and magnitudes y > 0 with -hi <= y <= -lo.
	if !haveLo || lo < 0 {
		a, aExcl := int64(0), true // y > 0
		if haveHi && hi < 0 {
			a, aExcl = -hi, hiExcl
		}
		if p := magnitude(a, -lo, aExcl, loExcl, haveLo); p != "" {
			parts = append(parts, `"-" (`+p+")")
		}
	}
	if len(parts) == 0 {
		return "", schemaErr(path, "no number lies between the minimum and the maximum")
	}
	return "(" + strings.Join(parts, " | ") + ") " + c.prim("space"), nil
}

// Fractions of a bounded number.
const (
	anyFrac     = `("." [0-9]{1,16})?`
	zeroFrac    = `("." "0"{1,16})?`
	nonzeroFrac = `"." "0"{0,15} [1-9] [0-9]{0,14}`
)

// magnitude is the expression for decimal numbers y (no sign) with a <= y
// <= b (a < y when aExcl, y < b when bExcl; no upper bound unless haveB),
// a and b whole and a >= 0.
func magnitude(a, b int64, aExcl, bExcl, haveB bool) string {
	top := int64(math.Pow10(maxIntDigits)) - 1
	if !haveB {
		b, bExcl = top, false
	}
	if a > b {
		return ""
	}
	if a == b {
		if aExcl || bExcl {
			return ""
		}
		return intRange(a, a) + " " + zeroFrac
	}
	var parts []string
	if aExcl {
		parts = append(parts, intRange(a, a)+" "+nonzeroFrac)
	} else {
		parts = append(parts, intRange(a, a)+" "+anyFrac)
	}
	if a+1 <= b-1 {
		parts = append(parts, "("+natRange(a+1, b-1)+") "+anyFrac)
	}
	switch {
	case !haveB:
		parts = append(parts, "("+natRange(b, b)+") "+anyFrac)
	case !bExcl:
		parts = append(parts, intRange(b, b)+" "+zeroFrac)
	}
	return strings.Join(parts, " | ")
}
