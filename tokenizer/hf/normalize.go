package hf

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/charsmap"

	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

// normalizer rewrites a piece of text before pre-tokenization.
type normalizer interface {
	normalize(s string) string
}

type normSeq []normalizer

func (n normSeq) normalize(s string) string {
	for _, x := range n {
		s = x.normalize(s)
	}
	return s
}

type unicodeNorm struct{ f norm.Form }

func (n unicodeNorm) normalize(s string) string { return n.f.String(s) }

type lowercase struct{}

func (lowercase) normalize(s string) string { return rustLower(s) }

// rustLower is Rust's char::to_lowercase applied per character: Go's simple
// mapping plus the one unconditional multi-character lowering (U+0130 İ →
// "i̇"). Final-sigma context is not applied, as NormalizedString::lowercase
// maps character by character too.
func rustLower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == 'İ' {
			b.WriteString("i\u0307")
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

type stripAccents struct{}

func (stripAccents) normalize(s string) string {
	return strings.Map(func(r rune) rune {
		if isCombiningMark(r) {
			return -1
		}
		return r
	}, s)
}

// isCombiningMark is unicode-normalization-alignments' is_combining_mark
// (StripAccents): general category M as of that crate's older Unicode
// version (tables in unitables.go, generated from the native library).
func isCombiningMark(r rune) bool {
	if r < 0x300 {
		return false
	}
	return unicode.Is(unicode.M, r) && !unicode.Is(hfMarkDel, r) || unicode.Is(hfMarkAdd, r)
}

// isBertMn is unicode_categories' is_mark_nonspacing (BertNormalizer's
// strip_accents), with the same old-Unicode corrections.
func isBertMn(r rune) bool {
	if r < 0x300 {
		return false
	}
	return unicode.Is(unicode.Mn, r) && !unicode.Is(hfMnDel, r) || unicode.Is(hfMnAdd, r)
}

type stripNorm struct{ left, right bool }

func (n stripNorm) normalize(s string) string {
	if n.left {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if n.right {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return s
}

type prependNorm struct{ p string }

func (n prependNorm) normalize(s string) string {
	if s == "" {
		return s
	}
	return n.p + s
}

// replaceNorm replaces every match of a literal or a regex.
type replaceNorm struct {
	lit     string
	re      pretok.Splitter
	content string
}

func (n replaceNorm) normalize(s string) string {
	if n.re == nil {
		if n.lit == "" {
			return s
		}
		return strings.ReplaceAll(s, n.lit, n.content)
	}
	spans := n.re.FindAll(nil, s)
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	prev := 0
	for _, sp := range spans {
		b.WriteString(s[prev:sp.Start])
		b.WriteString(n.content)
		prev = sp.End
	}
	b.WriteString(s[prev:])
	return b.String()
}

// nmtNorm is the Nmt normalizer: ASCII control characters dropped, a few
// other spaces and invisible characters turned into " ".
type nmtNorm struct{}

func nmtMap(r rune) rune {
	switch {
	case r >= 1 && r <= 8, r == 0x0B, r >= 0x0E && r <= 0x1F, r == 0x7F, r == 0x8F, r == 0x9F:
		return -1
	case r == 9, r == 0x0A, r == 0x0C, r == 0x0D, r == 0x1680, r >= 0x200B && r <= 0x200F, r == 0x2028, r == 0x2029,
		r == 0x2581, r == 0xFEFF, r == 0xFFFD:
		return ' '
	}
	return r
}

func (nmtNorm) normalize(s string) string { return strings.Map(nmtMap, s) }

type byteLevelNorm struct{}

func (byteLevelNorm) normalize(s string) string { return bytesToByteLevel(s) }

// bertNorm is BertNormalizer: clean_text, handle_chinese_chars, strip_accents
// (null means "same as lowercase") and lowercase.
type bertNorm struct {
	clean, chinese, strip, lower bool
}

func isBertControl(r rune) bool {
	if r < utf8.RuneSelf {
		return (r < 0x20 || r == 0x7F) && r != '\t' && r != '\n' && r != '\r'
	}
	// The unicode_categories crate's is_other: Cc, Cf, Co, Cs. Its Cn
	// table is generated from UnicodeData.txt, which lists no unassigned
	// code point, so unassigned characters (U+0378, U+0381…) are kept.
	// (Go's unicode.C table covers unassigned code points too.)
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) && !unicode.Is(hfOtherDel, r)
}

func isChinese(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) || (r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) || (r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B920 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}

func (n bertNorm) normalize(s string) string {
	if n.clean || n.chinese {
		var b strings.Builder
		b.Grow(len(s) + 8)
		for _, r := range s {
			if n.clean {
				if r == 0 || r == 0xFFFD || isBertControl(r) {
					continue
				}
				if r == '\t' || r == '\n' || r == '\r' || unicode.IsSpace(r) {
					r = ' '
				}
			}
			if n.chinese && isChinese(r) {
				b.WriteByte(' ')
				b.WriteRune(r)
				b.WriteByte(' ')
				continue
			}
			b.WriteRune(r)
		}
		s = b.String()
	}
	if n.strip {
		s = strings.Map(func(r rune) rune {
			if isBertMn(r) {
				return -1
			}
			return r
		}, norm.NFD.String(s))
	}
	if n.lower {
		s = rustLower(s)
	}
	return s
}

// precompiledNorm wraps a SentencePiece precompiled charsmap.
type precompiledNorm struct {
	f func(string) string
	m *charsmap.Map // for aligned normalization
}

func (n precompiledNorm) normalize(s string) string { return n.f(s) }

type normJSON struct {
	Type               string            `json:"type"`
	Normalizers        []json.RawMessage `json:"normalizers"`
	CleanText          *bool             `json:"clean_text"`
	HandleChineseChars *bool             `json:"handle_chinese_chars"`
	StripAccents       *bool             `json:"strip_accents"`
	Lowercase          *bool             `json:"lowercase"`
	StripLeft          bool              `json:"strip_left"`
	StripRight         bool              `json:"strip_right"`
	Pattern            *patternJSON      `json:"pattern"`
	Content            *string           `json:"content"`
	Prepend            *string           `json:"prepend"`
	PrecompiledCharsma *string           `json:"precompiled_charsmap"`
}

// patternJSON is {"String": "..."} or {"Regex": "..."}.
type patternJSON struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

func boolOr(p *bool, d bool) bool {
	if p == nil {
		return d
	}
	return *p
}

// parseNormalizer builds a normalizer from raw JSON at path; a JSON null gives nil.
func parseNormalizer(raw json.RawMessage, path string) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var j normJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, errAt(path, "%v", err)
	}
	switch j.Type {
	case "Sequence":
		var seq normSeq
		for i, r := range j.Normalizers {
			n, err := parseNormalizer(r, indexPath(path+".normalizers", i))
			if err != nil {
				return nil, err
			}
			if n != nil {
				seq = append(seq, n)
			}
		}
		return seq, nil
	case "NFC":
		return unicodeNorm{norm.NFC}, nil
	case "NFD":
		return unicodeNorm{norm.NFD}, nil
	case "NFKC":
		return unicodeNorm{norm.NFKC}, nil
	case "NFKD":
		return unicodeNorm{norm.NFKD}, nil
	case "Lowercase":
		return lowercase{}, nil
	case "StripAccents":
		return stripAccents{}, nil
	case "Strip":
		return stripNorm{left: j.StripLeft, right: j.StripRight}, nil
	case "Prepend":
		if j.Prepend == nil {
			return nil, errAt(path+".prepend", "missing")
		}
		return prependNorm{p: *j.Prepend}, nil
	case "Replace":
		return parseReplace(j.Pattern, j.Content, path)
	case "ByteLevel":
		return byteLevelNorm{}, nil
	case "Nmt":
		return nmtNorm{}, nil
	case "BertNormalizer":
		lower := boolOr(j.Lowercase, true)
		return bertNorm{
			clean:   boolOr(j.CleanText, true),
			chinese: boolOr(j.HandleChineseChars, true),
			strip:   boolOr(j.StripAccents, lower),
			lower:   lower,
		}, nil
	case "Precompiled":
		if j.PrecompiledCharsma == nil {
			return nil, errAt(path+".precompiled_charsmap", "missing")
		}
		return newPrecompiled(*j.PrecompiledCharsma, path+".precompiled_charsmap")
	case "":
		return nil, errAt(path+".type", "missing normalizer type")
	default:
		return nil, errAt(path+".type", "unsupported normalizer type %q", j.Type)
	}
}

func parseReplace(p *patternJSON, content *string, path string) (replaceNorm, error) {
	if p == nil {
		return replaceNorm{}, errAt(path+".pattern", "missing")
	}
	if content == nil {
		return replaceNorm{}, errAt(path+".content", "missing")
	}
	switch {
	case p.String != nil:
		return replaceNorm{lit: *p.String, content: *content}, nil
	case p.Regex != nil:
		re, err := pretok.CompileUnicode(*p.Regex, pretok.Unicode16)
		if err != nil {
			return replaceNorm{}, errAt(path+".pattern.Regex", "%v", err)
		}
		return replaceNorm{re: re, content: *content}, nil
	default:
		return replaceNorm{}, errAt(path+".pattern", "want {\"String\": ...} or {\"Regex\": ...}")
	}
}

// bytesToByteLevel maps each byte of s to its GPT-2 byte-level rune.
func bytesToByteLevel(s string) string {
	var b strings.Builder
	b.Grow(len(s) * 2)
	for i := 0; i < len(s); i++ {
		b.WriteRune(tokenizer.ByteToRune(s[i]))
	}
	return b.String()
}
