package chat

import (
	"fmt"
	"strings"
)

// hidden prefixes the names of the helpers instrument inserts.
const hidden = "__llmpipe_"

// instrument rewrites a template so that rendering it is bounded and HF's
// tojson is used:
//
//   - each for-loop body starts with {{ __llmpipe_step() }} (one step per
//     iteration);
//   - each macro body starts with {{ __llmpipe_enter() }} and ends with
//     {{ __llmpipe_leave() }} (call depth);
//   - the filter name tojson becomes __llmpipe_tojson (the engine looks up a
//     name it does not define among the variables).
//
// The inserted tags are expressions printing "", which leave whitespace
// control untouched: trim_blocks, lstrip_blocks and "-" markers act on the
// nearest text, skipping other tags. Text inside {% raw %} is not touched,
// and no newline is added, so line numbers in errors stay right.
//
// instrument also checks that block tags are balanced and returns, as diag,
// an error naming the line of an unclosed or mismatched block: the engine's
// own messages lack it, so callers report diag when the engine rejects the
// template. When a tag is never closed, instrument returns src unchanged.
func instrument(src string) (out string, diag error) {
	var b strings.Builder
	b.Grow(len(src) + len(src)/8)
	type open struct {
		kw   string
		line int
	}
	var stack []open
	raw := false
	last := 0 // src[last:] is not yet copied
	line := 1
	countLines := func(from, to int) { line += strings.Count(src[from:to], "\n") }
	i := 0
	for i < len(src) {
		j := strings.IndexByte(src[i:], '{')
		if j < 0 || i+j+1 >= len(src) {
			break
		}
		countLines(i, i+j)
		i += j
		var closer string
		switch src[i+1] {
		case '{':
			closer = "}}"
		case '%':
			closer = "%}"
		case '#':
			closer = "#}"
		default:
			i++
			continue
		}
		tagStart, tagLine := i, line
		k := i + 2
		if k < len(src) && src[k] == '-' {
			k++
		}
		contentStart := k
		end := -1 // index just past the closer
		contentEnd := -1
		for k < len(src) {
			c := src[k]
			if closer != "#}" && (c == '\'' || c == '"') {
				k++
				for k < len(src) && src[k] != c {
					if src[k] == '\\' && k+1 < len(src) {
						k++
					}
					k++
				}
				k++
				continue
			}
			if c == '-' && k+2 < len(src) && src[k+1] == closer[0] && src[k+2] == closer[1] {
				contentEnd, end = k, k+3
				break
			}
			if c == closer[0] && k+1 < len(src) && src[k+1] == closer[1] {
				contentEnd, end = k, k+2
				break
			}
			k++
		}
		if end < 0 {
			return src, fmt.Errorf("line %d: unclosed tag %q", tagLine, src[tagStart:tagStart+2])
		}
		content := src[contentStart:contentEnd]
		kw := keyword(content)
		if raw {
			if closer == "%}" && kw == "endraw" {
				raw = false
				stack = stack[:len(stack)-1]
			}
			countLines(tagStart, end)
			i = end
			continue
		}
		switch closer {
		case "}}", "%}":
			if closer == "%}" && kw == "endmacro" {
				b.WriteString(src[last:tagStart])
				b.WriteString("{{ " + hidden + "leave() }}")
				last = tagStart
			}
			// Rename the tojson filter inside the tag.
			newContent := content
			if idx := tojsonFilters(content); len(idx) > 0 {
				var nb strings.Builder
				prev := 0
				for _, p := range idx {
					nb.WriteString(content[prev:p])
					nb.WriteString(hidden)
					prev = p
				}
				nb.WriteString(content[prev:])
				newContent = nb.String()
			}
			if closer == "%}" && kw == "for" {
				newContent = rewriteFor(newContent)
			}
			if newContent != content {
				b.WriteString(src[last:contentStart])
				b.WriteString(newContent)
				last = contentEnd
			}
		}
		if closer == "%}" {
			switch kw {
			case "for", "if", "macro", "call", "filter", "set", "raw", "generation":
				// {% set x %}…{% endset %} is a block; {% set x = … %} is not.
				if kw != "set" || !strings.Contains(content, "=") {
					stack = append(stack, open{kw, tagLine})
				}
				if kw == "raw" {
					raw = true
				}
			case "endfor", "endif", "endmacro", "endcall", "endfilter", "endset", "endgeneration":
				want := strings.TrimPrefix(kw, "end")
				switch {
				case diag != nil:
				case len(stack) == 0:
					diag = fmt.Errorf("line %d: {%% %s %%} without an open %s block", tagLine, kw, want)
				case stack[len(stack)-1].kw != want:
					top := stack[len(stack)-1]
					diag = fmt.Errorf("line %d: {%% %s %%} closes the %s block opened on line %d", tagLine, kw, top.kw, top.line)
				default:
					stack = stack[:len(stack)-1]
				}
			}
		}
		b.WriteString(src[last:end])
		last = end
		if closer == "%}" && !raw {
			switch kw {
			case "for":
				b.WriteString("{{ " + hidden + "step() }}")
			case "macro":
				b.WriteString("{{ " + hidden + "enter() }}")
			}
		}
		countLines(tagStart, end)
		i = end
	}
	if len(stack) > 0 && diag == nil {
		top := stack[len(stack)-1]
		diag = fmt.Errorf("line %d: unclosed %s block", top.line, top.kw)
	}
	b.WriteString(src[last:])
	return b.String(), diag
}

// keyword is the first word of a tag's content, as the engine reads it.
func keyword(content string) string {
	s := strings.TrimSpace(content)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80) {
			return s[:i]
		}
	}
	return s
}

// tojsonFilters returns the offsets in a tag's content of each filter name
// "tojson" (after a "|", outside string literals).
func tojsonFilters(content string) []int {
	var idx []int
	for i := 0; i < len(content); i++ {
		c := content[i]
		switch c {
		case '\'', '"':
			i++
			for i < len(content) && content[i] != c {
				if content[i] == '\\' {
					i++
				}
				i++
			}
		case '|':
			j := i + 1
			for j < len(content) && (content[j] == ' ' || content[j] == '\t' || content[j] == '\n' || content[j] == '\r') {
				j++
			}
			if strings.HasPrefix(content[j:], "tojson") && (j+6 == len(content) || !isIdent(content[j+6])) {
				idx = append(idx, j)
			}
		}
	}
	return idx
}

func isIdent(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// exprToken is a token of a tag's content as rewriteFor sees it.
type exprToken struct {
	start, end int
	ident      bool // a name (identifier or keyword)
	depth      int  // bracket depth at the token
	afterDot   bool // the name follows a "." (an attribute)
}

// scanTokens splits a tag's content into names, string literals and single
// other characters (whitespace skipped), tracking bracket depth.
func scanTokens(s string) []exprToken {
	var toks []exprToken
	depth := 0
	prevDot := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			toks = append(toks, exprToken{start: i, end: j, depth: depth})
			i = j
			prevDot = false
			continue
		case isIdent(c) && !(c >= '0' && c <= '9') || c >= 0x80:
			j := i
			for j < len(s) && (isIdent(s[j]) || s[j] >= 0x80) {
				j++
			}
			toks = append(toks, exprToken{start: i, end: j, ident: true, depth: depth, afterDot: prevDot})
			i = j
			prevDot = false
			continue
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && (isIdent(s[j]) || s[j] == '.') {
				j++
			}
			toks = append(toks, exprToken{start: i, end: j, depth: depth})
			i = j
			prevDot = false
			continue
		}
		switch c {
		case '(', '[', '{':
			toks = append(toks, exprToken{start: i, end: i + 1, depth: depth})
			depth++
		case ')', ']', '}':
			depth--
			toks = append(toks, exprToken{start: i, end: i + 1, depth: depth})
		default:
			toks = append(toks, exprToken{start: i, end: i + 1, depth: depth})
		}
		prevDot = c == '.'
		i++
	}
	return toks
}

// rewriteFor rewrites a for tag's content ("for TARGETS in ITER [if COND]
// [recursive]", without delimiters) to fix two engine behaviours:
//
//   - ITER is wrapped in __llmpipe_iter(...), which fails on none, numbers
//     and booleans as Python does ("'NoneType' object is not iterable";
//     @huggingface/jinja fails too) instead of looping zero times;
//   - with two targets and a filter ("for k, v in d|items if k != 'x'"),
//     the engine binds only the last target, to the whole pair, while it
//     evaluates COND, so the names of the targets in COND are replaced by
//     indexing that pair (k -> v[0], v -> v[1]).
//
// Content it does not understand is returned unchanged.
func rewriteFor(content string) string {
	toks := scanTokens(content)
	if len(toks) < 4 || content[toks[0].start:toks[0].end] != "for" {
		return content
	}
	inAt := -1
	var targets []string
	for i := 1; i < len(toks); i++ {
		t := toks[i]
		word := content[t.start:t.end]
		if t.ident && t.depth == 0 && word == "in" {
			inAt = i
			break
		}
		if t.ident {
			targets = append(targets, word)
		} else if word != "," && word != "(" && word != ")" {
			return content
		}
	}
	if inAt < 0 || inAt+1 >= len(toks) || len(targets) == 0 {
		return content
	}
	iterStart := toks[inAt+1].start
	iterEnd := len(content)
	ifAt := -1
	for i := inAt + 1; i < len(toks); i++ {
		t := toks[i]
		if t.ident && t.depth == 0 && !t.afterDot {
			w := content[t.start:t.end]
			if (w == "if" || w == "recursive") && i > inAt+1 {
				iterEnd = t.start
				if w == "if" {
					ifAt = i
				}
				break
			}
		}
	}
	for _, t := range toks[inAt+1:] {
		if t.start >= iterEnd {
			break
		}
		if t.depth == 0 && content[t.start:t.end] == "," {
			return content // a bare tuple: leave it to the engine
		}
	}
	iter := strings.TrimRight(content[iterStart:iterEnd], " \t\r\n")
	var b strings.Builder
	b.WriteString(content[:iterStart])
	b.WriteString(hidden + "iter(" + iter + ")")
	b.WriteString(content[iterStart+len(iter) : iterEnd])
	rest := content[iterEnd:]
	if ifAt >= 0 && len(targets) == 2 {
		pair := targets[1]
		var rb strings.Builder
		prev := iterEnd
		for _, t := range toks[ifAt+1:] {
			if !t.ident || t.afterDot {
				continue
			}
			w := content[t.start:t.end]
			var repl string
			switch w {
			case targets[0]:
				repl = pair + "[0]"
			case targets[1]:
				repl = pair + "[1]"
			default:
				continue
			}
			// Keep keyword-argument names (name=...) as they are.
			if k := strings.TrimLeft(content[t.end:], " \t\r\n"); strings.HasPrefix(k, "=") && !strings.HasPrefix(k, "==") {
				continue
			}
			rb.WriteString(content[prev:t.start])
			rb.WriteString(repl)
			prev = t.end
		}
		rb.WriteString(content[prev:])
		rest = rb.String()
	}
	b.WriteString(rest)
	return b.String()
}
