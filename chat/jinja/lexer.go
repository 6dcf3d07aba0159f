package jinja

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokType uint8

const (
	tText tokType = iota
	tNumber
	tString
	tIdent
	tEquals
	tLParen
	tRParen
	tOpenStmt
	tCloseStmt
	tOpenExpr
	tCloseExpr
	tLBracket
	tRBracket
	tLBrace
	tRBrace
	tComma
	tDot
	tColon
	tPipe
	tAdd // + - ~
	tMul // * / // %
	tPow // **
	tCmp // < > <= >= == !=
	tUnary
	tComment
)

type token struct {
	typ  tokType
	val  string
	line int
}

var (
	reLstrip     = regexp.MustCompile(`(?m)^[ \t]*(\{[#%-])`)
	reTrim       = regexp.MustCompile(`([#%-]\})\n`)
	reGeneration = regexp.MustCompile(`(?s)(\s*)\{%(-?)\s*(?:end)?generation\s*(-?)%\}(\s*)`)
)

// preprocess applies HF's environment: one trailing newline dropped,
// lstrip_blocks and trim_blocks, and the transformers {% generation %}
// tags removed.
//
// removed lists the offsets in the result where trim_blocks removed a
// newline, so that error messages can name lines of the source.
func preprocess(src string) (out string, removed []int) {
	src = strings.TrimSuffix(src, "\n")
	src = reLstrip.ReplaceAllString(src, "$1")
	var b strings.Builder
	last := 0
	for _, m := range reTrim.FindAllStringIndex(src, -1) {
		b.WriteString(src[last : m[1]-1])
		removed = append(removed, b.Len())
		last = m[1]
	}
	b.WriteString(src[last:])
	src = b.String()
	if !strings.Contains(src, "generation") {
		return src, removed
	}
	return reGeneration.ReplaceAllStringFunc(src, func(m string) string {
		g := reGeneration.FindStringSubmatch(m)
		out := ""
		if g[2] == "" {
			out += g[1]
		}
		if g[3] == "" {
			out += g[4]
		}
		return out
	}), removed
}

func isSpaceJS(r rune) bool { return unicode.IsSpace(r) || r == 0xfeff }

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// SyntaxError is a template syntax error.
type SyntaxError struct {
	Line int
	Msg  string
}

// Error returns the message, prefixed with the line when known.
func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

var mapping = []struct {
	seq string
	typ tokType
}{
	{"{%", tOpenStmt}, {"%}", tCloseStmt}, {"{{", tOpenExpr}, {"}}", tCloseExpr},
	{"(", tLParen}, {")", tRParen}, {"{", tLBrace}, {"}", tRBrace}, {"[", tLBracket}, {"]", tRBracket},
	{",", tComma}, {".", tDot}, {":", tColon}, {"|", tPipe},
	{"<=", tCmp}, {">=", tCmp}, {"==", tCmp}, {"!=", tCmp}, {"<", tCmp}, {">", tCmp},
	{"+", tAdd}, {"-", tAdd}, {"~", tAdd},
	{"**", tPow}, {"*", tMul}, {"//", tMul}, {"/", tMul}, {"%", tMul},
	{"=", tEquals},
}

var escapes = map[byte]string{'n': "\n", 't': "\t", 'r': "\r", 'b': "\b", 'f': "\f", 'v': "\v", '\'': "'", '"': "\"", '\\': "\\"}

// tokenize splits a (preprocessed) template into tokens.
func tokenize(src string, removed []int) ([]token, error) {
	var toks []token
	pos, line := 0, 1
	braceDepth := 0
	srcLine := func() int { return line + sort.SearchInts(removed, pos+1) }
	errf := func(format string, a ...any) error {
		return &SyntaxError{Line: srcLine(), Msg: fmt.Sprintf(format, a...)}
	}
	advance := func(n int) {
		line += strings.Count(src[pos:pos+n], "\n")
		pos += n
	}
	last := func() (tokType, bool) {
		if len(toks) == 0 {
			return 0, false
		}
		return toks[len(toks)-1].typ, true
	}
	push := func(t tokType, v string) { toks = append(toks, token{t, v, srcLine()}) }
	stripTrailing := func() {
		if n := len(toks); n > 0 && toks[n-1].typ == tText {
			toks[n-1].val = strings.TrimRightFunc(toks[n-1].val, isSpaceJS)
			if toks[n-1].val == "" {
				toks = toks[:n-1]
			}
		}
	}
	skipLeading := func() {
		for pos < len(src) {
			r, size := utf8.DecodeRuneInString(src[pos:])
			if !isSpaceJS(r) {
				break
			}
			advance(size)
		}
	}
	for pos < len(src) {
		lt, has := last()
		if !has || lt == tCloseStmt || lt == tCloseExpr || lt == tComment {
			end := pos
			for end < len(src) && !(src[end] == '{' && end+1 < len(src) && (src[end+1] == '%' || src[end+1] == '{' || src[end+1] == '#')) {
				end++
			}
			if end > pos {
				push(tText, src[pos:end])
				advance(end - pos)
				continue
			}
		}
		if strings.HasPrefix(src[pos:], "{#") {
			advance(2)
			stripBefore := pos < len(src) && src[pos] == '-'
			if stripBefore {
				advance(1)
			}
			end := strings.Index(src[pos:], "#}")
			if end < 0 {
				return nil, errf("missing end of comment tag")
			}
			comment := src[pos : pos+end]
			stripAfter := strings.HasSuffix(comment, "-")
			if stripBefore {
				stripTrailing()
			}
			push(tComment, comment)
			advance(end + 2)
			if stripAfter {
				skipLeading()
			}
			continue
		}
		if strings.HasPrefix(src[pos:], "{%-") {
			stripTrailing()
			push(tOpenStmt, "{%")
			advance(3)
			continue
		}
		if strings.HasPrefix(src[pos:], "{{-") {
			stripTrailing()
			push(tOpenExpr, "{{")
			braceDepth = 0
			advance(3)
			continue
		}
		skipLeading()
		if pos >= len(src) {
			break
		}
		if strings.HasPrefix(src[pos:], "-%}") {
			push(tCloseStmt, "%}")
			advance(3)
			skipLeading()
			continue
		}
		if strings.HasPrefix(src[pos:], "-}}") {
			push(tCloseExpr, "}}")
			advance(3)
			skipLeading()
			continue
		}
		c := src[pos]
		if c == '-' || c == '+' {
			lt, has := last()
			if !has || lt == tText {
				return nil, errf("unexpected character: %c", c)
			}
			switch lt {
			case tIdent, tNumber, tString, tRParen, tRBracket:
			default:
				advance(1)
				j := pos
				for j < len(src) && isDigit(src[j]) {
					j++
				}
				num := src[pos:j]
				if num != "" && j+1 < len(src) && src[j] == '.' && isDigit(src[j+1]) {
					k := j + 1
					for k < len(src) && isDigit(src[k]) {
						k++
					}
					num = src[pos:k]
				}
				if num != "" {
					push(tNumber, string(c)+num)
					advance(len(num))
				} else {
					push(tUnary, string(c))
				}
				continue
			}
		}
		matched := false
		for _, m := range mapping {
			if m.seq == "}}" && braceDepth > 0 {
				continue
			}
			if strings.HasPrefix(src[pos:], m.seq) {
				push(m.typ, m.seq)
				switch m.typ {
				case tOpenExpr:
					braceDepth = 0
				case tLBrace:
					braceDepth++
				case tRBrace:
					braceDepth--
				}
				advance(len(m.seq))
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		if c == '\'' || c == '"' {
			advance(1)
			var sb strings.Builder
			for {
				if pos >= len(src) {
					return nil, errf("unexpected end of input")
				}
				ch := src[pos]
				if ch == c {
					break
				}
				if ch == '\\' {
					if pos+1 >= len(src) {
						return nil, errf("unexpected end of input")
					}
					e := src[pos+1]
					if e == 'x' || e == 'u' {
						n := 2
						if e == 'u' {
							n = 4
						}
						if pos+2+n > len(src) {
							return nil, errf("invalid hexadecimal escape sequence")
						}
						h, err := strconv.ParseUint(src[pos+2:pos+2+n], 16, 32)
						if err != nil || strings.ContainsAny(src[pos+2:pos+2+n], "+-") {
							return nil, errf("invalid hexadecimal escape sequence: \\%c%s", e, src[pos+2:pos+2+n])
						}
						sb.WriteRune(rune(h))
						advance(2 + n)
						continue
					}
					u, ok := escapes[e]
					if !ok {
						return nil, errf("unexpected escaped character: %c", e)
					}
					sb.WriteString(u)
					advance(2)
					continue
				}
				sb.WriteByte(ch)
				advance(1)
				if pos >= len(src) {
					return nil, errf("unexpected end of input")
				}
			}
			push(tString, sb.String())
			advance(1)
			continue
		}
		if isDigit(c) {
			j := pos
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			lt, _ := last()
			if lt != tDot && j+1 < len(src) && src[j] == '.' && isDigit(src[j+1]) {
				j++
				for j < len(src) && isDigit(src[j]) {
					j++
				}
			}
			push(tNumber, src[pos:j])
			advance(j - pos)
			continue
		}
		if isWordByte(c) {
			j := pos
			for j < len(src) && isWordByte(src[j]) {
				j++
			}
			push(tIdent, src[pos:j])
			advance(j - pos)
			continue
		}
		r, _ := utf8.DecodeRuneInString(src[pos:])
		return nil, errf("unexpected character: %q", r)
	}
	return toks, nil
}
