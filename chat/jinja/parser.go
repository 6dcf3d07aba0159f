package jinja

import (
	"fmt"
	"strconv"
	"strings"
)

// node is a statement or expression of the syntax tree.
type node interface{}

type (
	textNode    struct{ s string }
	commentNode struct{}
	ifNode      struct {
		test      node
		body, alt []node
	}
	forNode struct {
		target    node // *identNode or *tupleNode
		iter      node
		body, alt []node
	}
	setNode struct {
		target node
		value  node // nil: block set
		body   []node
	}
	macroNode struct {
		name    string
		params  []node // *identNode or *kwargNode
		body    []node
		special map[string]bool
	}
	callStmtNode struct {
		call    *callNode
		params  []node
		body    []node
		special map[string]bool
	}
	filterStmtNode struct {
		filter node // *identNode or *callNode
		body   []node
	}
	breakNode    struct{}
	continueNode struct{}

	identNode  struct{ name string }
	intNode    struct{ v int64 }
	floatNode  struct{ v float64 }
	stringNode struct{ s string }
	listNode   struct{ items []node }
	tupleNode  struct{ items []node }
	dictNode   struct{ keys, vals []node }
	binaryNode struct {
		op          string
		left, right node
	}
	unaryNode struct {
		op string
		x  node
	}
	memberNode struct {
		obj, prop node
		computed  bool
	}
	sliceNode struct{ start, stop, step node }
	callNode  struct {
		callee node
		args   []node
	}
	kwargNode struct {
		key string
		val node
	}
	spreadNode   struct{ x node }
	kwSpreadNode struct{ x node }
	filterNode   struct {
		x      node
		filter node // *identNode or *callNode
	}
	testNode struct {
		x      node
		negate bool
		name   string
	}
	selectNode  struct{ x, test node }
	ternaryNode struct{ test, yes, no node }
)

type parser struct {
	toks []token
	pos  int
}

func (p *parser) errf(format string, a ...any) error {
	line := 0
	if p.pos < len(p.toks) {
		line = p.toks[p.pos].line
	} else if len(p.toks) > 0 {
		line = p.toks[len(p.toks)-1].line
	}
	return &SyntaxError{Line: line, Msg: fmt.Sprintf(format, a...)}
}

func (p *parser) is(types ...tokType) bool {
	if p.pos+len(types) > len(p.toks) {
		return false
	}
	for i, t := range types {
		if p.toks[p.pos+i].typ != t {
			return false
		}
	}
	return true
}

func (p *parser) isIdent(names ...string) bool {
	if p.pos+len(names) > len(p.toks) {
		return false
	}
	for i, n := range names {
		t := p.toks[p.pos+i]
		if t.typ != tIdent || t.val != n {
			return false
		}
	}
	return true
}

func (p *parser) isStatement(names ...string) bool {
	if p.pos+1 >= len(p.toks) || p.toks[p.pos].typ != tOpenStmt || p.toks[p.pos+1].typ != tIdent {
		return false
	}
	for _, n := range names {
		if p.toks[p.pos+1].val == n {
			return true
		}
	}
	return false
}

func (p *parser) expect(t tokType, what string) (token, error) {
	if p.pos >= len(p.toks) {
		return token{}, p.errf("expected %s, got end of template", what)
	}
	tok := p.toks[p.pos]
	if tok.typ != t {
		return token{}, p.errf("expected %s, got %q", what, tok.val)
	}
	p.pos++
	return tok, nil
}

func (p *parser) expectIdent(name string) error {
	if !p.isIdent(name) {
		return p.errf("expected %s", name)
	}
	p.pos++
	return nil
}

// parse parses a token stream into a program.
func parse(toks []token) (prog []node, err error) {
	p := &parser{toks: toks}
	for p.pos < len(p.toks) {
		n, err := p.parseAny()
		if err != nil {
			return nil, err
		}
		prog = append(prog, n)
	}
	return prog, nil
}

const maxParseDepth = 400

func (p *parser) parseAny() (node, error) {
	if p.pos >= len(p.toks) {
		return nil, p.errf("unexpected end of template")
	}
	t := p.toks[p.pos]
	switch t.typ {
	case tComment:
		p.pos++
		return &commentNode{}, nil
	case tText:
		p.pos++
		return &textNode{t.val}, nil
	case tOpenStmt:
		return p.parseStatement()
	case tOpenExpr:
		p.pos++
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tCloseExpr, "}}"); err != nil {
			return nil, err
		}
		return e, nil
	}
	return nil, p.errf("unexpected %q", t.val)
}

// parseBody parses statements until one of the named block tags.
func (p *parser) parseBody(ends ...string) ([]node, error) {
	var body []node
	for !p.isStatement(ends...) {
		if p.pos >= len(p.toks) {
			return nil, p.errf("unexpected end of template: missing {%% %s %%}", ends[len(ends)-1])
		}
		n, err := p.parseAny()
		if err != nil {
			return nil, err
		}
		body = append(body, n)
	}
	return body, nil
}

func (p *parser) closeBlock(name string) error {
	if _, err := p.expect(tOpenStmt, "{%"); err != nil {
		return err
	}
	if err := p.expectIdent(name); err != nil {
		return err
	}
	_, err := p.expect(tCloseStmt, "%}")
	return err
}

func (p *parser) parseStatement() (node, error) {
	open := p.toks[p.pos]
	p.pos++
	if p.pos >= len(p.toks) || p.toks[p.pos].typ != tIdent {
		return nil, p.errf("unknown statement")
	}
	name := p.toks[p.pos].val
	p.pos++
	wrap := func(err error) error {
		if se, ok := err.(*SyntaxError); ok && strings.HasPrefix(se.Msg, "unexpected end of template") {
			return &SyntaxError{Line: open.line, Msg: fmt.Sprintf("unclosed %s block (%s)", name, se.Msg)}
		}
		return err
	}
	switch name {
	case "set":
		n, err := p.parseSet()
		return n, wrap(err)
	case "if":
		n, err := p.parseIf()
		if err != nil {
			return nil, wrap(err)
		}
		return n, p.closeBlock("endif")
	case "macro":
		nameNode, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		id, ok := nameNode.(*identNode)
		if !ok {
			return nil, p.errf("expected identifier following macro statement")
		}
		params, err := p.parseArgs(true)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tCloseStmt, "%}"); err != nil {
			return nil, err
		}
		body, err := p.parseBody("endmacro")
		if err != nil {
			return nil, wrap(err)
		}
		if err := p.closeBlock("endmacro"); err != nil {
			return nil, err
		}
		return &macroNode{name: id.name, params: params, body: body, special: specialArgs(params, body)}, nil
	case "for":
		n, err := p.parseFor()
		if err != nil {
			return nil, wrap(err)
		}
		return n, p.closeBlock("endfor")
	case "call":
		var params []node
		var err error
		if p.is(tLParen) {
			if params, err = p.parseArgs(true); err != nil {
				return nil, err
			}
		}
		callee, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		if _, ok := callee.(*identNode); !ok {
			return nil, p.errf("expected identifier following call statement")
		}
		args, err := p.parseArgs(false)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tCloseStmt, "%}"); err != nil {
			return nil, err
		}
		body, err := p.parseBody("endcall")
		if err != nil {
			return nil, wrap(err)
		}
		if err := p.closeBlock("endcall"); err != nil {
			return nil, err
		}
		return &callStmtNode{call: &callNode{callee: callee, args: args}, params: params, body: body, special: specialArgs(params, body)}, nil
	case "break", "continue":
		if _, err := p.expect(tCloseStmt, "%}"); err != nil {
			return nil, err
		}
		if name == "break" {
			return &breakNode{}, nil
		}
		return &continueNode{}, nil
	case "filter":
		f, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		if _, ok := f.(*identNode); ok && p.is(tLParen) {
			if f, err = p.parseCall(f); err != nil {
				return nil, err
			}
		}
		if _, err := p.expect(tCloseStmt, "%}"); err != nil {
			return nil, err
		}
		body, err := p.parseBody("endfilter")
		if err != nil {
			return nil, wrap(err)
		}
		if err := p.closeBlock("endfilter"); err != nil {
			return nil, err
		}
		return &filterStmtNode{filter: f, body: body}, nil
	}
	return nil, &SyntaxError{Line: open.line, Msg: fmt.Sprintf("unknown statement type: %s", name)}
}

func (p *parser) parseSet() (node, error) {
	left, err := p.parseSequence(false)
	if err != nil {
		return nil, err
	}
	n := &setNode{target: left}
	if p.is(tEquals) {
		p.pos++
		if n.value, err = p.parseSequence(false); err != nil {
			return nil, err
		}
	} else {
		if _, err := p.expect(tCloseStmt, "%}"); err != nil {
			return nil, err
		}
		if n.body, err = p.parseBody("endset"); err != nil {
			return nil, err
		}
		if _, err := p.expect(tOpenStmt, "{%"); err != nil {
			return nil, err
		}
		if err := p.expectIdent("endset"); err != nil {
			return nil, err
		}
	}
	if _, err := p.expect(tCloseStmt, "%}"); err != nil {
		return nil, err
	}
	return n, nil
}

func (p *parser) parseIf() (node, error) {
	test, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tCloseStmt, "%}"); err != nil {
		return nil, err
	}
	n := &ifNode{test: test}
	if n.body, err = p.parseBody("elif", "else", "endif"); err != nil {
		return nil, err
	}
	switch {
	case p.isStatement("elif"):
		p.pos += 2
		alt, err := p.parseIf()
		if err != nil {
			return nil, err
		}
		n.alt = []node{alt}
	case p.isStatement("else"):
		p.pos += 2
		if _, err := p.expect(tCloseStmt, "%}"); err != nil {
			return nil, err
		}
		if n.alt, err = p.parseBody("endif"); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (p *parser) parseFor() (node, error) {
	target, err := p.parseSequence(true)
	if err != nil {
		return nil, err
	}
	switch target.(type) {
	case *identNode, *tupleNode:
	default:
		return nil, p.errf("expected identifier/tuple for the loop variable")
	}
	if err := p.expectIdent("in"); err != nil {
		return nil, err
	}
	iter, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tCloseStmt, "%}"); err != nil {
		return nil, err
	}
	n := &forNode{target: target, iter: iter}
	if n.body, err = p.parseBody("endfor", "else"); err != nil {
		return nil, err
	}
	if p.isStatement("else") {
		p.pos += 2
		if _, err := p.expect(tCloseStmt, "%}"); err != nil {
			return nil, err
		}
		if n.alt, err = p.parseBody("endfor"); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (p *parser) parseSequence(primary bool) (node, error) {
	fn := p.parseExpr
	if primary {
		fn = p.parsePrimary
	}
	first, err := fn()
	if err != nil {
		return nil, err
	}
	if !p.is(tComma) {
		return first, nil
	}
	items := []node{first}
	for p.is(tComma) {
		p.pos++
		e, err := fn()
		if err != nil {
			return nil, err
		}
		items = append(items, e)
	}
	return &tupleNode{items}, nil
}

func (p *parser) parseExpr() (node, error) {
	if p.pos >= len(p.toks) {
		return nil, p.errf("unexpected end of template")
	}
	a, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.isIdent("if") {
		p.pos++
		test, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if p.isIdent("else") {
			p.pos++
			no, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			return &ternaryNode{test: test, yes: a, no: no}, nil
		}
		return &selectNode{x: a, test: test}, nil
	}
	return a, nil
}

// parseBinary parses operand (op operand)*, left-associative: op reports
// (and consumes) the operator at the current token, if any.
func (p *parser) parseBinary(operand func() (node, error), op func() (string, bool)) (node, error) {
	left, err := operand()
	if err != nil {
		return nil, err
	}
	for {
		o, ok := op()
		if !ok {
			return left, nil
		}
		right, err := operand()
		if err != nil {
			return nil, err
		}
		left = &binaryNode{op: o, left: left, right: right}
	}
}

// identOp matches the keyword operator word.
func (p *parser) identOp(word string) func() (string, bool) {
	return func() (string, bool) {
		if !p.isIdent(word) {
			return "", false
		}
		p.pos++
		return word, true
	}
}

// tokenOp matches a token of kind k, whose text is the operator.
func (p *parser) tokenOp(k tokType) func() (string, bool) {
	return func() (string, bool) {
		if !p.is(k) {
			return "", false
		}
		p.pos++
		return p.toks[p.pos-1].val, true
	}
}

func (p *parser) parseOr() (node, error) { return p.parseBinary(p.parseAnd, p.identOp("or")) }

func (p *parser) parseAnd() (node, error) { return p.parseBinary(p.parseNot, p.identOp("and")) }

func (p *parser) parseNot() (node, error) {
	if p.isIdent("not") {
		p.pos++
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &unaryNode{op: "not", x: x}, nil
	}
	return p.parseComparison()
}

func (p *parser) parseComparison() (node, error) {
	return p.parseBinary(p.parseAdditive, func() (string, bool) {
		switch {
		case p.isIdent("not", "in"):
			p.pos += 2
			return "not in", true
		case p.isIdent("in"):
			p.pos++
			return "in", true
		case p.is(tCmp):
			p.pos++
			return p.toks[p.pos-1].val, true
		}
		return "", false
	})
}

func (p *parser) parseAdditive() (node, error) {
	return p.parseBinary(p.parseMultiplicative, p.tokenOp(tAdd))
}

func (p *parser) parseMultiplicative() (node, error) {
	return p.parseBinary(p.parsePower, p.tokenOp(tMul))
}

func (p *parser) parsePower() (node, error) {
	return p.parseBinary(p.parseTest, func() (string, bool) {
		if !p.is(tPow) {
			return "", false
		}
		p.pos++
		return "**", true
	})
}

func (p *parser) parseTest() (node, error) {
	x, err := p.parseFilter()
	if err != nil {
		return nil, err
	}
	for p.isIdent("is") {
		p.pos++
		negate := p.isIdent("not")
		if negate {
			p.pos++
		}
		t, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		id, ok := t.(*identNode)
		if !ok {
			return nil, p.errf("expected identifier for the test")
		}
		x = &testNode{x: x, negate: negate, name: id.name}
	}
	return x, nil
}

func (p *parser) parseFilter() (node, error) {
	x, err := p.parseUnary(0)
	if err != nil {
		return nil, err
	}
	for p.is(tPipe) {
		p.pos++
		f, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		if _, ok := f.(*identNode); !ok {
			return nil, p.errf("expected identifier for the filter")
		}
		if p.is(tLParen) {
			if f, err = p.parseCall(f); err != nil {
				return nil, err
			}
		}
		x = &filterNode{x: x, filter: f}
	}
	return x, nil
}

func (p *parser) parseUnary(depth int) (node, error) {
	if depth > maxParseDepth {
		return nil, p.errf("expression nested too deeply")
	}
	if p.pos < len(p.toks) {
		t := p.toks[p.pos]
		if (t.typ == tUnary || t.typ == tAdd) && (t.val == "-" || t.val == "+") {
			p.pos++
			x, err := p.parseUnary(depth + 1)
			if err != nil {
				return nil, err
			}
			return &unaryNode{op: t.val, x: x}, nil
		}
	}
	prim, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	m, err := p.parseMember(prim)
	if err != nil {
		return nil, err
	}
	if p.is(tLParen) {
		return p.parseCall(m)
	}
	return m, nil
}

func (p *parser) parseCall(callee node) (node, error) {
	for {
		args, err := p.parseArgs(false)
		if err != nil {
			return nil, err
		}
		var e node = &callNode{callee: callee, args: args}
		if e, err = p.parseMember(e); err != nil {
			return nil, err
		}
		if !p.is(tLParen) {
			return e, nil
		}
		callee = e
	}
}

func (p *parser) parseArgs(params bool) ([]node, error) {
	if _, err := p.expect(tLParen, "("); err != nil {
		return nil, err
	}
	var args []node
	names := map[string]bool{}
	sawKw, sawSpread := false, false
	for !p.is(tRParen) {
		if p.pos >= len(p.toks) {
			return nil, p.errf("unexpected end of template in argument list")
		}
		kwSpread := p.is(tPow)
		spread := p.is(tMul) && p.toks[p.pos].val == "*"
		if params && (kwSpread || spread) {
			return nil, p.errf("argument unpacking is not allowed in parameter declarations")
		}
		if kwSpread {
			p.pos++
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			args = append(args, &kwSpreadNode{e})
			if p.is(tComma) {
				p.pos++
			}
			if !p.is(tRParen) {
				return nil, p.errf("expected closing parenthesis: ** must be applied to the final argument")
			}
			break
		}
		var arg node
		if spread {
			if sawSpread {
				return nil, p.errf("only one * argument unpacking is allowed")
			}
			sawSpread = true
			p.pos++
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			arg = &spreadNode{e}
		} else {
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			arg = e
			if p.is(tEquals) {
				p.pos++
				id, ok := e.(*identNode)
				if !ok {
					return nil, p.errf("expected identifier for keyword argument")
				}
				v, err := p.parseExpr()
				if err != nil {
					return nil, err
				}
				arg = &kwargNode{key: id.name, val: v}
			}
			if params {
				var name string
				switch a := arg.(type) {
				case *identNode:
					name = a.name
				case *kwargNode:
					name = a.key
				default:
					return nil, p.errf("expected identifier for parameter declaration")
				}
				if names[name] {
					return nil, p.errf("duplicate parameter name: %s", name)
				}
				names[name] = true
			}
			if _, ok := arg.(*kwargNode); ok {
				sawKw = true
			} else if sawKw {
				return nil, p.errf("positional argument follows keyword argument")
			} else if sawSpread {
				return nil, p.errf("positional arguments must not follow * argument unpacking")
			}
		}
		args = append(args, arg)
		if p.is(tComma) {
			p.pos++
		}
	}
	p.pos++ // )
	return args, nil
}

func (p *parser) parseMember(obj node) (node, error) {
	for p.is(tDot) || p.is(tLBracket) {
		computed := p.is(tLBracket)
		p.pos++
		var prop node
		var err error
		if computed {
			if prop, err = p.parseSubscript(); err != nil {
				return nil, err
			}
			if _, err := p.expect(tRBracket, "]"); err != nil {
				return nil, err
			}
		} else {
			if prop, err = p.parsePrimary(); err != nil {
				return nil, err
			}
			switch prop.(type) {
			case *identNode, *intNode:
			default:
				return nil, p.errf("expected identifier or integer following dot operator")
			}
		}
		obj = &memberNode{obj: obj, prop: prop, computed: computed}
	}
	return obj, nil
}

func (p *parser) parseSubscript() (node, error) {
	var parts []node
	isSlice := false
	for !p.is(tRBracket) {
		if p.pos >= len(p.toks) {
			return nil, p.errf("unexpected end of template in subscript")
		}
		if p.is(tColon) {
			parts = append(parts, nil)
			p.pos++
			isSlice = true
			continue
		}
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		parts = append(parts, e)
		if p.is(tColon) {
			p.pos++
			isSlice = true
		}
	}
	if len(parts) == 0 {
		return nil, p.errf("expected at least one argument for member/slice expression")
	}
	if isSlice {
		if len(parts) > 3 {
			return nil, p.errf("expected 0-3 arguments for slice expression")
		}
		s := &sliceNode{}
		for i, e := range parts {
			switch i {
			case 0:
				s.start = e
			case 1:
				s.stop = e
			case 2:
				s.step = e
			}
		}
		return s, nil
	}
	return parts[0], nil
}

func (p *parser) parsePrimary() (node, error) {
	if p.pos >= len(p.toks) {
		return nil, p.errf("unexpected end of template")
	}
	t := p.toks[p.pos]
	p.pos++
	switch t.typ {
	case tNumber:
		if strings.Contains(t.val, ".") {
			f, err := strconv.ParseFloat(t.val, 64)
			if err != nil {
				return nil, p.errf("bad number %q", t.val)
			}
			return &floatNode{f}, nil
		}
		i, err := strconv.ParseInt(t.val, 10, 64)
		if err != nil {
			f, _ := strconv.ParseFloat(t.val, 64)
			return &floatNode{f}, nil
		}
		return &intNode{i}, nil
	case tString:
		s := t.val
		for p.is(tString) {
			s += p.toks[p.pos].val
			p.pos++
		}
		return &stringNode{s}, nil
	case tIdent:
		return &identNode{t.val}, nil
	case tLParen:
		e, err := p.parseSequence(false)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, ")"); err != nil {
			return nil, err
		}
		return e, nil
	case tLBracket:
		var items []node
		for !p.is(tRBracket) {
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			items = append(items, e)
			if p.is(tComma) {
				p.pos++
			}
		}
		p.pos++
		return &listNode{items}, nil
	case tLBrace:
		d := &dictNode{}
		for !p.is(tRBrace) {
			k, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(tColon, ":"); err != nil {
				return nil, err
			}
			v, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			d.keys = append(d.keys, k)
			d.vals = append(d.vals, v)
			if p.is(tComma) {
				p.pos++
			}
		}
		p.pos++
		return d, nil
	}
	p.pos--
	return nil, p.errf("unexpected token %q", t.val)
}

// specialArgs reports which of varargs/kwargs a macro body reads without
// declaring them.
func specialArgs(params []node, body []node) map[string]bool {
	declared := map[string]bool{}
	accessed := map[string]bool{}
	declare := func(name string) {
		if name == "varargs" || name == "kwargs" {
			declared[name] = true
		}
	}
	var declareTarget func(n node)
	declareTarget = func(n node) {
		switch t := n.(type) {
		case *identNode:
			declare(t.name)
		case *tupleNode:
			for _, it := range t.items {
				declareTarget(it)
			}
		}
	}
	paramName := func(n node) string {
		switch a := n.(type) {
		case *identNode:
			return a.name
		case *kwargNode:
			return a.key
		}
		return ""
	}
	for _, prm := range params {
		declare(paramName(prm))
	}
	var visit func(n node)
	visitAll := func(ns []node) {
		for _, n := range ns {
			visit(n)
		}
	}
	visit = func(n node) {
		switch t := n.(type) {
		case nil:
		case *identNode:
			if (t.name == "varargs" || t.name == "kwargs") && !declared[t.name] {
				accessed[t.name] = true
			}
		case *forNode:
			declareTarget(t.target)
			visit(t.iter)
			visitAll(t.body)
			visitAll(t.alt)
		case *setNode:
			declareTarget(t.target)
			visit(t.value)
			visitAll(t.body)
		case *macroNode:
			for _, prm := range t.params {
				declare(paramName(prm))
			}
			for _, prm := range t.params {
				if kw, ok := prm.(*kwargNode); ok {
					visit(kw.val)
				}
			}
			visitAll(t.body)
		case *callStmtNode:
			visit(t.call)
			for _, prm := range t.params {
				declare(paramName(prm))
			}
			for _, prm := range t.params {
				if kw, ok := prm.(*kwargNode); ok {
					visit(kw.val)
				}
			}
			visitAll(t.body)
		case *filterStmtNode:
			visitAll(t.body)
			visit(t.filter)
		case *memberNode:
			visit(t.obj)
			if t.computed {
				visit(t.prop)
			}
		case *filterNode:
			visit(t.x)
			if c, ok := t.filter.(*callNode); ok {
				visitAll(c.args)
			}
		case *testNode:
			visit(t.x)
		case *selectNode:
			visit(t.test)
			visit(t.x)
		case *kwargNode:
			visit(t.val)
		case *ifNode:
			visit(t.test)
			visitAll(t.body)
			visitAll(t.alt)
		case *listNode:
			visitAll(t.items)
		case *tupleNode:
			visitAll(t.items)
		case *dictNode:
			visitAll(t.keys)
			visitAll(t.vals)
		case *binaryNode:
			visit(t.left)
			visit(t.right)
		case *unaryNode:
			visit(t.x)
		case *sliceNode:
			visit(t.start)
			visit(t.stop)
			visit(t.step)
		case *callNode:
			visit(t.callee)
			visitAll(t.args)
		case *spreadNode:
			visit(t.x)
		case *kwSpreadNode:
			visit(t.x)
		case *ternaryNode:
			visit(t.test)
			visit(t.yes)
			visit(t.no)
		}
	}
	visitAll(body)
	return accessed
}
