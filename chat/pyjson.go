package chat

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ardanlabs/jinja"
)

// tojsonFilter is HF's tojson filter:
//
//	def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
//	    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
func tojsonFilter(args []jinja.Value, kw map[string]jinja.Value) (jinja.Value, error) {
	if len(args) == 0 {
		return jinja.Undefined(), errors.New("tojson: no value")
	}
	names := []string{"ensure_ascii", "indent", "separators", "sort_keys"}
	if len(args)-1 > len(names) {
		return jinja.Undefined(), fmt.Errorf("tojson: too many arguments (%d)", len(args)-1)
	}
	params := map[string]jinja.Value{}
	for i, a := range args[1:] {
		params[names[i]] = a
	}
	for k, v := range kw {
		found := false
		for _, n := range names {
			found = found || n == k
		}
		if !found {
			return jinja.Undefined(), fmt.Errorf("tojson: unexpected keyword argument %q", k)
		}
		params[k] = v
	}
	var d dumper
	if v, ok := params["ensure_ascii"]; ok {
		d.ascii = v.IsTruthy()
	}
	if v, ok := params["sort_keys"]; ok {
		d.sortKeys = v.IsTruthy()
	}
	d.item, d.key = ", ", ": "
	if v, ok := params["indent"]; ok && !v.IsNone() && !v.IsUndefined() {
		d.indented = true
		d.item = ","
		switch {
		case v.IsInt():
			if n := v.AsInt(); n > 0 {
				if n > 1024 {
					return jinja.Undefined(), fmt.Errorf("tojson: indent %d is too large", n)
				}
				d.indent = strings.Repeat(" ", int(n))
			}
		case v.IsString():
			d.indent = v.AsString()
		default:
			return jinja.Undefined(), fmt.Errorf("tojson: indent must be an integer or a string")
		}
	}
	if v, ok := params["separators"]; ok && !v.IsNone() && !v.IsUndefined() {
		if !v.IsList() || v.AsList().Len() != 2 || !v.AsList().Get(0).IsString() || !v.AsList().Get(1).IsString() {
			return jinja.Undefined(), errors.New("tojson: separators must be two strings")
		}
		d.item, d.key = v.AsList().Get(0).AsString(), v.AsList().Get(1).AsString()
	}
	if err := d.value(args[0], 0); err != nil {
		return jinja.Undefined(), fmt.Errorf("tojson: %w", err)
	}
	return jinja.NewString(d.b.String()), nil
}

// dumper writes JSON as Python's json.dumps does.
type dumper struct {
	b         strings.Builder
	ascii     bool
	sortKeys  bool
	indented  bool
	indent    string
	item, key string
}

// maxJSONDepth is where json.dumps would hit Python's recursion limit.
const maxJSONDepth = 1000

func (d *dumper) newline(level int) {
	if d.indented {
		d.b.WriteByte('\n')
		for range level {
			d.b.WriteString(d.indent)
		}
	}
}

func (d *dumper) value(v jinja.Value, level int) error {
	if level > maxJSONDepth {
		return errors.New("nested too deeply")
	}
	switch {
	case v.IsNone():
		d.b.WriteString("null")
	case v.IsUndefined():
		return errors.New("object of type Undefined is not JSON serializable")
	case v.IsCallable():
		return errors.New("a function is not JSON serializable")
	case v.IsBool():
		if v.AsBool() {
			d.b.WriteString("true")
		} else {
			d.b.WriteString("false")
		}
	case v.IsInt():
		d.b.WriteString(strconv.FormatInt(v.AsInt(), 10))
	case v.IsFloat():
		d.b.WriteString(pyFloat(v.AsFloat(), true))
	case v.IsString():
		d.str(v.AsString())
	case v.IsList():
		items := v.AsList().Items
		if len(items) == 0 {
			d.b.WriteString("[]")
			return nil
		}
		d.b.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				d.b.WriteString(d.item)
			}
			d.newline(level + 1)
			if err := d.value(it, level+1); err != nil {
				return err
			}
		}
		d.newline(level)
		d.b.WriteByte(']')
	case v.IsDict():
		dict := v.AsDict()
		keys := dict.Keys
		if len(keys) == 0 {
			d.b.WriteString("{}")
			return nil
		}
		if d.sortKeys {
			keys = append([]string(nil), keys...)
			sort.Strings(keys) // Python compares code points; so does byte order in UTF-8.
		}
		d.b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				d.b.WriteString(d.item)
			}
			d.newline(level + 1)
			d.str(k)
			d.b.WriteString(d.key)
			val, _ := dict.Get(k)
			if err := d.value(val, level+1); err != nil {
				return err
			}
		}
		d.newline(level)
		d.b.WriteByte('}')
	default:
		return errors.New("value is not JSON serializable")
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// str writes a JSON string as json.dumps does: \" \\ \n \r \t \b \f, other
// control characters as \u00XX, and with ensure_ascii every non-ASCII
// character as \uXXXX (a surrogate pair above U+FFFF).
func (d *dumper) str(s string) {
	b := &d.b
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			default:
				if c < 0x20 || (d.ascii && c == 0x7f) {
					if c == 0x7f {
						b.WriteString(`\u007f`)
					} else {
						b.WriteString(`\u00`)
						b.WriteByte(hexDigits[c>>4])
						b.WriteByte(hexDigits[c&0xf])
					}
				} else {
					b.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !d.ascii {
			b.WriteString(s[i : i+size])
		} else if r <= 0xffff {
			writeU(b, r)
		} else {
			r -= 0x10000
			writeU(b, 0xd800+(r>>10))
			writeU(b, 0xdc00+(r&0x3ff))
		}
		i += size
	}
	b.WriteByte('"')
}

func writeU(b *strings.Builder, r rune) {
	b.WriteString(`\u`)
	for shift := 12; shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(r>>shift)&0xf])
	}
}

// pyFloat formats f as Python's repr(float) (json=true: as json.dumps,
// which writes NaN, Infinity, -Infinity).
func pyFloat(f float64, json bool) string {
	switch {
	case math.IsNaN(f):
		if json {
			return "NaN"
		}
		return "nan"
	case math.IsInf(f, 1):
		if json {
			return "Infinity"
		}
		return "inf"
	case math.IsInf(f, -1):
		if json {
			return "-Infinity"
		}
		return "-inf"
	}
	// Shortest round-trip digits, then Python's layout: positional when
	// -4 <= exponent < 16, else scientific with at least 2 exponent digits.
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if exp >= -4 && exp < 16 {
		point := exp + 1 // digits before the decimal point
		switch {
		case point <= 0:
			out = "0." + strings.Repeat("0", -point) + digits
		case point >= len(digits):
			out = digits + strings.Repeat("0", point-len(digits)) + ".0"
		default:
			out = digits[:point] + "." + digits[point:]
		}
	} else {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		out = fmt.Sprintf("%se%s%02d", m, sign, exp)
	}
	if neg {
		out = "-" + out
	}
	return out
}
