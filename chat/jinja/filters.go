package jinja

import (
	"math"
	"strings"
)

// rawString is JavaScript's String(x.value) for an item joined by the
// join filter.
func rawString(v Value) (string, error) {
	switch v.kind {
	case None, Undefined:
		return "", nil
	case Float:
		return jsNumber(v.f), nil
	}
	return concatString(v)
}

func (r *renderer) applyFilter(x Value, f node, e *env) (Value, error) {
	if id, ok := f.(*identNode); ok {
		return r.simpleFilter(x, id.name)
	}
	call := f.(*callNode)
	id, ok := call.callee.(*identNode)
	if !ok {
		return Value{}, errorf("Unknown filter")
	}
	name := id.name
	args, err := r.evalArgs(call.args, e)
	if err != nil {
		return Value{}, err
	}
	args.r, args.env = r, e
	switch name {
	case "tojson":
		return tojsonFilter(x, args)
	case "join":
		var items []Value
		switch x.kind {
		case String:
			for _, c := range x.s {
				items = append(items, StringValue(string(c)))
			}
		case List:
			items = x.l.Items
		default:
			return Value{}, errorf("Cannot apply filter \"join\" to type: %s", x.kind)
		}
		sep := StringValue("")
		if v, ok := args.arg(0, "separator"); ok {
			sep = v
		}
		if sep.kind != String {
			return Value{}, errorf("separator must be a string")
		}
		return joinValues(items, sep.s)
	case "int", "float":
		def, ok := args.arg(0, "default")
		if !ok {
			if name == "int" {
				def = IntValue(0)
			} else {
				def = FloatValue(0)
			}
		}
		switch x.kind {
		case String:
			if name == "int" {
				if n, ok := parseIntPrefix(x.s); ok {
					return IntValue(n), nil
				}
				return def, nil
			}
			if fl, ok := parseFloatPrefix(x.s); ok {
				return FloatValue(fl), nil
			}
			return def, nil
		case Int, Float:
			return x, nil
		case Bool:
			if name == "int" {
				return IntValue(int64(numOf(x))), nil
			}
			return FloatValue(numOf(x)), nil
		}
		return Value{}, errorf("Cannot apply filter %q to type: %s", name, x.kind)
	case "default", "d":
		if name == "d" {
			break
		}
		def := StringValue("")
		if len(args.Pos) > 0 {
			def = args.Pos[0]
		}
		boolean := BoolValue(false)
		if v, ok := args.arg(1, "boolean"); ok {
			boolean = v
		}
		if boolean.kind != Bool {
			return Value{}, errorf("`default` filter flag must be a boolean")
		}
		if x.kind == Undefined || (boolean.b && !x.Truthy()) {
			return def, nil
		}
		return x, nil
	}
	switch x.kind {
	case List:
		switch name {
		case "sort":
			rev := BoolValue(false)
			if v, ok := args.arg(0, "reverse"); ok {
				rev = v
			}
			if rev.kind != Bool {
				return Value{}, errorf("reverse must be a boolean")
			}
			cs := BoolValue(false)
			if v, ok := args.arg(1, "case_sensitive"); ok {
				cs = v
			}
			if cs.kind != Bool {
				return Value{}, errorf("case_sensitive must be a boolean")
			}
			attr := NoneValue()
			if v, ok := args.arg(2, "attribute"); ok {
				attr = v
			}
			if attr.kind != String && attr.kind != Int && attr.kind != None {
				return Value{}, errorf("attribute must be a string, integer, or null")
			}
			key := func(v Value) Value { return v }
			if attr.kind != None {
				path := attr.s
				if attr.kind == Int {
					path = attr.String()
				}
				key = func(v Value) Value { return attrPath(v, path) }
			}
			items := append([]Value(nil), x.l.Items...)
			if err := sortValues(items, key, cs.b, rev.b); err != nil {
				return Value{}, err
			}
			return ListValue(items), nil
		case "selectattr", "rejectattr":
			for _, it := range x.l.Items {
				if it.kind != Dict && it.kind != Namespace {
					return Value{}, errorf("`%s` can only be applied to array of objects", name)
				}
			}
			for _, a := range call.args {
				if _, ok := a.(*stringNode); !ok {
					return Value{}, errorf("arguments of `%s` must be strings", name)
				}
			}
			if len(args.Pos) == 0 {
				return Value{}, errorf("`%s` needs an attribute", name)
			}
			attr := args.Pos[0]
			test := func(v, _ Value) (bool, error) { return v.Truthy(), nil }
			var targ Value
			if len(args.Pos) > 1 {
				t, ok := tests[args.Pos[1].s]
				if !ok {
					return Value{}, errorf("Unknown test: %s", args.Pos[1].s)
				}
				test = t
			}
			if len(args.Pos) > 2 {
				targ = args.Pos[2]
			}
			var out []Value
			for _, it := range x.l.Items {
				res := false
				if a, ok := it.d.Get(attr.s); ok {
					if res, err = test(a, targ); err != nil {
						return Value{}, err
					}
				}
				if res == (name == "selectattr") {
					out = append(out, it)
				}
			}
			return ListValue(out), nil
		case "map":
			attr, ok := args.kw("attribute")
			if !ok {
				return Value{}, errorf("`map` expressions without `attribute` set are not currently supported.")
			}
			if attr.kind != String {
				return Value{}, errorf("attribute must be a string")
			}
			def, hasDef := args.kw("default")
			out := make([]Value, len(x.l.Items))
			for i, it := range x.l.Items {
				if it.kind != Dict && it.kind != Namespace {
					return Value{}, errorf("items in map must be an object")
				}
				v := attrPath(it, attr.s)
				if v.kind == Undefined && hasDef {
					v = def
				}
				out[i] = v
			}
			return ListValue(out), nil
		}
		return Value{}, errorf("Unknown ArrayValue filter: %s", name)
	case String:
		switch name {
		case "indent":
			width, ok := args.arg(0, "width")
			if !ok {
				width = IntValue(4)
			}
			if width.kind != Int {
				return Value{}, errorf("width must be a number")
			}
			first, _ := args.arg(1, "first")
			blank, _ := args.arg(2, "blank")
			if width.i > 1<<16 {
				return Value{}, errorf("indent width too large")
			}
			return StringValue(indent(x.s, strings.Repeat(" ", int(max(width.i, 0))), first.Truthy(), blank.Truthy())), nil
		case "replace":
			return replaceFn(x.s, args)
		}
		return Value{}, errorf("Unknown StringValue filter: %s", name)
	case Dict:
		if m, ok := dictMethod(x, name); ok && m.kind == Func {
			return m.fn(args)
		}
		return Value{}, errorf("Unknown ObjectValue filter: %s", name)
	}
	return Value{}, errorf("Cannot apply filter %q to type: %s", name, x.kind)
}

func indent(s, pad string, first, blank bool) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if (!first && i == 0) || (!blank && l == "") {
			continue
		}
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n")
}

func joinValues(items []Value, sep string) (Value, error) {
	parts := make([]string, len(items))
	for i, it := range items {
		s, err := rawString(it)
		if err != nil {
			return Value{}, err
		}
		parts[i] = s
	}
	return StringValue(strings.Join(parts, sep)), nil
}

func tojsonFilter(x Value, a Args) (Value, error) {
	var o JSONOptions
	if v, ok := a.kw("indent"); ok && v.kind != None {
		if v.kind != Int {
			return Value{}, errorf("If set, indent must be a number")
		}
		if v.i > 1024 {
			return Value{}, errorf("tojson: indent %d is too large", v.i)
		}
		if v.i > 0 {
			o.Indented = true
			o.Indent = strings.Repeat(" ", int(v.i))
		}
	}
	if v, ok := a.kw("ensure_ascii"); ok {
		if v.kind != Bool {
			return Value{}, errorf("If set, ensure_ascii must be a boolean")
		}
		o.EnsureASCII = v.b
	}
	if v, ok := a.kw("sort_keys"); ok {
		if v.kind != Bool {
			return Value{}, errorf("If set, sort_keys must be a boolean")
		}
		o.SortKeys = v.b
	}
	if v, ok := a.kw("separators"); ok && v.kind != None {
		if v.kind != List || len(v.l.Items) != 2 || v.l.Items[0].kind != String || v.l.Items[1].kind != String {
			return Value{}, errorf("separators must be a tuple of two strings")
		}
		o.ItemSep, o.KeySep = v.l.Items[0].s, v.l.Items[1].s
		if o.ItemSep == "" && o.KeySep == "" {
			o.ItemSep, o.KeySep = "\x00", "\x00"
			s, err := ToJSON(x, o)
			if err != nil {
				return Value{}, err
			}
			return StringValue(strings.ReplaceAll(s, "\x00", "")), nil
		}
	}
	s, err := ToJSON(x, o)
	if err != nil {
		return Value{}, err
	}
	return StringValue(s), nil
}

func (r *renderer) simpleFilter(x Value, name string) (Value, error) {
	switch name {
	case "safe":
		return x, nil
	case "tojson":
		s, err := ToJSON(x, JSONOptions{})
		if err != nil {
			return Value{}, err
		}
		return StringValue(s), nil
	}
	switch x.kind {
	case List:
		items := x.l.Items
		switch name {
		case "list":
			return x, nil
		case "first":
			if len(items) == 0 {
				return Value{}, nil
			}
			return items[0], nil
		case "last":
			if len(items) == 0 {
				return Value{}, nil
			}
			return items[len(items)-1], nil
		case "length":
			return IntValue(int64(len(items))), nil
		case "reverse":
			out := make([]Value, len(items))
			for i, it := range items {
				out[len(items)-1-i] = it
			}
			return ListValue(out), nil
		case "sort":
			out := append([]Value(nil), items...)
			if err := sortValues(out, func(v Value) Value { return v }, false, false); err != nil {
				return Value{}, err
			}
			return ListValue(out), nil
		case "join":
			return joinValues(items, "")
		case "string":
			s, err := ToJSON(x, JSONOptions{KeepUndefined: true})
			if err != nil {
				return Value{}, err
			}
			return StringValue(s), nil
		case "unique":
			var out []Value
			for _, it := range items {
				dup := false
				for _, o := range out {
					if strictEqual(o, it) {
						dup = true
						break
					}
				}
				if !dup {
					out = append(out, it)
				}
			}
			return ListValue(out), nil
		}
		return Value{}, errorf("Unknown ArrayValue filter: %s", name)
	case String:
		switch name {
		case "length":
			return IntValue(int64(utf16Len(x.s))), nil
		case "upper", "lower", "title", "capitalize":
			m, _ := stringMethod(x.s, name)
			return m.fn(Args{})
		case "trim":
			return StringValue(strings.TrimFunc(x.s, isSpaceJS)), nil
		case "indent":
			return StringValue(indent(x.s, "    ", false, false)), nil
		case "join", "string":
			return x, nil
		case "int":
			n, ok := parseIntPrefix(x.s)
			if !ok {
				n = 0
			}
			return IntValue(n), nil
		case "float":
			f, ok := parseFloatPrefix(x.s)
			if !ok {
				f = 0
			}
			return FloatValue(f), nil
		}
		return Value{}, errorf("Unknown StringValue filter: %s", name)
	case Int, Float:
		switch name {
		case "abs":
			if x.kind == Int {
				if x.i < 0 {
					return IntValue(-x.i), nil
				}
				return x, nil
			}
			return FloatValue(math.Abs(x.f)), nil
		case "int":
			if x.kind == Int {
				return x, nil
			}
			if math.IsNaN(x.f) || math.IsInf(x.f, 0) {
				return Value{}, errorf("cannot convert float %s to integer", jsNumber(x.f))
			}
			return IntValue(int64(math.Floor(x.f))), nil
		case "float":
			return FloatValue(numOf(x)), nil
		case "string":
			return StringValue(x.String()), nil
		}
		return Value{}, errorf("Unknown NumericValue filter: %s", name)
	case Dict:
		switch name {
		case "items":
			return dictItems(x.d), nil
		case "length":
			return IntValue(int64(x.d.Len())), nil
		}
		if m, ok := dictMethod(x, name); ok {
			return m.fn(Args{r: r})
		}
		return Value{}, errorf("Unknown ObjectValue filter: %s", name)
	case Bool:
		switch name {
		case "bool":
			return x, nil
		case "int":
			return IntValue(int64(numOf(x))), nil
		case "float":
			return FloatValue(numOf(x)), nil
		case "string":
			return StringValue(x.String()), nil
		}
		return Value{}, errorf("Unknown BooleanValue filter: %s", name)
	}
	return Value{}, errorf("Cannot apply filter %q to type: %s", name, x.kind)
}
