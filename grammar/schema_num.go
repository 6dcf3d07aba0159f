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
