package jinja

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func globals(r *renderer) map[string]Value {
	return map[string]Value{
		"true": BoolValue(true), "false": BoolValue(false), "none": NoneValue(),
		"True": BoolValue(true), "False": BoolValue(false), "None": NoneValue(),
		"namespace": FuncValue(namespaceFn),
		"range":     FuncValue(func(a Args) (Value, error) { return rangeFn(r, a) }),
	}
}

func namespaceFn(a Args) (Value, error) {
	if len(a.Pos) > 1 {
		return Value{}, errorf("namespace expected at most 1 argument, got %d", len(a.Pos))
	}
	d := NewDict()
	if len(a.Pos) == 1 {
		src := a.Pos[0]
		switch src.kind {
		case Dict:
			for _, k := range src.d.keys {
				d.Set(k, src.d.m[k])
			}
		case List:
			for _, pair := range src.l.Items {
				var kv []Value
				switch pair.kind {
				case List:
					kv = pair.l.Items
				case String:
					for _, c := range pair.s {
						kv = append(kv, StringValue(string(c)))
					}
				}
				if len(kv) != 2 {
					return Value{}, errorf("namespace expected an object or an iterable of [key, value] pairs")
				}
				if kv[0].kind != String {
					return Value{}, errorf("namespace keys must be strings")
				}
				d.Set(kv[0].s, kv[1])
			}
		default:
			return Value{}, errorf("'%s' object is not iterable", src.kind)
		}
	}
	if a.Kw != nil {
		for _, k := range a.Kw.keys {
			d.Set(k, a.Kw.m[k])
		}
	}
	return namespaceValue(d), nil
}

func rangeFn(r *renderer, a Args) (Value, error) {
	if len(a.Pos) < 1 || len(a.Pos) > 3 {
		return Value{}, errorf("range expected 1 to 3 arguments")
	}
	var n [3]int64
	for i, v := range a.Pos {
		if v.kind != Int {
			return Value{}, errorf("range arguments must be integers")
		}
		n[i] = v.i
	}
	start, stop, step := int64(0), n[0], int64(1)
	if len(a.Pos) >= 2 {
		start, stop = n[0], n[1]
	}
	if len(a.Pos) == 3 {
		step = n[2]
	}
	if step == 0 {
		return Value{}, errorf("range() step must not be zero")
	}
	var items []Value
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		if len(items) >= r.lim.MaxSteps {
			return Value{}, fmt.Errorf("range longer than %d: %w", r.lim.MaxSteps, ErrLimit)
		}
		items = append(items, IntValue(i))
		if (step > 0 && i > math.MaxInt64-step) || (step < 0 && i < math.MinInt64-step) {
			break
		}
	}
	return ListValue(items), nil
}

type testFn func(x, arg Value) (bool, error)

var tests map[string]testFn

func init() {
	tests = map[string]testFn{
		"boolean":  func(x, _ Value) (bool, error) { return x.kind == Bool, nil },
		"callable": func(x, _ Value) (bool, error) { return x.kind == Func, nil },
		"odd": func(x, _ Value) (bool, error) {
			if x.kind != Int {
				return false, errorf("cannot odd on %s", x.kind)
			}
			return x.i%2 != 0, nil
		},
		"even": func(x, _ Value) (bool, error) {
			if x.kind != Int {
				return false, errorf("cannot even on %s", x.kind)
			}
			return x.i%2 == 0, nil
		},
		"false":     func(x, _ Value) (bool, error) { return x.kind == Bool && !x.b, nil },
		"true":      func(x, _ Value) (bool, error) { return x.kind == Bool && x.b, nil },
		"none":      func(x, _ Value) (bool, error) { return x.kind == None, nil },
		"string":    func(x, _ Value) (bool, error) { return x.kind == String, nil },
		"number":    func(x, _ Value) (bool, error) { return isNum(x), nil },
		"integer":   func(x, _ Value) (bool, error) { return x.kind == Int, nil },
		"iterable":  func(x, _ Value) (bool, error) { return x.kind == List || x.kind == String, nil },
		"mapping":   func(x, _ Value) (bool, error) { return x.kind == Dict, nil },
		"sequence":  func(x, _ Value) (bool, error) { return x.kind == List || x.kind == Dict || x.kind == String, nil },
		"lower":     func(x, _ Value) (bool, error) { return x.kind == String && x.s == strings.ToLower(x.s), nil },
		"upper":     func(x, _ Value) (bool, error) { return x.kind == String && x.s == strings.ToUpper(x.s), nil },
		"defined":   func(x, _ Value) (bool, error) { return x.kind != Undefined, nil },
		"undefined": func(x, _ Value) (bool, error) { return x.kind == Undefined, nil },
		"equalto":   func(x, a Value) (bool, error) { return strictEqual(x, a), nil },
		"eq":        func(x, a Value) (bool, error) { return strictEqual(x, a), nil },
	}
}

func stringMethod(s, name string) (Value, bool) {
	var f Function
	switch name {
	case "upper":
		f = func(Args) (Value, error) { return StringValue(strings.ToUpper(s)), nil }
	case "lower":
		f = func(Args) (Value, error) { return StringValue(strings.ToLower(s)), nil }
	case "strip":
		f = func(Args) (Value, error) { return StringValue(strings.TrimFunc(s, isSpaceJS)), nil }
	case "lstrip":
		f = func(Args) (Value, error) { return StringValue(strings.TrimLeftFunc(s, isSpaceJS)), nil }
	case "rstrip":
		f = func(Args) (Value, error) { return StringValue(strings.TrimRightFunc(s, isSpaceJS)), nil }
	case "title":
		f = func(Args) (Value, error) { return StringValue(titleCase(s)), nil }
	case "capitalize":
		f = func(Args) (Value, error) { return StringValue(capitalize(s)), nil }
	case "length":
		return IntValue(int64(utf16Len(s))), true
	case "startswith", "endswith":
		f = func(a Args) (Value, error) {
			if len(a.Pos) == 0 {
				return Value{}, errorf("%s() requires at least one argument", name)
			}
			test := strings.HasPrefix
			if name == "endswith" {
				test = strings.HasSuffix
			}
			p := a.Pos[0]
			switch p.kind {
			case String:
				return BoolValue(test(s, p.s)), nil
			case List:
				for _, it := range p.l.Items {
					if it.kind != String {
						return Value{}, errorf("%s() tuple elements must be strings", name)
					}
					if test(s, it.s) {
						return BoolValue(true), nil
					}
				}
				return BoolValue(false), nil
			}
			return Value{}, errorf("%s() argument must be a string or tuple of strings", name)
		}
	case "split":
		f = func(a Args) (Value, error) { return splitFn(s, a) }
	case "replace":
		f = func(a Args) (Value, error) { return replaceFn(s, a) }
	default:
		return Value{}, false
	}
	return FuncValue(f), true
}

var reWordStart = regexp.MustCompile(`\b\w`)

func titleCase(s string) string {
	return reWordStart.ReplaceAllStringFunc(s, strings.ToUpper)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[size:]
}

func splitFn(s string, a Args) (Value, error) {
	sep := NoneValue()
	if v, ok := a.arg(0, "sep"); ok {
		sep = v
	}
	if sep.kind != String && sep.kind != None {
		return Value{}, errorf("sep argument must be a string or null")
	}
	maxsplit := IntValue(-1)
	if v, ok := a.arg(1, "maxsplit"); ok {
		maxsplit = v
	}
	if maxsplit.kind != Int {
		return Value{}, errorf("maxsplit argument must be a number")
	}
	var parts []string
	if sep.kind == None {
		text := strings.TrimLeftFunc(s, isSpaceJS)
		for text != "" {
			if maxsplit.i != -1 && int64(len(parts)) >= maxsplit.i {
				parts = append(parts, text)
				break
			}
			end := strings.IndexFunc(text, isSpaceJS)
			if end < 0 {
				parts = append(parts, text)
				break
			}
			parts = append(parts, text[:end])
			text = strings.TrimLeftFunc(text[end:], isSpaceJS)
		}
	} else {
		if sep.s == "" {
			return Value{}, errorf("empty separator")
		}
		if maxsplit.i >= 0 {
			parts = strings.SplitN(s, sep.s, int(min(maxsplit.i, math.MaxInt32))+1)
		} else {
			parts = strings.Split(s, sep.s)
		}
	}
	items := make([]Value, len(parts))
	for i, p := range parts {
		items[i] = StringValue(p)
	}
	return ListValue(items), nil
}

func replaceFn(s string, a Args) (Value, error) {
	if len(a.Pos) < 2 {
		return Value{}, errorf("replace() requires at least two arguments")
	}
	old, nw := a.Pos[0], a.Pos[1]
	if old.kind != String || nw.kind != String {
		return Value{}, errorf("replace() arguments must be strings")
	}
	count := NoneValue()
	if len(a.Pos) > 2 {
		count = a.Pos[2]
	} else if v, ok := a.kw("count"); ok {
		count = v
	}
	if count.kind != Int && count.kind != None {
		return Value{}, errorf("replace() count argument must be a number or null")
	}
	n := -1
	if count.kind == Int {
		if count.i == 0 {
			return StringValue(s), nil
		}
		if count.i > 0 {
			n = int(min(count.i, math.MaxInt32))
		}
	}
	if old.s == "" {
		// JavaScript's "(?=)" with the u flag: between every code point.
		var b strings.Builder
		done := 0
		for i, r := range s {
			_ = i
			if n < 0 || done < n {
				b.WriteString(nw.s)
				done++
			}
			b.WriteRune(r)
		}
		if n < 0 || done < n {
			b.WriteString(nw.s)
		}
		return StringValue(b.String()), nil
	}
	return StringValue(strings.Replace(s, old.s, nw.s, n)), nil
}

func dictMethod(obj Value, name string) (Value, bool) {
	d := obj.d
	var f Function
	switch name {
	case "get":
		f = func(a Args) (Value, error) {
			var key Value
			if len(a.Pos) > 0 {
				key = a.Pos[0]
			}
			if key.kind != String {
				return Value{}, errorf("Object key must be a string: got %s", key.kind)
			}
			if v, ok := d.Get(key.s); ok {
				return v, nil
			}
			if len(a.Pos) > 1 {
				return a.Pos[1], nil
			}
			return NoneValue(), nil
		}
	case "items":
		f = func(Args) (Value, error) { return dictItems(d), nil }
	case "keys":
		f = func(Args) (Value, error) {
			items := make([]Value, len(d.keys))
			for i, k := range d.keys {
				items[i] = StringValue(k)
			}
			return ListValue(items), nil
		}
	case "values":
		f = func(Args) (Value, error) {
			items := make([]Value, len(d.keys))
			for i, k := range d.keys {
				items[i] = d.m[k]
			}
			return ListValue(items), nil
		}
	case "dictsort":
		f = func(a Args) (Value, error) { return dictsort(d, a) }
	default:
		return Value{}, false
	}
	return FuncValue(f), true
}

func dictItems(d *DictData) Value {
	items := make([]Value, len(d.keys))
	for i, k := range d.keys {
		items[i] = ListValue([]Value{StringValue(k), d.m[k]})
	}
	return ListValue(items)
}

func dictsort(d *DictData, a Args) (Value, error) {
	cs := BoolValue(false)
	if v, ok := a.arg(0, "case_sensitive"); ok {
		cs = v
	}
	if cs.kind != Bool {
		return Value{}, errorf("case_sensitive must be a boolean")
	}
	by := StringValue("key")
	if v, ok := a.arg(1, "by"); ok {
		by = v
	}
	if by.kind != String {
		return Value{}, errorf("by must be a string")
	}
	if by.s != "key" && by.s != "value" {
		return Value{}, errorf("by must be either 'key' or 'value'")
	}
	rev := BoolValue(false)
	if v, ok := a.arg(2, "reverse"); ok {
		rev = v
	}
	if rev.kind != Bool {
		return Value{}, errorf("reverse must be a boolean")
	}
	items := dictItems(d).l.Items
	idx := 0
	if by.s == "value" {
		idx = 1
	}
	err := sortValues(items, func(v Value) Value { return v.l.Items[idx] }, cs.b, rev.b)
	return ListValue(items), err
}

// sortValues sorts items stably by key, failing on values that cannot be
// compared.
func sortValues(items []Value, key func(Value) Value, caseSensitive, reverse bool) error {
	var err error
	sort.SliceStable(items, func(i, j int) bool {
		c, e := compareValues(key(items[i]), key(items[j]), caseSensitive)
		if e != nil && err == nil {
			err = e
		}
		if reverse {
			return c > 0
		}
		return c < 0
	})
	return err
}

func compareValues(a, b Value, caseSensitive bool) (int, error) {
	switch {
	case a.kind == None && b.kind == None, a.kind == Undefined && b.kind == Undefined:
		return 0, nil
	case a.kind == None || b.kind == None || a.kind == Undefined || b.kind == Undefined:
		return 0, errorf("Cannot compare %s with %s", a.kind, b.kind)
	}
	numLike := func(v Value) bool { return isNum(v) || v.kind == Bool }
	if numLike(a) && numLike(b) {
		x, y := numOf(a), numOf(b)
		switch {
		case x < y:
			return -1, nil
		case x > y:
			return 1, nil
		}
		return 0, nil
	}
	if a.kind != b.kind {
		return 0, errorf("Cannot compare different types: %s and %s", a.kind, b.kind)
	}
	if a.kind == String {
		x, y := a.s, b.s
		if !caseSensitive {
			x, y = strings.ToLower(x), strings.ToLower(y)
		}
		return compareUTF16(x, y), nil
	}
	return 0, errorf("Cannot compare type: %s", a.kind)
}

// compareUTF16 orders strings by UTF-16 code units, as JavaScript does.
func compareUTF16(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		if ra[i] == rb[i] {
			continue
		}
		x, y := utf16Key(ra[i]), utf16Key(rb[i])
		if x < y {
			return -1
		}
		return 1
	}
	switch {
	case len(ra) < len(rb):
		return -1
	case len(ra) > len(rb):
		return 1
	}
	return 0
}

func utf16Key(r rune) rune {
	if r >= 0x10000 {
		return 0xd800 + ((r - 0x10000) >> 10)
	}
	return r
}

// attrPath reads "a.b.0" from item.
func attrPath(item Value, path string) Value {
	v := item
	for _, part := range strings.Split(path, ".") {
		switch v.kind {
		case Dict, Namespace:
			x, ok := v.d.Get(part)
			if !ok {
				return Value{}
			}
			v = x
		case List:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(v.l.Items) {
				return Value{}
			}
			v = v.l.Items[i]
		default:
			return Value{}
		}
	}
	return v
}

// parseJSNumber is JavaScript's Number(s) for a trimmed, non-empty s.
func parseJSNumber(s string) (float64, bool) {
	switch s {
	case "Infinity", "+Infinity":
		return math.Inf(1), true
	case "-Infinity":
		return math.Inf(-1), true
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X' || s[1] == 'o' || s[1] == 'O' || s[1] == 'b' || s[1] == 'B') {
		base := map[byte]int{'x': 16, 'X': 16, 'o': 8, 'O': 8, 'b': 2, 'B': 2}[s[1]]
		n, err := strconv.ParseUint(s[2:], base, 64)
		return float64(n), err == nil
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// parseIntPrefix is JavaScript's parseInt(s, 10).
func parseIntPrefix(s string) (int64, bool) {
	s = strings.TrimLeftFunc(s, isSpaceJS)
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j == i {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:j], 10, 64)
	if err != nil {
		f, _ := strconv.ParseFloat(s[:j], 64)
		return int64(f), true
	}
	return n, true
}

// parseFloatPrefix is JavaScript's parseFloat(s).
func parseFloatPrefix(s string) (float64, bool) {
	s = strings.TrimLeftFunc(s, isSpaceJS)
	for _, inf := range []string{"Infinity", "+Infinity", "-Infinity"} {
		if strings.HasPrefix(s, inf) {
			if inf[0] == '-' {
				return math.Inf(-1), true
			}
			return math.Inf(1), true
		}
	}
	best := -1
	for j := 1; j <= len(s); j++ {
		if _, err := strconv.ParseFloat(s[:j], 64); err == nil && !strings.ContainsAny(s[:j], "xXpP_nN") {
			best = j
		}
	}
	if best < 0 {
		return 0, false
	}
	f, _ := strconv.ParseFloat(s[:best], 64)
	return f, true
}

// pyRepr is Python's repr of a value (used where a dict meets "~").
func pyRepr(v Value) string {
	switch v.kind {
	case None:
		return "None"
	case Bool:
		if v.b {
			return "True"
		}
		return "False"
	case Float:
		return PyFloat(v.f, false)
	case String:
		q := "'"
		if strings.Contains(v.s, "'") && !strings.Contains(v.s, `"`) {
			q = `"`
		}
		var b strings.Builder
		b.WriteString(q)
		for _, r := range v.s {
			switch {
			case r == '\\':
				b.WriteString(`\\`)
			case string(r) == q:
				b.WriteString(`\` + q)
			case r == '\n':
				b.WriteString(`\n`)
			case r == '\r':
				b.WriteString(`\r`)
			case r == '\t':
				b.WriteString(`\t`)
			case r < 0x20 || r == 0x7f:
				b.WriteString(`\x` + string(hexDigits[r>>4]) + string(hexDigits[r&0xf]))
			case !unicode.IsPrint(r) && r > 0x7f:
				b.WriteString(strconv.QuoteRuneToASCII(r)[1 : len(strconv.QuoteRuneToASCII(r))-1])
			default:
				b.WriteRune(r)
			}
		}
		b.WriteString(q)
		return b.String()
	case List:
		parts := make([]string, len(v.l.Items))
		for i, it := range v.l.Items {
			parts[i] = pyRepr(it)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case Dict:
		parts := make([]string, len(v.d.keys))
		for i, k := range v.d.keys {
			parts[i] = pyRepr(StringValue(k)) + ": " + pyRepr(v.d.m[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case Undefined:
		return ""
	}
	return v.String()
}
