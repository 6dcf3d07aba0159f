package grammar

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// regexToGBNF converts an anchored ^…$ regular expression over the string
// value to a GBNF expression over its JSON text (see FromJSONSchema).
func regexToGBNF(re string) (string, error) {
	if !strings.HasPrefix(re, "^") || !strings.HasSuffix(re, "$") || strings.HasSuffix(re, `\$`) {
		return "", fmt.Errorf("pattern %q must be anchored with ^ and $ (an unanchored pattern matches anywhere, which is not supported)", re)
	}
	p := &reParser{src: re[1 : len(re)-1]}
	out, err := p.alt()
	if err != nil {
		return "", fmt.Errorf("pattern %q: %w", re, err)
	}
	if p.pos < len(p.src) {
		return "", fmt.Errorf("pattern %q: unexpected %q at offset %d", re, p.src[p.pos], p.pos+1)
	}
	return "(" + out + ")", nil
}

type reParser struct {
	src string
	pos int
}

// jsonForbidden are the characters a JSON string cannot hold unescaped.
var jsonForbidden = []rng{{0, 0x1F}, {'"', '"'}, {'\\', '\\'}}

func (p *reParser) alt() (string, error) {
	var alts []string
	for {
		s, err := p.seq()
		if err != nil {
			return "", err
		}
		if s == "" {
			s = `""`
		}
		alts = append(alts, s)
		if p.pos < len(p.src) && p.src[p.pos] == '|' {
			p.pos++
			continue
		}
		return strings.Join(alts, " | "), nil
	}
}

func (p *reParser) seq() (string, error) {
	var items []string
	for p.pos < len(p.src) && p.src[p.pos] != '|' && p.src[p.pos] != ')' {
		atom, err := p.atom()
		if err != nil {
			return "", err
		}
		q, err := p.quant()
		if err != nil {
			return "", err
		}
		items = append(items, atom+q)
	}
	return strings.Join(items, " "), nil
}

func (p *reParser) quant() (string, error) {
	if p.pos >= len(p.src) {
		return "", nil
	}
	var q string
	switch c := p.src[p.pos]; c {
	case '*', '+', '?':
		p.pos++
		q = string(c)
	case '{':
		end := strings.IndexByte(p.src[p.pos:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated {")
		}
		body := p.src[p.pos+1 : p.pos+end]
		lo, hi, comma := body, "", false
		if i := strings.IndexByte(body, ','); i >= 0 {
			lo, hi, comma = body[:i], body[i+1:], true
		}
		for _, s := range []string{lo, hi} {
			if s == "" {
				continue
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n > MaxRepeat {
				return "", fmt.Errorf("bad repetition {%s}", body)
			}
		}
		if lo == "" {
			lo = "0"
		}
		p.pos += end + 1
		switch {
		case !comma:
			q = "{" + lo + "}"
		case hi == "":
			q = "{" + lo + ",}"
		default:
			q = "{" + lo + "," + hi + "}"
		}
	default:
		return "", nil
	}
	if p.pos < len(p.src) && p.src[p.pos] == '?' { // lazy: same language
		p.pos++
	}
	return q, nil
}

// classEscape returns the ranges of \d \w \s and their negations.
func classEscape(c byte) ([]rng, bool, bool) {
	switch c {
	case 'd', 'D':
		return []rng{{'0', '9'}}, c == 'D', true
	case 'w', 'W':
		return []rng{{'a', 'z'}, {'A', 'Z'}, {'0', '9'}, {'_', '_'}}, c == 'W', true
	case 's', 'S':
		return []rng{{' ', ' '}, {'\t', '\r'}}, c == 'S', true
	}
	return nil, false, false
}

// escapedChar reads the character of an escape other than a class escape.
func (p *reParser) escapedChar() (rune, error) {
	if p.pos >= len(p.src) {
		return 0, fmt.Errorf("pattern ends with \\")
	}
	c := p.src[p.pos]
	p.pos++
	switch c {
	case 'n':
		return '\n', nil
	case 't':
		return '\t', nil
	case 'r':
		return '\r', nil
	case 'f':
		return '\f', nil
	case 'v':
		return '\v', nil
	case 'u':
		if p.pos+4 > len(p.src) {
			return 0, fmt.Errorf("\\u needs 4 hex digits")
		}
		v, err := strconv.ParseUint(p.src[p.pos:p.pos+4], 16, 32)
		if err != nil {
			return 0, fmt.Errorf("\\u needs 4 hex digits")
		}
		p.pos += 4
		return rune(v), nil
	}
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return 0, fmt.Errorf("escape \\%c is not supported", c)
	}
	return rune(c), nil
}

// class renders a set of value characters as a GBNF class over JSON text
// (characters that would need escaping are left out).
func class(rs []rng, neg bool) string {
	set := newCharSet(rs, neg)
	allowed := newCharSet(jsonForbidden, true)
	var out []rng
	for _, a := range set.ranges {
		for _, b := range allowed.ranges {
			lo, hi := max(a.lo, b.lo), min(a.hi, b.hi)
			if lo <= hi {
				out = append(out, rng{lo, hi})
			}
		}
	}
	if len(out) == 0 {
		return "[^\\x00-\\U0010FFFF]" // matches nothing
	}
	cs := newCharSet(out, false)
	return cs.gbnf()
}

func (p *reParser) atom() (string, error) {
	c := p.src[p.pos]
	switch c {
	case '(':
		p.pos++
		if strings.HasPrefix(p.src[p.pos:], "?:") {
			p.pos += 2
		} else if strings.HasPrefix(p.src[p.pos:], "?") {
			return "", fmt.Errorf("group construct (%s is not supported", p.src[p.pos:min(len(p.src), p.pos+2)])
		}
		inner, err := p.alt()
		if err != nil {
			return "", err
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ')' {
			return "", fmt.Errorf("missing )")
		}
		p.pos++
		return "(" + inner + ")", nil
	case '[':
		p.pos++
		neg := false
		if p.pos < len(p.src) && p.src[p.pos] == '^' {
			neg = true
			p.pos++
		}
		var rs []rng
		first := true
		for {
			if p.pos >= len(p.src) {
				return "", fmt.Errorf("unterminated [")
			}
			if p.src[p.pos] == ']' && !first {
				p.pos++
				break
			}
			first = false
			var lo rune
			if p.src[p.pos] == '\\' {
				p.pos++
				if p.pos < len(p.src) {
					if cr, cneg, ok := classEscape(p.src[p.pos]); ok {
						p.pos++
						if cneg {
							rs = append(rs, newCharSet(cr, true).ranges...)
						} else {
							rs = append(rs, cr...)
						}
						continue
					}
				}
				r, err := p.escapedChar()
				if err != nil {
					return "", err
				}
				lo = r
			} else {
				r, n := utf8.DecodeRuneInString(p.src[p.pos:])
				p.pos += n
				lo = r
			}
			hi := lo
			if p.pos+1 < len(p.src) && p.src[p.pos] == '-' && p.src[p.pos+1] != ']' {
				p.pos++
				if p.src[p.pos] == '\\' {
					p.pos++
					r, err := p.escapedChar()
					if err != nil {
						return "", err
					}
					hi = r
				} else {
					r, n := utf8.DecodeRuneInString(p.src[p.pos:])
					p.pos += n
					hi = r
				}
				if hi < lo {
					return "", fmt.Errorf("reversed range in class")
				}
			}
			rs = append(rs, rng{lo, hi})
		}
		return class(rs, neg), nil
	case '.':
		p.pos++
		return class([]rng{{'\n', '\n'}}, true), nil
	case '\\':
		p.pos++
		if p.pos < len(p.src) {
			if cr, cneg, ok := classEscape(p.src[p.pos]); ok {
				p.pos++
				return class(cr, cneg), nil
			}
		}
		r, err := p.escapedChar()
		if err != nil {
			return "", err
		}
		return charLiteral(r), nil
	case '*', '+', '?', '{':
		return "", fmt.Errorf("quantifier %q with nothing to repeat", c)
	case '^', '$':
		return "", fmt.Errorf("anchor %q inside the pattern is not supported", c)
	}
	r, n := utf8.DecodeRuneInString(p.src[p.pos:])
	p.pos += n
	return charLiteral(r), nil
}

// charLiteral is value character r as its JSON text, as a GBNF literal.
func charLiteral(r rune) string {
	js := jsonString(string(r))
	return literal(js[1 : len(js)-1])
}
