package charsmap

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/internal/shared"
)

var pegasus struct {
	once  sync.Once
	m     *Map
	added []string
	err   error
}

// loadPegasus parses the Precompiled normalizer of the pegasus tokenizer.json
// once per test binary, with the contents of its added tokens.
func loadPegasus(t testing.TB) (*Map, []string) {
	t.Helper()
	path := shared.Path(t, "tokenizers/hf/pegasus/tokenizer.json")
	pegasus.once.Do(func() {
		b, err := os.ReadFile(path)
		if err != nil {
			pegasus.err = err
			return
		}
		var tj struct {
			AddedTokens []struct {
				Content string `json:"content"`
			} `json:"added_tokens"`
			Normalizer struct {
				Normalizers []struct {
					Type    string `json:"type"`
					Charmap string `json:"precompiled_charsmap"`
				} `json:"normalizers"`
			} `json:"normalizer"`
		}
		if err := json.Unmarshal(b, &tj); err != nil {
			pegasus.err = err
			return
		}
		for _, a := range tj.AddedTokens {
			pegasus.added = append(pegasus.added, a.Content)
		}
		for _, n := range tj.Normalizer.Normalizers {
			if n.Type != "Precompiled" {
				continue
			}
			blob, err := base64.StdEncoding.DecodeString(n.Charmap)
			if err != nil {
				pegasus.err = err
				return
			}
			pegasus.m, pegasus.err = Parse(blob)
			return
		}
		pegasus.err = errors.New("no Precompiled normalizer")
	})
	if pegasus.err != nil {
		t.Fatalf("pegasus tokenizer.json: %v", pegasus.err)
	}
	return pegasus.m, pegasus.added
}

// prefixAll normalizes s with NormalizePrefix from start to end, as
// SentencePiece's Normalizer::Normalize does (without its whitespace rules).
func prefixAll(m *Map, s string) string {
	var b strings.Builder
	for s != "" {
		out, n, _ := m.NormalizePrefix(s)
		b.WriteString(out)
		s = s[n:]
	}
	return b.String()
}

// Expected values are Python's unicodedata.normalize("NFKC", in), kept only
// for characters whose nmt_nfkc rule is plain NFKC.
var nfkcCases = []struct{ name, in, want string }{
	{"fullwidth letters and digits", "ＡＢＣ１２３ｚ", "ABC123z"},
	{"ligature fi", "ﬁ", "fi"},
	{"ligature fl", "ﬂ", "fl"},
	{"circled one", "①", "1"},
	{"no-break space", "\u00a0", " "},
	{"trade mark", "™", "TM"},
	{"roman numeral twelve", "Ⅻ", "XII"},
	{"roman numeral four", "Ⅳ", "IV"},
	{"square kg", "㎏", "kg"},
	{"black-letter H", "ℌ", "H"},
	{"ellipsis", "…", "..."},
	{"vulgar half", "½", "1\u20442"},
	{"superscript two", "²", "2"},
	{"halfwidth katakana a", "ｱ", "ア"},
	{"ideographic space", "\u3000", " "},
	{"angstrom sign", "\u212b", "\u00c5"},
	{"thin space", "\u2009", " "},
	{"e + combining acute composes", "e\u0301", "\u00e9"},
	{"DZ caron", "Ǆ", "D\u017d"},
	{"long s", "ſ", "s"},
	{"kelvin sign", "\u212a", "K"},
	{"plain ASCII unchanged", "Hello, world!", "Hello, world!"},
	{"mixed", "ﬁnal ①②③ ＡＩ", "final 123 AI"},
}

func TestNFKC(t *testing.T) {
	m, _ := loadPegasus(t)
	for _, tc := range nfkcCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.Normalize(tc.in); got != tc.want {
				t.Errorf("Normalize(%+q) = %+q, want %+q", tc.in, got, tc.want)
			}
			if got := prefixAll(m, tc.in); got != tc.want {
				t.Errorf("NormalizePrefix over %+q = %+q, want %+q", tc.in, got, tc.want)
			}
		})
	}
}

// splitAdded cuts s around the added tokens (longest match first), as HF
// does before normalization; it returns the plain-text parts and the tokens.
func splitAdded(s string, added []string) []string {
	sorted := append([]string(nil), added...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	var parts []string
	last := 0
	for i := 0; i < len(s); {
		hit := ""
		for _, a := range sorted {
			if a != "" && strings.HasPrefix(s[i:], a) {
				hit = a
				break
			}
		}
		if hit == "" {
			i++
			continue
		}
		parts = append(parts, s[last:i], hit)
		i += len(hit)
		last = i
	}
	return append(parts, s[last:])
}

// TestPegasusVectors checks normalization end to end: Precompiled, then
// WhitespaceSplit and Metaspace("▁", prepend always), must give text whose
// concatenation equals the concatenation of HF's reference tokens.
func TestPegasusVectors(t *testing.T) {
	m, added := loadPegasus(t)
	isAdded := map[string]bool{}
	for _, a := range added {
		isAdded[a] = true
	}
	v := shared.LoadTokenizerVectors(t)
	set := v.Set(t, "hf:pegasus")
	for i, s := range v.Strings {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var got strings.Builder
			for _, part := range splitAdded(s, added) {
				if isAdded[part] {
					got.WriteString(part)
					continue
				}
				for _, w := range strings.Fields(m.Normalize(part)) {
					got.WriteString("▁" + w)
				}
			}
			want := strings.Join(set.Tokens[i], "")
			if got.String() != want {
				t.Errorf("string %d %+q:\n got %+q\nwant %+q", i, s, got.String(), want)
			}
		})
	}
}

// TestGraphemeRule pins the HF Precompiled quirk read from spm_precompiled's
// normalize_string: a cluster under 6 bytes is replaced whole by its
// shortest matching rule, so the second accent of "a\u0301\u0302" is
// dropped, while SentencePiece's longest-prefix rule keeps it.
func TestGraphemeRule(t *testing.T) {
	m, _ := loadPegasus(t)
	cases := []struct{ name, in, hf, spm string }{
		{"two accents in one short cluster", "a\u0301\u0302", "\u00e1", "\u00e1\u0302"},
		{"halfwidth voiced mark: 6-byte cluster goes char by char", "ｶﾞ", "\u30ab\u3099", "\u30ac"},
		{"conjoining jamo: 9-byte cluster goes char by char", "\u1112\u1161\u11ab", "\u1112\u1161\u11ab", "\ud55c"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.Normalize(tc.in); got != tc.hf {
				t.Errorf("Normalize(%+q) = %+q, want %+q", tc.in, got, tc.hf)
			}
			if got := prefixAll(m, tc.in); got != tc.spm {
				t.Errorf("NormalizePrefix over %+q = %+q, want %+q", tc.in, got, tc.spm)
			}
		})
	}
}

func TestSmallMap(t *testing.T) {
	m, err := Parse(buildBlob(map[string]string{
		"a":       "A",
		"ab":      "X",
		"c":       "",
		"é":       "e",
		"e\u0301": "E",
	}))
	if err != nil {
		t.Fatal(err)
	}
	prefix := []struct {
		name, in, out string
		n             int
		ok            bool
	}{
		{"longest rule wins", "abc", "X", 2, true},
		{"short rule", "ax", "A", 1, true},
		{"deletion", "cd", "", 1, true},
		{"no rule passes one char", "ßa", "ß", 2, false},
		{"malformed byte", "\xffa", "\uFFFD", 1, false},
		{"empty", "", "", 0, false},
		{"NUL stops the walk", "\x00a", "\x00", 1, false},
	}
	for _, tc := range prefix {
		t.Run("prefix/"+tc.name, func(t *testing.T) {
			out, n, ok := m.NormalizePrefix(tc.in)
			if out != tc.out || n != tc.n || ok != tc.ok {
				t.Errorf("NormalizePrefix(%+q) = %+q, %d, %v; want %+q, %d, %v", tc.in, out, n, ok, tc.out, tc.n, tc.ok)
			}
		})
	}
	full := []struct{ name, in, want string }{
		// "ab" is one cluster per character: each is looked up alone.
		{"per character", "abc", "Ab"},
		{"deletion", "xcx", "xx"},
		{"cluster shortest rule", "e\u0301", "E"},
		{"precomposed", "é", "e"},
		{"malformed", "a\xff", "A\uFFFD"},
	}
	for _, tc := range full {
		t.Run("full/"+tc.name, func(t *testing.T) {
			if got := m.Normalize(tc.in); got != tc.want {
				t.Errorf("Normalize(%+q) = %+q, want %+q", tc.in, got, tc.want)
			}
		})
	}
}

func TestNormalizeAlign(t *testing.T) {
	m, err := Parse(buildBlob(map[string]string{"ﬁ": "fi", "c": ""}))
	if err != nil {
		t.Fatal(err)
	}
	out, pos := m.NormalizeAlign("xﬁcy")
	if out != "xfiy" {
		t.Fatalf("out = %q", out)
	}
	want := []int{0, 1, 1, 5}
	if fmt.Sprint(pos) != fmt.Sprint(want) {
		t.Errorf("pos = %v, want %v", pos, want)
	}
}

func TestParseErrors(t *testing.T) {
	good := buildBlob(map[string]string{"a": "b"})
	cases := []struct {
		name string
		blob []byte
	}{
		{"nil", nil},
		{"short", []byte{1, 0}},
		{"zero trie", []byte{0, 0, 0, 0, 'x'}},
		{"size not multiple of 4", []byte{3, 0, 0, 0, 1, 2, 3}},
		{"size past end", []byte{8, 0, 0, 0, 1, 2, 3, 4}},
		{"huge size", []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}},
		{"invalid UTF-8 strings", append(append([]byte(nil), good...), 0xff)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(tc.blob)
			if err == nil || !errors.Is(err, ErrMalformed) || m != nil {
				t.Errorf("Parse = %v, %v; want an ErrMalformed error", m, err)
			}
		})
	}
}

// TestGraphemes: expected clusters are those of ICU's Intl.Segmenter
// (node 20, ICU 78.2) for the same strings.
func TestGraphemes(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"ascii", "ab", []string{"a", "b"}},
		{"CRLF", "\r\na", []string{"\r\n", "a"}},
		{"combining marks", "e\u0301\u0302x", []string{"e\u0301\u0302", "x"}},
		{"hangul LVT", "\u1112\u1161\u11ab\uac00", []string{"\u1112\u1161\u11ab", "\uac00"}},
		{"regional indicators pair up", "🇮🇷🇺", []string{"🇮🇷", "🇺"}},
		{"emoji ZWJ sequence", "👨\u200d👩x", []string{"👨\u200d👩", "x"}},
		{"skin tone modifier", "👍🏽", []string{"👍🏽"}},
		{"control breaks", "a\u0001\u0301", []string{"a", "\u0001", "\u0301"}},
		{"spacing mark", "क\u093e", []string{"क\u093e"}},
		{"prepend", "\u0600a", []string{"\u0600a"}},
		{"malformed byte", "a\xff\u0301", []string{"a", "\xff", "\u0301"}},
		{"Indic conjunct (GB9c)", "क्षि", []string{"क्षि"}},
		{"Devanagari word", "हिन्दी", []string{"हि", "न्दी"}},
		{"keycap", "1\ufe0f\u20e3", []string{"1\ufe0f\u20e3"}},
		{"ZWJ after letter", "a\u200db", []string{"a\u200d", "b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for s := tc.in; s != ""; {
				n := nextGrapheme(s)
				got = append(got, s[:n])
				s = s[n:]
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
				t.Errorf("clusters of %+q = %+q, want %+q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(buildBlob(map[string]string{"a": "b", "ab": "c", "é": "e\u0301"}), "abé\u0301\xff")
	f.Add([]byte{4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, "abc")
	f.Add([]byte{8, 0, 0, 0, 0, 4, 0, 0, 0x61, 0x01, 0, 0x80, 'x', 0}, "aa")
	f.Fuzz(func(t *testing.T, blob []byte, s string) {
		m, err := Parse(blob)
		if err != nil {
			return
		}
		out, pos := m.NormalizeAlign(s)
		if len(pos) != len(out) {
			t.Fatalf("%d positions for %d bytes", len(pos), len(out))
		}
		if !utf8.ValidString(out) {
			t.Fatalf("Normalize(%+q) = %+q is not valid UTF-8", s, out)
		}
		if got := m.Normalize(s); got != out {
			t.Fatalf("Normalize and NormalizeAlign differ: %+q vs %+q", got, out)
		}
		for rest := s; rest != ""; {
			_, n, _ := m.NormalizePrefix(rest)
			if n <= 0 || n > len(rest) {
				t.Fatalf("NormalizePrefix(%+q) consumed %d", rest, n)
			}
			rest = rest[n:]
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, tc := range nfkcCases {
		f.Add(tc.in)
	}
	f.Add("a\u0301\u0302 ｶﾞ \r\n👨\u200d👩 \xff")
	f.Fuzz(func(t *testing.T, s string) {
		m, _ := loadPegasus(t)
		out, pos := m.NormalizeAlign(s)
		if len(pos) != len(out) || !utf8.ValidString(out) {
			t.Fatalf("bad output %+q for %+q", out, s)
		}
		for i := 1; i < len(pos); i++ {
			if pos[i] < pos[i-1] || pos[i] >= len(s) {
				t.Fatalf("positions not monotone within input: %v", pos)
			}
		}
		prefixAll(m, s)
	})
}

func ExampleMap_Normalize() {
	// A real blob comes from a SentencePiece model or from tokenizer.json's
	// base64 "precompiled_charsmap"; this one holds three rules.
	m, err := Parse(buildBlob(map[string]string{"ﬁ": "fi", "①": "1", "\u00a0": " "}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", m.Normalize("ﬁle\u00a0①"))
	out, n, ok := m.NormalizePrefix("ﬁle")
	fmt.Println(out, n, ok)
	// Output:
	// "file 1"
	// fi 3 true
}

// NormalizeSpans follows NormalizedString::transform: in "xﬁcy" the "i" of
// "fi" is an insertion (it would stand for the ligature) but the removal of
// "c" is added to its change, which makes it a replacement of "c" (HF's
// Precompiled on "Ⅻ\x1b" does the same); a removal at the very start is
// lost, so later characters shift onto the removed one (HF aligns the "[" of
// "\x1b[0m" with ESC). Both were checked against the native library.
func TestNormalizeSpans(t *testing.T) {
	m, err := Parse(buildBlob(map[string]string{"ﬁ": "fi", "c": ""}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in, out string
		spans   string
	}{
		{"xﬁcy", "xfiy", "[[0 1] [1 4] [4 5] [5 6]]"},
		{"cxy", "xy", "[[0 1] [1 2]]"},
		{"xcy", "xy", "[[0 1] [2 3]]"},
	} {
		out, sp := m.NormalizeSpans(tc.in)
		if out != tc.out || fmt.Sprint(sp) != tc.spans {
			t.Errorf("NormalizeSpans(%q) = %q %v, want %q %s", tc.in, out, sp, tc.out, tc.spans)
		}
	}
}
