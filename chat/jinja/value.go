// Package jinja is a small Jinja template engine for Hugging Face chat
// templates. Its semantics follow @huggingface/jinja (the engine of
// transformers.js), the reference of package chat, except where that
// engine's output is a JavaScript artifact no template author intends
// (a dict concatenated to a string prints "[object Map]" there; here it
// fails as in Python). See chat's package documentation.
//
// Rendering is bounded: loop iterations and macro calls count as steps,
// macro calls nest at most MaxDepth deep, output is capped, and the
// context is checked at every step.
package jinja

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the type of a [Value].
type Kind uint8

// The kinds of values.
const (
	Undefined Kind = iota
	None
	Bool
	Int
	Float
	String
	List
	Dict
	Func
	Namespace
)

var kindNames = [...]string{"UndefinedValue", "NullValue", "BooleanValue", "IntegerValue", "FloatValue", "StringValue", "ArrayValue", "ObjectValue", "FunctionValue", "NamespaceValue"}

// String names the kind as @huggingface/jinja's runtime types do.
func (k Kind) String() string { return kindNames[k] }

// Value is a template value.
type Value struct {
	kind Kind
	b    bool
	i    int64
	f    float64
	s    string
	l    *ListData
	d    *DictData
	fn   Function
}

// ListData is the items of a list value.
type ListData struct {
	Items []Value
	tuple bool // a tuple literal: @huggingface/jinja cannot print it or dump it as JSON
}

// DictData is an ordered dict (keys keep insertion order).
type DictData struct {
	keys []string
	m    map[string]Value
}

// Args are the arguments of a call.
type Args struct {
	Pos []Value
	Kw  *DictData // nil when the call has no keyword arguments
	r   *renderer
	env *env
}

// Function is a callable value.
type Function func(a Args) (Value, error)

// UndefinedValue returns the undefined value.
func UndefinedValue() Value { return Value{} }

// NoneValue returns none (null).
func NoneValue() Value { return Value{kind: None} }

// BoolValue returns a boolean.
func BoolValue(b bool) Value { return Value{kind: Bool, b: b} }

// IntValue returns an integer.
func IntValue(i int64) Value { return Value{kind: Int, i: i} }

// FloatValue returns a float.
func FloatValue(f float64) Value { return Value{kind: Float, f: f} }

// StringValue returns a string.
func StringValue(s string) Value { return Value{kind: String, s: s} }

// ListValue returns a list holding items.
func ListValue(items []Value) Value { return Value{kind: List, l: &ListData{Items: items}} }

// DictValue returns a dict backed by d.
func DictValue(d *DictData) Value { return Value{kind: Dict, d: d} }

// FuncValue returns a callable value.
func FuncValue(f Function) Value       { return Value{kind: Func, fn: f} }
func namespaceValue(d *DictData) Value { return Value{kind: Namespace, d: d} }

// NewDict returns an empty ordered dict.
func NewDict() *DictData { return &DictData{m: map[string]Value{}} }

// Set sets key to v, keeping the first position of key.
func (d *DictData) Set(key string, v Value) {
	if _, ok := d.m[key]; !ok {
		d.keys = append(d.keys, key)
	}
	d.m[key] = v
}

// Get returns the value of key.
func (d *DictData) Get(key string) (Value, bool) {
	v, ok := d.m[key]
	return v, ok
}

// Keys returns the keys in order.
func (d *DictData) Keys() []string { return d.keys }

// Len is the number of keys.
func (d *DictData) Len() int { return len(d.keys) }

func (d *DictData) del(key string) {
	if _, ok := d.m[key]; !ok {
		return
	}
	delete(d.m, key)
	for i, k := range d.keys {
		if k == key {
			d.keys = append(d.keys[:i:i], d.keys[i+1:]...)
			break
		}
	}
}

func (d *DictData) clone() *DictData {
	n := &DictData{keys: append([]string(nil), d.keys...), m: make(map[string]Value, len(d.m))}
	for k, v := range d.m {
		n.m[k] = v
	}
	return n
}

// Kind returns v's kind.
func (v Value) Kind() Kind { return v.kind }

// Bool returns a boolean value's bool (false for other kinds).
func (v Value) Bool() bool { return v.b }

// Int returns an integer value's int (0 for other kinds).
func (v Value) Int() int64 { return v.i }

// Float returns a float value's float (0 for other kinds).
func (v Value) Float() float64 { return v.f }

// Str returns a string value's string ("" for other kinds).
func (v Value) Str() string { return v.s }

// List returns a list value's items (nil for other kinds).
func (v Value) List() []Value {
	if v.l == nil {
		return nil
	}
	return v.l.Items
}

// Dict returns a dict value's data (nil for other kinds).
func (v Value) Dict() *DictData { return v.d }

// Truthy is the value's truth (JavaScript's, with Python's empty
// containers false).
func (v Value) Truthy() bool {
	switch v.kind {
	case Bool:
		return v.b
	case Int:
		return v.i != 0
	case Float:
		return v.f != 0 && !math.IsNaN(v.f)
	case String:
		return v.s != ""
	case List:
		return len(v.l.Items) > 0
	case Dict:
		return v.d.Len() > 0
	case Func, Namespace:
		return true
	}
	return false
}

// utf16Len is a string's length in UTF-16 code units (JavaScript's).
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// utf16At is s.at(i) in JavaScript: one UTF-16 unit (a lone surrogate
// becomes U+FFFD).
func utf16At(s string, i int64) (string, bool) {
	u := utf16.Encode([]rune(s))
	if i < 0 {
		i += int64(len(u))
	}
	if i < 0 || i >= int64(len(u)) {
		return "", false
	}
	return string(utf16.Decode(u[i : i+1])), true
}

// jsNumber formats f as JavaScript's Number.prototype.toString.
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	return shortestDecimal(f, -6, 21, "", 1)
}

// shortestDecimal formats a finite f with the fewest digits that read back
// as f, the way JavaScript and Python both do: positional notation when the
// decimal exponent is in [minExp, maxExp) (integral values get intSuffix:
// Python's ".0"), else d.ddde±XX with at least expDigits exponent digits.
func shortestDecimal(f float64, minExp, maxExp int, intSuffix string, expDigits int) string {
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if exp >= minExp && exp < maxExp {
		point := exp + 1
		switch {
		case point <= 0:
			out = "0." + strings.Repeat("0", -point) + digits
		case point >= len(digits):
			out = digits + strings.Repeat("0", point-len(digits)) + intSuffix
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
		out = fmt.Sprintf("%se%s%0*d", m, sign, expDigits, exp)
	}
	if neg {
		out = "-" + out
	}
	return out
}

// floatString is how a float prints: integral values keep ".0".
func floatString(f float64) string {
	if f == 0 && math.Signbit(f) {
		return "-0.0"
	}
	if !math.IsInf(f, 0) && !math.IsNaN(f) && f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return jsNumber(f)
}

// String is how the value prints in output.
func (v Value) String() string {
	switch v.kind {
	case Bool:
		if v.b {
			return "true"
		}
		return "false"
	case Int:
		return strconv.FormatInt(v.i, 10)
	case Float:
		return floatString(v.f)
	case String:
		return v.s
	case List, Dict, Namespace:
		s, _ := printJSON(v)
		return s
	case Func:
		return "<function>"
	}
	return ""
}

// concatString is the text of v in a string concatenation ("+" or "~").
// Lists join their items' printed text with ",", as @huggingface/jinja
// does; a dict fails, as in Python (JavaScript would print "[object
// Map]").
func concatString(v Value) (string, error) {
	switch v.kind {
	case List:
		parts := make([]string, len(v.l.Items))
		for i, it := range v.l.Items {
			if it.kind == None || it.kind == Undefined {
				parts[i] = "undefined" // as @huggingface/jinja
				continue
			}
			parts[i] = it.String()
		}
		return strings.Join(parts, ","), nil
	case Dict:
		return "", fmt.Errorf("can only concatenate str (not \"dict\") to str")
	case Namespace, Func:
		return "", fmt.Errorf("cannot concatenate a %s to a string", v.kind)
	}
	return v.String(), nil
}

// JSONOptions are tojson's options.
type JSONOptions struct {
	Indent        string
	Indented      bool
	EnsureASCII   bool
	SortKeys      bool
	ItemSep       string
	KeySep        string
	KeepUndefined bool // print undefined as "undefined" (printing), else null
}

// maxJSONDepth bounds nesting.
const maxJSONDepth = 1000

// ToJSON writes v as json.dumps does (floats as Python's repr, key order
// kept).
func ToJSON(v Value, o JSONOptions) (string, error) {
	if o.ItemSep == "" && o.KeySep == "" {
		o.ItemSep, o.KeySep = ", ", ": "
		if o.Indented {
			o.ItemSep = ","
		}
	}
	var b strings.Builder
	if err := jsonValue(&b, v, &o, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func jsonNewline(b *strings.Builder, o *JSONOptions, level int) {
	if o.Indented {
		b.WriteByte('\n')
		for range level {
			b.WriteString(o.Indent)
		}
	}
}

func jsonValue(b *strings.Builder, v Value, o *JSONOptions, level int) error {
	if level > maxJSONDepth {
		return fmt.Errorf("tojson: nested too deeply")
	}
	if b.Len() > maxJSONBytes {
		return fmt.Errorf("tojson: output too large")
	}
	switch v.kind {
	case None:
		b.WriteString("null")
	case Undefined:
		if o.KeepUndefined {
			b.WriteString("undefined")
		} else {
			b.WriteString("null")
		}
	case Bool:
		if v.b {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case Int:
		b.WriteString(strconv.FormatInt(v.i, 10))
	case Float:
		b.WriteString(PyFloat(v.f, true))
	case String:
		jsonString(b, v.s, o.EnsureASCII)
	case List:
		if v.l.tuple {
			return fmt.Errorf("Cannot convert to JSON: TupleValue")
		}
		items := v.l.Items
		if len(items) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				b.WriteString(o.ItemSep)
			}
			jsonNewline(b, o, level+1)
			if err := jsonValue(b, it, o, level+1); err != nil {
				return err
			}
		}
		jsonNewline(b, o, level)
		b.WriteByte(']')
	case Dict, Namespace:
		keys := v.d.keys
		if len(keys) == 0 {
			b.WriteString("{}")
			return nil
		}
		if o.SortKeys {
			keys = append([]string(nil), keys...)
			sort.Strings(keys)
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(o.ItemSep)
			}
			jsonNewline(b, o, level+1)
			jsonString(b, k, o.EnsureASCII)
			b.WriteString(o.KeySep)
			if err := jsonValue(b, v.d.m[k], o, level+1); err != nil {
				return err
			}
		}
		jsonNewline(b, o, level)
		b.WriteByte('}')
	default:
		return fmt.Errorf("Cannot convert to JSON: %s", v.kind)
	}
	return nil
}

const maxJSONBytes = 64 << 20

const hexDigits = "0123456789abcdef"

func jsonString(b *strings.Builder, s string, ascii bool) {
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
				if c < 0x20 || (ascii && c == 0x7f) {
					b.WriteString(`\u00`)
					b.WriteByte(hexDigits[c>>4])
					b.WriteByte(hexDigits[c&0xf])
				} else {
					b.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !ascii {
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

// PyFloat formats f as Python's repr(float) (json=true: as json.dumps,
// which writes NaN, Infinity, -Infinity).
func PyFloat(f float64, json bool) string {
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
	return shortestDecimal(f, -4, 16, ".0", 2)
}

// printJSON is how a container prints (and fails to print: a tuple).
func printJSON(v Value) (string, error) {
	return ToJSON(v, JSONOptions{KeepUndefined: true})
}
