package hf

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// decoder is one step of HF's decode_chain: tokens in, tokens out.
type decoder interface {
	decodeChain(toks []string) []string
}

type decSeq []decoder

func (d decSeq) decodeChain(t []string) []string {
	for _, x := range d {
		t = x.decodeChain(t)
	}
	return t
}

type byteLevelDec struct{}

func (byteLevelDec) decodeChain(toks []string) []string {
	var buf []byte
	for _, t := range toks {
		if raw, ok := tokenizer.ByteLevelToBytes(t); ok {
			buf = append(buf, raw...)
		} else {
			buf = append(buf, t...)
		}
	}
	return []string{tokenizer.ValidUTF8(buf)}
}

type metaspaceDec struct {
	repl    string
	prepend bool // prepend_scheme != never
}

func (d metaspaceDec) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		if i == 0 && d.prepend {
			out[i] = strings.ReplaceAll(t, d.repl, "")
		} else {
			out[i] = strings.ReplaceAll(t, d.repl, " ")
		}
	}
	return out
}

type wordPieceDec struct {
	prefix  string
	cleanup bool
}

// cleanupText is wordpiece::cleanup.
func cleanupText(s string) string {
	for _, r := range [][2]string{{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
		{" n't", "n't"}, {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return s
}

func (d wordPieceDec) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		if i != 0 {
			if rest, ok := strings.CutPrefix(t, d.prefix); ok {
				t = rest
			} else {
				t = " " + t
			}
		}
		if d.cleanup {
			t = cleanupText(t)
		}
		out[i] = t
	}
	return out
}

type byteFallbackDec struct{}

func (byteFallbackDec) decodeChain(toks []string) []string {
	var out []string
	var pend []byte
	flush := func() {
		if len(pend) == 0 {
			return
		}
		if utf8.Valid(pend) {
			out = append(out, string(pend))
		} else {
			for range pend {
				out = append(out, "\uFFFD")
			}
		}
		pend = pend[:0]
	}
	for _, t := range toks {
		if len(t) == 6 && strings.HasPrefix(t, "<0x") && t[5] == '>' {
			if v, err := strconv.ParseUint(t[3:5], 16, 8); err == nil {
				pend = append(pend, byte(v))
				continue
			}
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

type fuseDec struct{}

func (fuseDec) decodeChain(toks []string) []string { return []string{strings.Join(toks, "")} }

type stripDec struct {
	content     rune
	start, stop int
}

func (d stripDec) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		rs := []rune(t)
		a := 0
		for k := 0; k < d.start && k < len(rs); k++ {
			if rs[k] != d.content {
				break
			}
			a = k + 1
		}
		b := len(rs)
		for k := 0; k < d.stop; k++ {
			idx := len(rs) - k - 1
			if idx < 0 || rs[idx] != d.content {
				break
			}
			b = idx
		}
		if b < a {
			b = a
		}
		out[i] = string(rs[a:b])
	}
	return out
}

type replaceDec struct{ r replaceNorm }

func (d replaceDec) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = d.r.normalize(t)
	}
	return out
}

type bpeDec struct{ suffix string }

func (d bpeDec) decodeChain(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		repl := " "
		if i == len(toks)-1 {
			repl = ""
		}
		if d.suffix == "" {
			out[i] = t
			continue
		}
		out[i] = strings.ReplaceAll(t, d.suffix, repl)
	}
	return out
}

type ctcDec struct {
	pad, delim string
	cleanup    bool
}

func (d ctcDec) decodeChain(toks []string) []string {
	var out []string
	for i, t := range toks {
		if i > 0 && toks[i-1] == t {
			continue
		}
		if d.pad != "" {
			t = strings.ReplaceAll(t, d.pad, "")
		}
		if d.cleanup {
			t = cleanupText(t)
			if d.delim != "" {
				t = strings.ReplaceAll(t, d.delim, " ")
			}
		}
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

type decJSON struct {
	Type          string            `json:"type"`
	Decoders      []json.RawMessage `json:"decoders"`
	Replacement   *string           `json:"replacement"`
	PrependScheme *string           `json:"prepend_scheme"`
	AddPrefix     *bool             `json:"add_prefix_space"`
	Prefix        *string           `json:"prefix"`
	Cleanup       *bool             `json:"cleanup"`
	Content       *string           `json:"content"`
	Start         int               `json:"start"`
	Stop          int               `json:"stop"`
	Pattern       *patternJSON      `json:"pattern"`
	Suffix        *string           `json:"suffix"`
	PadToken      *string           `json:"pad_token"`
	WordDelimiter *string           `json:"word_delimiter_token"`
}

func strDef(p *string, d string) string {
	if p == nil {
		return d
	}
	return *p
}

// parseDecoder builds a decoder; JSON null gives nil.
func parseDecoder(raw json.RawMessage, path string) (decoder, error) {
	if isNull(raw) {
		return nil, nil
	}
	var j decJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, errAt(path, "%v", err)
	}
	switch j.Type {
	case "Sequence":
		var seq decSeq
		for i, r := range j.Decoders {
			d, err := parseDecoder(r, indexPath(path+".decoders", i))
			if err != nil {
				return nil, err
			}
			if d != nil {
				seq = append(seq, d)
			}
		}
		return seq, nil
	case "ByteLevel":
		return byteLevelDec{}, nil
	case "Metaspace":
		repl := strDef(j.Replacement, "▁")
		if utf8.RuneCountInString(repl) != 1 {
			return nil, errAt(path+".replacement", "want one character, got %q", repl)
		}
		prepend := true
		if j.PrependScheme != nil && *j.PrependScheme == "never" {
			prepend = false
		}
		if j.AddPrefix != nil && !*j.AddPrefix {
			prepend = false
		}
		return metaspaceDec{repl: repl, prepend: prepend}, nil
	case "WordPiece":
		return wordPieceDec{prefix: strDef(j.Prefix, "##"), cleanup: boolOr(j.Cleanup, true)}, nil
	case "ByteFallback":
		return byteFallbackDec{}, nil
	case "Fuse":
		return fuseDec{}, nil
	case "Strip":
		c := strDef(j.Content, " ")
		if utf8.RuneCountInString(c) != 1 {
			return nil, errAt(path+".content", "want one character, got %q", c)
		}
		r, _ := utf8.DecodeRuneInString(c)
		if j.Start < 0 || j.Stop < 0 {
			return nil, errAt(path, "negative start/stop")
		}
		return stripDec{content: r, start: j.Start, stop: j.Stop}, nil
	case "Replace":
		r, err := parseReplace(j.Pattern, j.Content, path)
		if err != nil {
			return nil, err
		}
		return replaceDec{r}, nil
	case "BPEDecoder":
		return bpeDec{suffix: strDef(j.Suffix, "</w>")}, nil
	case "CTC":
		return ctcDec{pad: strDef(j.PadToken, "<pad>"), delim: strDef(j.WordDelimiter, "|"), cleanup: boolOr(j.Cleanup, true)}, nil
	case "":
		return nil, errAt(path+".type", "missing decoder type")
	default:
		return nil, errAt(path+".type", "unsupported decoder type %q", j.Type)
	}
}
