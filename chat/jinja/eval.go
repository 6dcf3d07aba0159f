package jinja

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Limits bound a render.
type Limits struct {
	MaxSteps  int // loop iterations plus macro calls
	MaxDepth  int // macro call nesting
	MaxOutput int // bytes of any one rendered block
}

// ErrLimit is wrapped by errors of renders stopped by a limit.
var ErrLimit = errors.New("render limit reached")

// Template is a parsed template; it is safe for concurrent use.
type Template struct {
	prog []node
}

// Parse parses a template in HF's chat-template environment
// (trim_blocks, lstrip_blocks, one trailing newline dropped).
func Parse(src string) (t *Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("parse: internal error: %v", r)
		}
	}()
	toks, err := tokenize(preprocess(src))
	if err != nil {
		return nil, err
	}
	prog, err := parse(toks)
	if err != nil {
		return nil, err
	}
	return &Template{prog: prog}, nil
}

type env struct {
	vars   map[string]Value
	parent *env
}

func newEnv(parent *env) *env { return &env{vars: map[string]Value{}, parent: parent} }

func (e *env) lookup(name string) Value {
	for ; e != nil; e = e.parent {
		if v, ok := e.vars[name]; ok {
			return v
		}
	}
	return Value{}
}

type renderer struct {
	ctx   context.Context
	lim   Limits
	steps int
	depth int
}

type controlErr struct{ brk bool }

func (c *controlErr) Error() string { return "break/continue outside a loop" }

// Error is a render error from the template or the engine.
type Error struct{ Msg string }

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

func errorf(format string, a ...any) error { return &Error{Msg: fmt.Sprintf(format, a...)} }

// Render renders the template with vars (which may shadow nothing of the
// globals namespace/range/true/false/none).
func (t *Template) Render(ctx context.Context, vars map[string]Value, lim Limits) (out string, err error) {
	if lim.MaxSteps <= 0 {
		lim.MaxSteps = 1 << 20
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = 256
	}
	if lim.MaxOutput <= 0 {
		lim.MaxOutput = 256 << 20
	}
	r := &renderer{ctx: ctx, lim: lim}
	global := newEnv(nil)
	for k, v := range globals(r) {
		global.vars[k] = v
	}
	for k, v := range vars {
		if _, ok := global.vars[k]; ok && k != "range" && k != "namespace" {
			return "", errorf("Variable already declared: %s", k)
		}
		global.vars[k] = v
	}
	defer func() {
		if rec := recover(); rec != nil {
			out, err = "", fmt.Errorf("render: internal error: %v", rec)
		}
	}()
	s, err := r.block(t.prog, global)
	if err != nil {
		var ce *controlErr
		if errors.As(err, &ce) {
			return "", errorf("break or continue outside a loop")
		}
		return "", err
	}
	return s, nil
}

func (r *renderer) step() error {
	r.steps++
	if r.steps > r.lim.MaxSteps {
		return fmt.Errorf("more than %d loop iterations and macro calls: %w", r.lim.MaxSteps, ErrLimit)
	}
	if r.steps&63 == 0 || r.steps < 64 {
		if err := r.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) block(nodes []node, e *env) (string, error) {
	var b strings.Builder
	for _, n := range nodes {
		v, err := r.eval(n, e)
		if err != nil {
			return "", err
		}
		if v.kind != None && v.kind != Undefined {
			if v.kind == List || v.kind == Dict || v.kind == Namespace {
				s, err := printJSON(v)
				if err != nil {
					return "", &Error{Msg: err.Error()}
				}
				b.WriteString(s)
			} else {
				b.WriteString(v.String())
			}
			if b.Len() > r.lim.MaxOutput {
				return "", fmt.Errorf("output longer than %d bytes: %w", r.lim.MaxOutput, ErrLimit)
			}
		}
	}
	return b.String(), nil
}

func (r *renderer) eval(n node, e *env) (Value, error) {
	switch n := n.(type) {
	case nil:
		return Value{}, nil
	case *textNode:
		return StringValue(n.s), nil
	case *commentNode:
		return NoneValue(), nil
	case *stringNode:
		return StringValue(n.s), nil
	case *intNode:
		return IntValue(n.v), nil
	case *floatNode:
		return FloatValue(n.v), nil
	case *identNode:
		return e.lookup(n.name), nil
	case *listNode, *tupleNode:
		var items []node
		tuple := false
		if l, ok := n.(*listNode); ok {
			items = l.items
		} else {
			items, tuple = n.(*tupleNode).items, true
		}
		vals := make([]Value, len(items))
		for i, it := range items {
			v, err := r.eval(it, e)
			if err != nil {
				return Value{}, err
			}
			vals[i] = v
		}
		return Value{kind: List, l: &ListData{Items: vals, tuple: tuple}}, nil
	case *dictNode:
		d := NewDict()
		for i := range n.keys {
			k, err := r.eval(n.keys[i], e)
			if err != nil {
				return Value{}, err
			}
			if k.kind != String {
				return Value{}, errorf("Object keys must be strings: got %s", k.kind)
			}
			v, err := r.eval(n.vals[i], e)
			if err != nil {
				return Value{}, err
			}
			d.Set(k.s, v)
		}
		return DictValue(d), nil
	case *ifNode:
		t, err := r.eval(n.test, e)
		if err != nil {
			return Value{}, err
		}
		body := n.alt
		if t.Truthy() {
			body = n.body
		}
		s, err := r.block(body, e)
		return StringValue(s), err
	case *forNode:
		return r.evalFor(n, e)
	case *setNode:
		return r.evalSet(n, e)
	case *macroNode:
		e.vars[n.name] = r.macro("'"+n.name+"'", n.params, n.special, n.body, nil)
		return NoneValue(), nil
	case *callStmtNode:
		return r.evalCallStmt(n, e)
	case *filterStmtNode:
		s, err := r.block(n.body, e)
		if err != nil {
			return Value{}, err
		}
		return r.applyFilter(StringValue(s), n.filter, e)
	case *breakNode:
		return Value{}, &controlErr{brk: true}
	case *continueNode:
		return Value{}, &controlErr{}
	case *binaryNode:
		return r.evalBinary(n, e)
	case *unaryNode:
		x, err := r.eval(n.x, e)
		if err != nil {
			return Value{}, err
		}
		if n.op == "not" {
			return BoolValue(!x.Truthy()), nil
		}
		sign := int64(1)
		if n.op == "-" {
			sign = -1
		}
		switch x.kind {
		case Int:
			return IntValue(sign * x.i), nil
		case Float:
			return FloatValue(float64(sign) * x.f), nil
		case Bool:
			if x.b {
				return IntValue(sign), nil
			}
			return IntValue(0), nil
		}
		return Value{}, errorf("Unknown operator %q for %s", n.op, x.kind)
	case *ternaryNode:
		t, err := r.eval(n.test, e)
		if err != nil {
			return Value{}, err
		}
		if t.Truthy() {
			return r.eval(n.yes, e)
		}
		return r.eval(n.no, e)
	case *selectNode:
		t, err := r.eval(n.test, e)
		if err != nil {
			return Value{}, err
		}
		if !t.Truthy() {
			return Value{}, nil
		}
		return r.eval(n.x, e)
	case *memberNode:
		return r.evalMember(n, e)
	case *callNode:
		args, err := r.evalArgs(n.args, e)
		if err != nil {
			return Value{}, err
		}
		fn, err := r.eval(n.callee, e)
		if err != nil {
			return Value{}, err
		}
		if fn.kind != Func {
			return Value{}, errorf("Cannot call something that is not a function: got %s", fn.kind)
		}
		args.r, args.env = r, e
		return fn.fn(args)
	case *filterNode:
		x, err := r.eval(n.x, e)
		if err != nil {
			return Value{}, err
		}
		return r.applyFilter(x, n.filter, e)
	case *testNode:
		x, err := r.eval(n.x, e)
		if err != nil {
			return Value{}, err
		}
		t, ok := tests[n.name]
		if !ok {
			return Value{}, errorf("Unknown test: %s", n.name)
		}
		res, err := t(x, Value{})
		if err != nil {
			return Value{}, err
		}
		return BoolValue(res != n.negate), nil
	case *kwargNode, *spreadNode, *kwSpreadNode, *sliceNode:
		return Value{}, errorf("unexpected argument syntax")
	}
	return Value{}, errorf("unknown node %T", n)
}

func (r *renderer) evalArgs(nodes []node, e *env) (Args, error) {
	var a Args
	for _, n := range nodes {
		switch n := n.(type) {
		case *kwargNode, *kwSpreadNode:
		case *spreadNode:
			v, err := r.eval(n.x, e)
			if err != nil {
				return a, err
			}
			if v.kind != List {
				return a, errorf("Cannot unpack non-iterable type: %s", v.kind)
			}
			a.Pos = append(a.Pos, v.l.Items...)
		default:
			v, err := r.eval(n, e)
			if err != nil {
				return a, err
			}
			a.Pos = append(a.Pos, v)
		}
	}
	add := func(k string, v Value) error {
		if a.Kw == nil {
			a.Kw = NewDict()
		}
		if _, dup := a.Kw.Get(k); dup {
			return errorf("Got multiple values for keyword argument '%s'", k)
		}
		a.Kw.Set(k, v)
		return nil
	}
	for _, n := range nodes {
		switch n := n.(type) {
		case *kwargNode:
			v, err := r.eval(n.val, e)
			if err != nil {
				return a, err
			}
			if err := add(n.key, v); err != nil {
				return a, err
			}
		case *kwSpreadNode:
			v, err := r.eval(n.x, e)
			if err != nil {
				return a, err
			}
			if v.kind != Dict {
				return a, errorf("Argument after ** must be a mapping, not %s", v.kind)
			}
			for _, k := range v.d.keys {
				if err := add(k, v.d.m[k]); err != nil {
					return a, err
				}
			}
		}
	}
	return a, nil
}

// kw returns a keyword argument.
func (a Args) kw(name string) (Value, bool) {
	if a.Kw == nil {
		return Value{}, false
	}
	return a.Kw.Get(name)
}

// arg is positional argument i, else keyword name.
func (a Args) arg(i int, name string) (Value, bool) {
	if i < len(a.Pos) {
		return a.Pos[i], true
	}
	return a.kw(name)
}

func (r *renderer) evalSet(n *setNode, e *env) (Value, error) {
	var rhs Value
	var err error
	if n.value != nil {
		rhs, err = r.eval(n.value, e)
	} else {
		var s string
		s, err = r.block(n.body, e)
		rhs = StringValue(s)
	}
	if err != nil {
		return Value{}, err
	}
	switch t := n.target.(type) {
	case *identNode:
		e.vars[t.name] = rhs
	case *tupleNode:
		if rhs.kind != List {
			return Value{}, errorf("Cannot unpack non-iterable type in set: %s", rhs.kind)
		}
		if len(rhs.l.Items) != len(t.items) {
			return Value{}, errorf("Too %s items to unpack in set", fewMany(len(t.items), len(rhs.l.Items)))
		}
		for i, it := range t.items {
			id, ok := it.(*identNode)
			if !ok {
				return Value{}, errorf("Cannot unpack to non-identifier in set")
			}
			e.vars[id.name] = rhs.l.Items[i]
		}
	case *memberNode:
		obj, err := r.eval(t.obj, e)
		if err != nil {
			return Value{}, err
		}
		if obj.kind != Namespace {
			return Value{}, errorf("cannot assign attribute on non-namespace object")
		}
		id, ok := t.prop.(*identNode)
		if !ok || t.computed {
			return Value{}, errorf("Cannot assign to member with non-identifier property")
		}
		obj.d.Set(id.name, rhs)
	default:
		return Value{}, errorf("Invalid LHS inside assignment expression")
	}
	return NoneValue(), nil
}

func fewMany(want, have int) string {
	if want > have {
		return "few"
	}
	return "many"
}

func (r *renderer) bindTarget(target node, v Value, e *env) error {
	switch t := target.(type) {
	case *identNode:
		e.vars[t.name] = v
	case *tupleNode:
		if v.kind != List {
			return errorf("Cannot unpack non-iterable type: %s", v.kind)
		}
		if len(v.l.Items) != len(t.items) {
			return errorf("Too %s items to unpack", fewMany(len(t.items), len(v.l.Items)))
		}
		for i, it := range t.items {
			id, ok := it.(*identNode)
			if !ok {
				return errorf("Cannot unpack non-identifier type")
			}
			e.vars[id.name] = v.l.Items[i]
		}
	}
	return nil
}

func (r *renderer) evalFor(n *forNode, e *env) (Value, error) {
	scope := newEnv(e)
	var test node
	iterNode := n.iter
	if sel, ok := n.iter.(*selectNode); ok {
		iterNode, test = sel.x, sel.test
	}
	it, err := r.eval(iterNode, scope)
	if err != nil {
		return Value{}, err
	}
	var items []Value
	switch it.kind {
	case List:
		items = it.l.Items
	case Dict:
		items = make([]Value, len(it.d.keys))
		for i, k := range it.d.keys {
			items[i] = StringValue(k)
		}
	default:
		return Value{}, errorf("Expected iterable or object type in for loop: got %s", it.kind)
	}
	if test != nil {
		var kept []Value
		for _, cur := range items {
			if err := r.step(); err != nil {
				return Value{}, err
			}
			ls := newEnv(scope)
			if err := r.bindTarget(n.target, cur, ls); err != nil {
				return Value{}, err
			}
			t, err := r.eval(test, ls)
			if err != nil {
				return Value{}, err
			}
			if t.Truthy() {
				kept = append(kept, cur)
			}
		}
		items = kept
	} else if _, ok := n.target.(*tupleNode); ok {
		for _, cur := range items {
			if err := r.bindTarget(n.target, cur, newEnv(nil)); err != nil {
				return Value{}, err
			}
		}
	}
	var b strings.Builder
	ran := false
	for i, cur := range items {
		if err := r.step(); err != nil {
			return Value{}, err
		}
		loop := NewDict()
		loop.Set("index", IntValue(int64(i+1)))
		loop.Set("index0", IntValue(int64(i)))
		loop.Set("revindex", IntValue(int64(len(items)-i)))
		loop.Set("revindex0", IntValue(int64(len(items)-i-1)))
		loop.Set("first", BoolValue(i == 0))
		loop.Set("last", BoolValue(i == len(items)-1))
		loop.Set("length", IntValue(int64(len(items))))
		if i > 0 {
			loop.Set("previtem", items[i-1])
		} else {
			loop.Set("previtem", Value{})
		}
		if i < len(items)-1 {
			loop.Set("nextitem", items[i+1])
		} else {
			loop.Set("nextitem", Value{})
		}
		scope.vars["loop"] = DictValue(loop)
		if err := r.bindTarget(n.target, cur, scope); err != nil {
			return Value{}, err
		}
		s, err := r.block(n.body, scope)
		if err != nil {
			var ce *controlErr
			if errors.As(err, &ce) {
				if ce.brk {
					break
				}
				continue
			}
			return Value{}, err
		}
		b.WriteString(s)
		if b.Len() > r.lim.MaxOutput {
			return Value{}, fmt.Errorf("output longer than %d bytes: %w", r.lim.MaxOutput, ErrLimit)
		}
		ran = true
	}
	if !ran {
		s, err := r.block(n.alt, scope)
		if err != nil {
			return Value{}, err
		}
		b.WriteString(s)
	}
	return StringValue(b.String()), nil
}

// macro builds a macro's function value. callerEnv, when not nil, is the
// environment a call block's body runs in; otherwise the body runs in a
// scope below the caller's environment.
func (r *renderer) macro(name string, params []node, special map[string]bool, body []node, callerEnv *env) Value {
	return FuncValue(func(a Args) (Value, error) {
		rr := a.r
		if rr == nil {
			rr = r
		}
		if err := rr.step(); err != nil {
			return Value{}, err
		}
		rr.depth++
		defer func() { rr.depth-- }()
		if rr.depth > rr.lim.MaxDepth {
			return Value{}, fmt.Errorf("macros nested more than %d deep: %w", rr.lim.MaxDepth, ErrLimit)
		}
		parent := a.env
		if callerEnv != nil {
			parent = callerEnv
		}
		scope := newEnv(parent)
		if err := rr.bindParams(name, params, special, a, scope); err != nil {
			return Value{}, err
		}
		s, err := rr.block(body, scope)
		return StringValue(s), err
	})
}

func (r *renderer) bindParams(name string, params []node, special map[string]bool, a Args, scope *env) error {
	var kw *DictData
	if a.Kw != nil {
		kw = a.Kw.clone()
	} else {
		kw = NewDict()
	}
	type pending struct {
		name string
		def  node
	}
	var defaults []pending
	for i, prm := range params {
		var pname string
		var def node
		switch p := prm.(type) {
		case *identNode:
			pname = p.name
		case *kwargNode:
			pname, def = p.key, p.val
		}
		var v Value
		set := false
		if i < len(a.Pos) {
			v, set = a.Pos[i], true
		}
		if !set {
			if kv, ok := kw.Get(pname); ok {
				v, set = kv, true
				kw.del(pname)
			}
		}
		if !set && def != nil {
			defaults = append(defaults, pending{pname, def})
		}
		scope.vars[pname] = v
	}
	if special["kwargs"] {
		scope.vars["kwargs"] = DictValue(kw)
	} else if kw.Len() > 0 {
		return errorf("macro %s takes no keyword argument '%s'", name, kw.keys[0])
	}
	if special["varargs"] {
		var rest []Value
		if len(a.Pos) > len(params) {
			rest = append(rest, a.Pos[len(params):]...)
		}
		scope.vars["varargs"] = ListValue(rest)
	} else if len(a.Pos) > len(params) {
		return errorf("macro %s takes not more than %d argument(s)", name, len(params))
	}
	for _, d := range defaults {
		v, err := r.eval(d.def, scope)
		if err != nil {
			return err
		}
		scope.vars[d.name] = v
	}
	return nil
}

func (r *renderer) evalCallStmt(n *callStmtNode, e *env) (Value, error) {
	caller := r.macro("None", n.params, n.special, n.body, e)
	args, err := r.evalArgs(n.call.args, e)
	if err != nil {
		return Value{}, err
	}
	if args.Kw == nil {
		args.Kw = NewDict()
	}
	fn, err := r.eval(n.call.callee, e)
	if err != nil {
		return Value{}, err
	}
	if fn.kind != Func {
		return Value{}, errorf("Cannot call something that is not a function: got %s", fn.kind)
	}
	ne := newEnv(e)
	ne.vars["caller"] = caller
	args.r = r
	args.env = ne
	return fn.fn(args)
}

func (r *renderer) evalMember(n *memberNode, e *env) (Value, error) {
	obj, err := r.eval(n.obj, e)
	if err != nil {
		return Value{}, err
	}
	var prop Value
	switch {
	case n.computed:
		if s, ok := n.prop.(*sliceNode); ok {
			return r.evalSlice(obj, s, e)
		}
		if prop, err = r.eval(n.prop, e); err != nil {
			return Value{}, err
		}
	default:
		switch p := n.prop.(type) {
		case *intNode:
			prop = IntValue(p.v)
		case *identNode:
			prop = StringValue(p.name)
		}
	}
	return member(obj, prop)
}

func member(obj, prop Value) (Value, error) {
	switch obj.kind {
	case Dict, Namespace:
		if prop.kind != String {
			return Value{}, errorf("Cannot access property with non-string: got %s", prop.kind)
		}
		if v, ok := obj.d.Get(prop.s); ok {
			return v, nil
		}
		if obj.kind == Dict {
			if f, ok := dictMethod(obj, prop.s); ok {
				return f, nil
			}
		}
		return Value{}, nil
	case List, String:
		switch prop.kind {
		case Int:
			if obj.kind == String {
				if c, ok := utf16At(obj.s, prop.i); ok {
					return StringValue(c), nil
				}
				return Value{}, nil
			}
			i := prop.i
			if i < 0 {
				i += int64(len(obj.l.Items))
			}
			if i < 0 || i >= int64(len(obj.l.Items)) {
				return Value{}, nil
			}
			return obj.l.Items[i], nil
		case String:
			if obj.kind == List {
				if prop.s == "length" {
					return IntValue(int64(len(obj.l.Items))), nil
				}
				return Value{}, nil
			}
			if f, ok := stringMethod(obj.s, prop.s); ok {
				return f, nil
			}
			return Value{}, nil
		}
		return Value{}, errorf("Cannot access property with non-string/non-number: got %s", prop.kind)
	}
	if prop.kind != String {
		return Value{}, errorf("Cannot access property with non-string: got %s", prop.kind)
	}
	return Value{}, nil
}

func (r *renderer) evalSlice(obj Value, s *sliceNode, e *env) (Value, error) {
	if obj.kind != List && obj.kind != String {
		return Value{}, errorf("Slice object must be an array or string")
	}
	var idx [3]*int64
	for i, n := range []node{s.start, s.stop, s.step} {
		v, err := r.eval(n, e)
		if err != nil {
			return Value{}, err
		}
		switch v.kind {
		case Int:
			x := v.i
			idx[i] = &x
		case Undefined:
		default:
			return Value{}, errorf("Slice %s must be numeric or undefined", []string{"start", "stop", "step"}[i])
		}
	}
	if obj.kind == List {
		return ListValue(sliceIdx(obj.l.Items, idx[0], idx[1], idx[2])), nil
	}
	runes := []rune(obj.s)
	return StringValue(string(sliceIdx(runes, idx[0], idx[1], idx[2]))), nil
}

func sliceIdx[T any](a []T, startP, stopP, stepP *int64) []T {
	n := int64(len(a))
	step := int64(1)
	if stepP != nil {
		step = *stepP
	}
	var start, stop int64
	if step >= 0 {
		if step == 0 {
			step = 0
		}
		start = 0
		if startP != nil {
			start = *startP
		}
		if start < 0 {
			start = max(n+start, 0)
		} else {
			start = min(start, n)
		}
		stop = n
		if stopP != nil {
			stop = *stopP
		}
		if stop < 0 {
			stop = max(n+stop, 0)
		} else {
			stop = min(stop, n)
		}
	} else {
		start = n - 1
		if startP != nil {
			start = *startP
		}
		if start < 0 {
			start = max(n+start, -1)
		} else {
			start = min(start, n-1)
		}
		stop = -1
		if stopP != nil {
			stop = *stopP
		}
		if stop < -1 {
			stop = max(n+stop, -1)
		} else {
			stop = min(stop, n-1)
		}
	}
	var out []T
	if step == 0 {
		return out
	}
	dir := int64(1)
	if step < 0 {
		dir = -1
	}
	for i := start; dir*i < dir*stop; i += step {
		out = append(out, a[i])
	}
	return out
}

func isNum(v Value) bool { return v.kind == Int || v.kind == Float }

func numOf(v Value) float64 {
	switch v.kind {
	case Int:
		return float64(v.i)
	case Float:
		return v.f
	case Bool:
		if v.b {
			return 1
		}
	}
	return 0
}

func (r *renderer) evalBinary(n *binaryNode, e *env) (Value, error) {
	left, err := r.eval(n.left, e)
	if err != nil {
		return Value{}, err
	}
	switch n.op {
	case "and":
		if !left.Truthy() {
			return left, nil
		}
		return r.eval(n.right, e)
	case "or":
		if left.Truthy() {
			return left, nil
		}
		return r.eval(n.right, e)
	}
	right, err := r.eval(n.right, e)
	if err != nil {
		return Value{}, err
	}
	v, err := binary(n.op, left, right)
	if err == nil && ((v.kind == String && len(v.s) > r.lim.MaxOutput) || (v.kind == List && len(v.l.Items) > r.lim.MaxSteps)) {
		return Value{}, fmt.Errorf("value larger than the output limit: %w", ErrLimit)
	}
	return v, err
}

func binary(op string, left, right Value) (Value, error) {
	switch op {
	case "==":
		return BoolValue(looseEqual(left, right)), nil
	case "!=":
		return BoolValue(!looseEqual(left, right)), nil
	}
	if left.kind == Undefined || right.kind == Undefined {
		if right.kind == Undefined && (op == "in" || op == "not in") {
			return BoolValue(op == "not in"), nil
		}
		return Value{}, errorf("Cannot perform operation %s on undefined values", op)
	}
	if left.kind == None || right.kind == None {
		return Value{}, errorf("Cannot perform operation on null values")
	}
	if op == "~" {
		ls, err := tildeString(left)
		if err != nil {
			return Value{}, err
		}
		rs, err := tildeString(right)
		if err != nil {
			return Value{}, err
		}
		return StringValue(ls + rs), nil
	}
	isNumLike := func(v Value) bool { return isNum(v) || v.kind == Bool }
	if op == "**" && isNumLike(left) && isNumLike(right) {
		a, b := numOf(left), numOf(right)
		if a == 0 && b < 0 {
			return Value{}, errorf("0.0 cannot be raised to a negative power")
		}
		res := math.Pow(a, b)
		if math.IsInf(res, 0) || math.IsNaN(res) {
			return Value{}, errorf("Exponentiation result is not a finite real number")
		}
		if left.kind == Float || right.kind == Float || b < 0 {
			return FloatValue(res), nil
		}
		if math.Abs(res) > 1<<62 {
			return Value{}, errorf("integer result too large")
		}
		return IntValue(int64(res)), nil
	}
	if isNum(left) && isNum(right) {
		isFloat := left.kind == Float || right.kind == Float
		switch op {
		case "+", "-", "*":
			if !isFloat {
				a, b := left.i, right.i
				var res int64
				switch op {
				case "+":
					res = a + b
				case "-":
					res = a - b
				default:
					res = a * b
				}
				return IntValue(res), nil
			}
			a, b := numOf(left), numOf(right)
			switch op {
			case "+":
				return FloatValue(a + b), nil
			case "-":
				return FloatValue(a - b), nil
			}
			return FloatValue(a * b), nil
		case "/":
			if numOf(right) == 0 {
				return Value{}, errorf("division by zero")
			}
			return FloatValue(numOf(left) / numOf(right)), nil
		case "//":
			if numOf(right) == 0 {
				return Value{}, errorf("integer division or modulo by zero")
			}
			res := math.Floor(numOf(left) / numOf(right))
			if isFloat {
				return FloatValue(res), nil
			}
			return IntValue(int64(res)), nil
		case "%":
			if numOf(right) == 0 {
				return Value{}, errorf("integer division or modulo by zero")
			}
			if !isFloat {
				return IntValue(left.i % right.i), nil
			}
			return FloatValue(math.Mod(numOf(left), numOf(right))), nil
		case "<":
			return BoolValue(numOf(left) < numOf(right)), nil
		case ">":
			return BoolValue(numOf(left) > numOf(right)), nil
		case "<=":
			return BoolValue(numOf(left) <= numOf(right)), nil
		case ">=":
			return BoolValue(numOf(left) >= numOf(right)), nil
		}
	} else if left.kind == List && right.kind == List {
		if op == "+" {
			items := make([]Value, 0, len(left.l.Items)+len(right.l.Items))
			items = append(items, left.l.Items...)
			items = append(items, right.l.Items...)
			return ListValue(items), nil
		}
	} else if right.kind == List {
		if op == "in" || op == "not in" {
			found := false
			for _, it := range right.l.Items {
				if strictEqual(it, left) {
					found = true
					break
				}
			}
			return BoolValue(found == (op == "in")), nil
		}
	}
	if (left.kind == String || right.kind == String) && op == "+" {
		ls, err := concatString(left)
		if err != nil {
			return Value{}, err
		}
		rs, err := concatString(right)
		if err != nil {
			return Value{}, err
		}
		return StringValue(ls + rs), nil
	}
	if left.kind == String && right.kind == String && (op == "in" || op == "not in") {
		return BoolValue(strings.Contains(right.s, left.s) == (op == "in")), nil
	}
	if left.kind == String && right.kind == Dict && (op == "in" || op == "not in") {
		_, ok := right.d.Get(left.s)
		return BoolValue(ok == (op == "in")), nil
	}
	return Value{}, errorf("Unknown operator %q between %s and %s", op, left.kind, right.kind)
}

// tildeString is an operand of "~": like "+" of strings.
func tildeString(v Value) (string, error) {
	if v.kind == Dict {
		return pyRepr(v), nil
	}
	return concatString(v)
}

// strictEqual is JavaScript's === on the engine's values: primitives by
// value, containers by identity.
func strictEqual(a, b Value) bool {
	switch {
	case isNum(a) && isNum(b):
		return numOf(a) == numOf(b)
	case a.kind != b.kind:
		return false
	}
	switch a.kind {
	case Undefined, None:
		return true
	case Bool:
		return a.b == b.b
	case String:
		return a.s == b.s
	case List:
		return a.l == b.l
	case Dict, Namespace:
		return a.d == b.d
	}
	return false
}

// looseEqual is "==": JavaScript's == between primitives (none equals
// undefined; numbers, booleans and numeric strings compare as numbers),
// and Python's element-wise equality for lists and dicts (JavaScript
// would compare identities).
func looseEqual(a, b Value) bool {
	nullish := func(v Value) bool { return v.kind == None || v.kind == Undefined }
	switch {
	case nullish(a) || nullish(b):
		return nullish(a) && nullish(b)
	case a.kind == List && b.kind == List:
		if len(a.l.Items) != len(b.l.Items) {
			return false
		}
		for i := range a.l.Items {
			if !looseEqual(a.l.Items[i], b.l.Items[i]) {
				return false
			}
		}
		return true
	case (a.kind == Dict || a.kind == Namespace) && a.kind == b.kind:
		if a.d.Len() != b.d.Len() {
			return false
		}
		for _, k := range a.d.keys {
			bv, ok := b.d.Get(k)
			if !ok || !looseEqual(a.d.m[k], bv) {
				return false
			}
		}
		return true
	case a.kind == String && b.kind == String:
		return a.s == b.s
	case a.kind == Func || b.kind == Func:
		return false
	case a.kind == List || b.kind == List || a.kind == Dict || b.kind == Dict || a.kind == Namespace || b.kind == Namespace:
		return false
	}
	an, aok := jsToNumber(a)
	bn, bok := jsToNumber(b)
	return aok && bok && an == bn
}

func jsToNumber(v Value) (float64, bool) {
	switch v.kind {
	case Int, Float, Bool:
		return numOf(v), true
	case String:
		s := strings.TrimFunc(v.s, isSpaceJS)
		if s == "" {
			return 0, true
		}
		f, ok := parseJSNumber(s)
		return f, ok
	}
	return 0, false
}
