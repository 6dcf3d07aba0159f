package server

import (
	"encoding/json"
	"strings"

	"github.com/llmpipe/llmpipe/generate"
)

// Tool-call tags of the Hermes format (Qwen's and Hermes' templates).
const (
	toolOpen  = "<tool_call>"
	toolClose = "</tool_call>"
)

// toolDelta is one piece of a streamed chat choice: content text, or one
// element of delta.tool_calls.
type toolDelta struct {
	content string
	call    map[string]any
}

// toolStreamer turns a chat choice's text, as it is generated, into
// content and tool-call deltas the way OpenAI streams them: text outside
// <tool_call>…</tool_call> is content; a call's text is held back until its
// name is known, then it is sent as {index, id, type: "function",
// function: {name, arguments: ""}} followed by {index, function:
// {arguments: fragment}} deltas as the arguments' text arrives. The
// fragments join to the arguments parseToolCalls finds in the whole text (a
// JSON value's text as written; a JSON string's contents, sent once the
// string ends; "{}" when there are none). A call whose text is not JSON
// with a string name turns it and everything after into content, as
// parseToolCalls does; one found malformed only after its name was sent
// stays a call. Content's trailing white space is held until more content
// follows, and dropped at the end of a choice that made a call (whose
// non-streamed content is trimmed; a streamed content's leading white space
// cannot wait for that and stays).
type toolStreamer struct {
	state   int    // tsText, tsCall or tsPlain
	pending string // text not yet sent nor classified
	space   string // content's trailing white space, held: dropped at the end when a call was made
	calls   int    // calls whose header was sent

	// the current call
	body     string // text after <tool_call>
	header   bool   // the header delta was sent
	argsSent int    // bytes of the arguments' text sent (raw values)
	anyArgs  bool   // an arguments fragment was sent
	broken   bool   // a call whose header was sent turned out malformed (cut off at max_tokens, say)
}

const (
	tsText  = iota // outside calls
	tsCall         // inside <tool_call>
	tsPlain        // after a malformed call: all content
)

// push takes the next generated text and returns the deltas it completes.
func (t *toolStreamer) push(text string) []toolDelta {
	t.pending += text
	var out []toolDelta
	for {
		switch t.state {
		case tsPlain:
			out = t.content(out, t.pending)
			t.pending = ""
			return out
		case tsText:
			if i := strings.Index(t.pending, toolOpen); i >= 0 {
				out = t.content(out, t.pending[:i])
				t.pending = t.pending[i+len(toolOpen):]
				t.state, t.body, t.header, t.argsSent, t.anyArgs = tsCall, "", false, 0, false
				continue
			}
			n := len(t.pending) - generate.HeldBack(t.pending, toolOpen)
			out = t.content(out, t.pending[:n])
			t.pending = t.pending[n:]
			return out
		case tsCall:
			t.body += t.pending
			t.pending = ""
			j := strings.Index(t.body, toolClose)
			if j < 0 {
				return t.callDeltas(out, t.body[:len(t.body)-generate.HeldBack(t.body, toolClose)], false)
			}
			rest := t.body[j+len(toolClose):]
			if out = t.callDeltas(out, t.body[:j], true); t.state == tsPlain {
				continue // the call's text and all after it went out as content
			}
			t.state, t.pending = tsText, rest
		}
	}
}

// finish returns the deltas of the text still held at the end of the choice.
func (t *toolStreamer) finish() []toolDelta {
	var out []toolDelta
	if t.state == tsCall {
		// a call cut off without its end tag (parseToolCalls reads to the end)
		out = t.callDeltas(out, t.body, true)
	} else {
		out = t.content(out, t.pending)
	}
	if t.space != "" && t.calls == 0 {
		out = append(out, toolDelta{content: t.space})
	}
	t.pending, t.space = "", ""
	t.state = tsPlain
	return out
}

// callDeltas sends what the call text avail (all of it held back so far)
// now allows: the header once the name is known, then the arguments' new
// text. With end set, avail is the call's whole text: a call without a
// header becomes content, and one without arguments gets "{}".
func (t *toolStreamer) callDeltas(out []toolDelta, avail string, end bool) []toolDelta {
	sc := scanCall(avail, end)
	if sc.bad && !t.header {
		// not a call: it and everything after are content
		out = t.content(out, toolOpen+t.body)
		t.state, t.body, t.pending = tsPlain, "", ""
		return out
	}
	if !t.header && sc.nameDone && sc.name != "" {
		t.header = true
		out = append(out, toolDelta{call: map[string]any{"index": t.calls, "id": newID("call_"), "type": "function",
			"function": map[string]any{"name": sc.name, "arguments": ""}}})
		t.calls++
	}
	if t.header && sc.argsStart >= 0 {
		var frag string
		switch {
		case sc.argsString:
			if sc.argsEnd >= 0 && t.argsSent == 0 {
				var s string
				if json.Unmarshal([]byte(avail[sc.argsStart:sc.argsEnd]), &s) == nil {
					frag = s
				}
				t.argsSent = sc.argsEnd - sc.argsStart
			}
		case sc.argsEnd >= 0:
			if frag = avail[sc.argsStart+t.argsSent : sc.argsEnd]; frag == "null" && t.argsSent == 0 {
				frag = "" // parseToolCalls reads null as no arguments
			}
			t.argsSent = sc.argsEnd - sc.argsStart
		case sc.argsComposite:
			frag = avail[sc.argsStart+t.argsSent:]
			t.argsSent = len(avail) - sc.argsStart
		}
		if frag != "" {
			t.anyArgs = true
			out = append(out, toolDelta{call: map[string]any{"index": t.calls - 1, "function": map[string]any{"arguments": frag}}})
		}
	}
	if end {
		if !t.header {
			out = t.content(out, toolOpen+t.body)
			t.state, t.body, t.pending = tsPlain, "", ""
			return out
		}
		if sc.bad {
			t.broken = true
		}
		if !t.anyArgs && !sc.bad {
			out = append(out, toolDelta{call: map[string]any{"index": t.calls - 1, "function": map[string]any{"arguments": "{}"}}})
		}
	}
	return out
}

// content appends content s, holding back its trailing white space.
func (t *toolStreamer) content(out []toolDelta, s string) []toolDelta {
	if s == "" {
		return out
	}
	s = t.space + s
	body := strings.TrimRight(s, " \t\r\n")
	t.space = s[len(body):]
	if body == "" {
		return out
	}
	return append(out, toolDelta{content: body})
}

// callScan is what scanCall found in a call's text so far.
type callScan struct {
	bad           bool   // not a JSON object with a string name (or not one yet, at the end)
	name          string // the name, when nameDone
	nameDone      bool
	argsStart     int  // the offset of the arguments' value, or -1
	argsEnd       int  // the offset just past it, or -1 while it is incomplete
	argsString    bool // the value is a JSON string
	argsComposite bool // the value is an object or array (its text so far can be sent)
}

// scanCall reads a call's text {"name": …, "arguments": …} as far as it
// goes; with end set the text is complete.
func scanCall(s string, end bool) callScan {
	sc := callScan{argsStart: -1, argsEnd: -1}
	i := skipSpace(s, 0)
	if i == len(s) {
		sc.bad = end
		return sc
	}
	if s[i] != '{' {
		sc.bad = true
		return sc
	}
	i++
	for first := true; ; first = false {
		i = skipSpace(s, i)
		if i == len(s) {
			sc.bad = end
			return sc
		}
		if s[i] == '}' {
			if skipSpace(s, i+1) != len(s) || !sc.nameDone || sc.name == "" {
				sc.bad = true
			}
			return sc
		}
		if !first {
			if s[i] != ',' {
				sc.bad = true
				return sc
			}
			if i = skipSpace(s, i+1); i == len(s) {
				sc.bad = end
				return sc
			}
		}
		if s[i] != '"' {
			sc.bad = true
			return sc
		}
		ke, ok := scanValue(s, i, end)
		if !ok {
			sc.bad = true
			return sc
		}
		if ke < 0 {
			sc.bad = end
			return sc
		}
		var key string
		if json.Unmarshal([]byte(s[i:ke]), &key) != nil {
			sc.bad = true
			return sc
		}
		i = skipSpace(s, ke)
		if i == len(s) {
			sc.bad = end
			return sc
		}
		if s[i] != ':' {
			sc.bad = true
			return sc
		}
		v := skipSpace(s, i+1)
		if v == len(s) {
			sc.bad = end
			return sc
		}
		ve, ok := scanValue(s, v, end)
		if !ok || (key == "name" && s[v] != '"') {
			sc.bad = true
			return sc
		}
		switch key {
		case "name":
			if ve >= 0 {
				if json.Unmarshal([]byte(s[v:ve]), &sc.name) != nil {
					sc.bad = true
					return sc
				}
				sc.nameDone = true
			}
		case "arguments":
			sc.argsStart, sc.argsEnd = v, ve
			sc.argsString = s[v] == '"'
			sc.argsComposite = s[v] == '{' || s[v] == '['
		}
		if ve < 0 {
			sc.bad = end
			return sc
		}
		i = ve
	}
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// scanValue finds the end of the JSON value starting at s[i]: its end
// offset, or -1 when s ends inside it; ok is false when the text cannot be
// JSON. Brackets must match and strings end; the rest is checked by
// json.Valid on complete strings and primitives only.
func scanValue(s string, i int, end bool) (int, bool) {
	switch c := s[i]; {
	case c == '"':
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
			case '"':
				return j + 1, json.Valid([]byte(s[i : j+1]))
			}
		}
		return -1, true
	case c == '{' || c == '[':
		var stack []byte
		inStr := false
		for j := i; j < len(s); j++ {
			b := s[j]
			if inStr {
				switch b {
				case '\\':
					j++
				case '"':
					inStr = false
				}
				continue
			}
			switch b {
			case '"':
				inStr = true
			case '{':
				stack = append(stack, '}')
			case '[':
				stack = append(stack, ']')
			case '}', ']':
				if len(stack) == 0 || stack[len(stack)-1] != b {
					return 0, false
				}
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return j + 1, json.Valid([]byte(s[i : j+1]))
				}
			}
		}
		return -1, true
	default:
		j := i
		for j < len(s) && strings.IndexByte("+-.0123456789eEtruefalsn", s[j]) >= 0 {
			j++
		}
		if j == len(s) && !end {
			return -1, true
		}
		return j, j > i && json.Valid([]byte(s[i:j]))
	}
}
