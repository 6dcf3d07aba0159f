package pretok

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/internal/shared"
)

// fullCoverage reports whether pattern's matches tile any input.
func fullCoverage(pattern string) bool { return pattern != LlamaCppGPT2 }

func pieces(text string, spans []Span) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = text[s.Start:s.End]
	}
	return out
}

// checkTiling fails t unless spans cover text exactly, in order, each
// non-empty and never splitting a valid UTF-8 sequence.
func checkTiling(t testing.TB, name, text string, spans []Span) {
	t.Helper()
	pos := 0
	for _, s := range spans {
		if s.Start != pos || s.End <= s.Start || s.End > len(text) {
			t.Fatalf("%s: %q: spans %v do not tile the input (at byte %d)", name, text, spans, pos)
		}
		pos = s.End
	}
	if pos != len(text) {
		t.Fatalf("%s: %q: spans %v stop at %d of %d bytes", name, text, spans, pos, len(text))
	}
}

// compare fails t when the scanner and regexp2 split text differently.
func compare(t testing.TB, pattern, name, text string) {
	t.Helper()
	sc := Known(pattern)
	re := mustRegexp(t, pattern)
	got := sc.FindAll(nil, text)
	want := re.FindAll(nil, text)
	if !reflect.DeepEqual(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		lo := max(0, i-2)
		t.Fatalf("%s on %s: first difference at piece %d\n scanner: %q\n regexp2: %q",
			patternName(pattern), name, i, pieces(text, got[lo:min(len(got), i+3)]), pieces(text, want[lo:min(len(want), i+3)]))
	}
	if fullCoverage(pattern) {
		checkTiling(t, patternName(pattern), text, got)
	}
}

var (
	reMu    sync.Mutex
	reCache = map[string]Splitter{}
)

func mustRegexp(t testing.TB, pattern string) Splitter {
	reMu.Lock()
	defer reMu.Unlock()
	if s, ok := reCache[pattern]; ok {
		return s
	}
	s, err := CompileRegexp(pattern)
	if err != nil {
		t.Fatal(err)
	}
	reCache[pattern] = s
	return s
}

var patternNames = map[string]string{
	PatternGPT2: "GPT2", PatternGPT2Tiktoken: "GPT2Tiktoken", PatternGPT2Possessive: "GPT2Possessive",
	PatternCL100K: "CL100K", PatternCL100KPossessive: "CL100KPossessive", PatternCL100KJS: "CL100KJS",
	PatternQwen2: "Qwen2", PatternO200K: "O200K", PatternO200KJS: "O200KJS",
	LlamaCppGPT2: "LlamaCppGPT2", LlamaCppLlama3: "LlamaCppLlama3", LlamaCppQwen2: "LlamaCppQwen2",
}

func patternName(p string) string {
	if n, ok := patternNames[p]; ok {
		return n
	}
	return fmt.Sprintf("%.20q", p)
}

// edgeCases exercise every alternative of the patterns; the expected splits
// come from regexp2 (compare) and, where Rust/Oniguruma could differ, from
// the cases in TestSemantics.
var edgeCases = map[string]string{
	"empty":                 "",
	"contractions":          "I'm don't we'll they've she'd you're IT'S 'RE 'Ll 'x ''s",
	"long s":                "he'ſ 'ſx 'ſ",
	"apostrophe end":        "end'",
	"spaces before word":    "a   b\t\tc \td",
	"trailing spaces":       "a  ",
	"trailing newline":      "a\n",
	"newline then spaces":   "a\n  ",
	"spaces newline spaces": "a \n \n  b",
	"crlf":                  "x\r\n\r\ny\r",
	"only spaces":           "   ",
	"only newlines":         "\n\n\n",
	"digits":                "1 12 123 1234 12345 ١٢٣٤ ⅻ ½",
	"punct":                 "!!! ?? ,,, (x) [1] a/b/ c//\n/ ...\n\n",
	"punct then letter":     "(hello ((hello 'hello",
	"unicode spaces":        "a\u00a0b\u2009c\u3000d\u200be\ufeff\u0085f\u2028g\u001cx\u180e",
	"marks":                 "\u0301A \u0301a e\u0301 E\u0301 aÉ ÉCOLE École é\u0301\u0301 ٌ ً",
	"cases":                 "HELLOworld helloWorld HTTPServer iPhone ǅungla ǅ Dž",
	"modifier letters":      "aʰb ʰʰ Aʰ ʰA xⁿ",
	"other letters":         "日本語のテキスト 한국어 ภาษาไทย",
	"upper then apostrophe": "DON'T Don't don'T IT'S O'Neil",
	"slash newline o200k":   "a /\n b+\r\n/ c",
	"emoji":                 "😀👍🏽👨\u200d👩 🇮🇷 ❤️",
	"tab letter":            "\tx \ny \r\nz",
	"space number":          " 1 a1 _1",
	"mixed":                 "x\u00a0\u00a0y \u00a0 z",
}

func TestSemantics(t *testing.T) {
	// Cases where the engines could disagree; want is the split the
	// reference engines produce (Rust regex / fancy-regex for tiktoken).
	tests := []struct {
		name, pattern, in string
		want              []string
	}{
		// Rust's (?i) uses simple case folding, so 's' also matches U+017F.
		{"cl100k long s", PatternCL100K, "a'ſx", []string{"a", "'ſ", "x"}},
		// llama.cpp's '[sS] is ASCII: "'ſx" is a prefix plus letters.
		{"llama.cpp long s", LlamaCppLlama3, "a'ſx", []string{"a", "'ſx"}},
		// \s is White_Space: NBSP is space, ZWSP (U+200B) and U+001C are not.
		{"nbsp", PatternCL100K, "a\u00a0\u00a0b", []string{"a", "\u00a0", "\u00a0b"}},
		{"zwsp", PatternCL100K, "a\u200bb", []string{"a", "\u200bb"}},
		{"fs", PatternGPT2, "a\u001c b", []string{"a", "\u001c", " b"}},
		// $ is the end of the text, and the possessive cl100k differs from
		// the old one only on trailing white space holding a line break.
		{"cl100k trailing", PatternCL100K, "a\n  ", []string{"a", "\n", "  "}},
		{"cl100k possessive trailing", PatternCL100KPossessive, "a\n  ", []string{"a", "\n  "}},
		{"cl100k possessive inner", PatternCL100KPossessive, "a\n  b", []string{"a", "\n", " ", " b"}},
		// Invalid bytes are "other" runes of one byte.
		{"invalid", PatternCL100K, "ab\xffcd \xfe\xfe", []string{"ab", "\xffcd", " \xfe\xfe"}},
		{"invalid gpt2", PatternGPT2, "ab\xffcd", []string{"ab", "\xff", "cd"}},
		// o200k: marks count as letters of both cases and as the prefix.
		{"o200k mark", PatternO200K, "\u0301A", []string{"\u0301", "A"}},
		{"o200k camel", PatternO200K, "HTTPServer iPhone", []string{"HTTPServer", " i", "Phone"}},
		// llama.cpp's GPT-2 regex leaves a lone space before \S unmatched.
		{"llama.cpp lone space", LlamaCppGPT2, "a\tb", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pieces(tt.in, Known(tt.pattern).FindAll(nil, tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKnownAndCompile(t *testing.T) {
	for _, p := range KnownPatterns() {
		if Known(p) == nil {
			t.Errorf("Known(%s) = nil", patternName(p))
		}
		s, err := Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.(*scanner); !ok {
			t.Errorf("Compile(%s) did not pick the scanner", patternName(p))
		}
		if _, err := CompileRegexp(p); err != nil {
			t.Errorf("regexp2 rejects %s: %v", patternName(p), err)
		}
	}
	if Known(`\w+`) != nil {
		t.Error("Known(`\\w+`) != nil")
	}
	if _, err := Compile(`(`); err == nil || !strings.Contains(err.Error(), "pretok: compile") {
		t.Errorf("Compile(`(`) error = %v", err)
	}
}

func TestEdgeCases(t *testing.T) {
	for _, p := range KnownPatterns() {
		for name, in := range edgeCases {
			compare(t, p, name, in)
		}
	}
}

// TestReferencePatterns checks that the constants are the exact strings of
// the reference tokenizer.json files.
func TestReferencePatterns(t *testing.T) {
	for dir, want := range map[string]string{"llama3": PatternLlama3, "qwen3": PatternQwen2, "gpt4o": PatternO200K} {
		b, err := os.ReadFile(shared.Path(t, "tokenizers/hf/"+dir+"/tokenizer.json"))
		if err != nil {
			t.Fatal(err)
		}
		var tj struct {
			PreTokenizer struct {
				Pretokenizers []struct {
					Type    string
					Pattern struct{ Regex string }
				}
			} `json:"pre_tokenizer"`
		}
		if err := json.Unmarshal(b, &tj); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		found := false
		for _, p := range tj.PreTokenizer.Pretokenizers {
			if p.Type == "Split" {
				found = true
				if p.Pattern.Regex != want {
					t.Errorf("%s: Split regex\n %q\nwant\n %q", dir, p.Pattern.Regex, want)
				}
			}
		}
		if !found {
			t.Errorf("%s: no Split pre-tokenizer", dir)
		}
	}
}

func TestVectorStrings(t *testing.T) {
	v := shared.LoadTokenizerVectors(t)
	for _, p := range KnownPatterns() {
		for i, s := range v.Strings {
			compare(t, p, fmt.Sprintf("strings[%d]", i), s)
		}
	}
}

var (
	corpusOnce sync.Once
	corpora    map[string]string
)

func loadCorpora(t testing.TB) map[string]string {
	for _, name := range []string{"tinyshakespeare.txt", "tinystories_sample_2MiB.txt", "wikitext-2-raw-test.hfrows.crlf.txt"} {
		shared.Path(t, "corpora/"+name) // skips when missing
	}
	corpusOnce.Do(func() {
		corpora = map[string]string{}
		for _, name := range []string{"tinyshakespeare.txt", "tinystories_sample_2MiB.txt", "wikitext-2-raw-test.hfrows.crlf.txt"} {
			b, err := os.ReadFile(shared.Path(t, "corpora/"+name))
			if err != nil {
				t.Fatal(err)
			}
			corpora[name] = string(b)
		}
	})
	return corpora
}

func TestCorpora(t *testing.T) {
	cs := loadCorpora(t)
	const chunk = 64 << 10
	for name, text := range cs {
		for _, p := range KnownPatterns() {
			// Two large chunks (start and middle) through both engines.
			for _, off := range []int{0, len(text) / 2} {
				end := off + chunk
				for end < len(text) && !utf8.RuneStart(text[end]) {
					end++
				}
				compare(t, p, fmt.Sprintf("%s[%d:%d]", name, off, end), text[off:min(end, len(text))])
			}
			// Every line of the first lines, with its line break.
			lines := strings.SplitAfter(text[:min(len(text), chunk/2)], "\n")
			for i, line := range lines {
				compare(t, p, fmt.Sprintf("%s line %d", name, i+1), line)
			}
		}
		// The whole corpus through the scanners: tiling only.
		for _, p := range KnownPatterns() {
			if fullCoverage(p) {
				checkTiling(t, patternName(p)+" on "+name, text, Known(p).FindAll(nil, text))
			}
		}
	}
}

// loadTiktoken reads a .tiktoken rank file: base64 token, space, rank.
func loadTiktoken(t *testing.T, name string) map[int][]byte {
	f, err := os.Open(shared.Path(t, "tokenizers/tiktoken/"+name+".tiktoken"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[int][]byte{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		tok, rank, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(tok)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r, err := strconv.Atoi(rank)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m[r] = b
	}
	return m
}

// byteLevelDecoder inverts GPT-2's bytes_to_unicode table.
func byteLevelDecoder() map[rune]byte {
	m := map[rune]byte{}
	n := 0
	for b := 0; b < 256; b++ {
		if ('!' <= b && b <= '~') || (0xA1 <= b && b <= 0xAC) || (0xAE <= b && b <= 0xFF) {
			m[rune(b)] = byte(b)
		} else {
			m[rune(256+n)] = byte(b)
			n++
		}
	}
	return m
}

// TestReferenceTokenBoundaries checks the splits against the reference ids:
// BPE never merges across pieces, so every piece boundary of our split must
// be a token boundary of the reference tokenization.
func TestReferenceTokenBoundaries(t *testing.T) {
	v := shared.LoadTokenizerVectors(t)
	check := func(key, pattern string, toks [][]byte, i int) {
		text := v.Strings[i]
		bounds := map[int]bool{0: true}
		pos := 0
		var joined []byte
		for _, tk := range toks {
			pos += len(tk)
			bounds[pos] = true
			joined = append(joined, tk...)
		}
		if string(joined) != text {
			t.Fatalf("%s: strings[%d]: tokens do not spell the string", key, i)
		}
		for _, s := range Known(pattern).FindAll(nil, text) {
			if !bounds[s.Start] || !bounds[s.End] {
				t.Errorf("%s: strings[%d] %q: piece %q [%d,%d) cuts a reference token", key, i, text, text[s.Start:s.End], s.Start, s.End)
			}
		}
	}
	for key, pattern := range map[string]string{
		"tiktoken:r50k_base": PatternGPT2, "tiktoken:p50k_base": PatternGPT2,
		"tiktoken:cl100k_base": PatternCL100K, "tiktoken:o200k_base": PatternO200K,
	} {
		ranks := loadTiktoken(t, strings.TrimPrefix(key, "tiktoken:"))
		for i, ids := range v.Set(t, key).IDs {
			toks := make([][]byte, len(ids))
			for j, id := range ids {
				toks[j] = ranks[id]
			}
			check(key, pattern, toks, i)
		}
	}
	dec := byteLevelDecoder()
	for key, pattern := range map[string]string{"hf:llama3": PatternLlama3, "hf:qwen3": PatternQwen2, "hf:gpt4o": PatternO200K} {
		for i, ts := range v.Set(t, key).Tokens {
			if strings.Contains(v.Strings[i], "<|endoftext|>") {
				continue // HF parses added special tokens inside the text
			}
			toks := make([][]byte, len(ts))
			for j, s := range ts {
				for _, r := range s {
					toks[j] = append(toks[j], dec[r])
				}
			}
			check(key, pattern, toks, i)
		}
	}
}

func TestSequence(t *testing.T) {
	re := func(p string) Splitter {
		s, err := Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name string
		seq  Splitter
		in   string
		want []string
	}{
		{"none", Sequence(), "ab c", []string{"ab c"}},
		{"empty input", Sequence(re(`\d`)), "", nil},
		// Unmatched text before, between and after matches is kept.
		{"gaps kept", Sequence(re(`\d+`)), "ab12cd3", []string{"ab", "12", "cd", "3"}},
		{"no match", Sequence(re(`\d+`)), "abc", []string{"abc"}},
		// The second regex runs inside each piece; its $ and lookahead see
		// only the piece.
		{"nested", Sequence(re("[\r\n]"), re(`\s+$`)), "a \nb  \nc", []string{"a", " ", "\n", "b", "  ", "\n", "c"}},
		{"starcoder", Sequence(re(`\p{N}`), re(LlamaCppGPT2)), "x 123 y", []string{"x", " ", "1", "2", "3", " y"}},
		{"llama.cpp gpt2 lone space", Sequence(re(LlamaCppGPT2)), "a\tb", []string{"a", "\t", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans := tt.seq.FindAll(nil, tt.in)
			checkTiling(t, tt.name, tt.in, spans)
			if got := pieces(tt.in, spans); !reflect.DeepEqual(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLlamaCppPre(t *testing.T) {
	tests := []struct {
		pre  string
		want []string
	}{
		{"gpt-2", []string{LlamaCppGPT2}},
		{"mpt", []string{LlamaCppGPT2}},
		{"llama-bpe", []string{LlamaCppLlama3}},
		{"qwen2", []string{LlamaCppQwen2}},
		{"starcoder", []string{`\p{N}`, LlamaCppGPT2}},
		{"refact", []string{`\p{N}`, LlamaCppGPT2}},
		{"command-r", []string{`\p{N}`, LlamaCppGPT2}},
		{"falcon", []string{"[\\p{P}\\$\\+<=>\\^~\\|`]+", LlamaCppGPT2, "[0-9][0-9][0-9]"}},
		{"deepseek-coder", []string{"[\r\n]", `\s?\p{L}+`, `\s?\p{P}+`, "[一-龥ࠀ-一가-퟿]+", `\p{N}`}},
		{"", []string{`[\p{P}\$\+<=>\^~\|]+`, LlamaCppGPT2, `\p{N}+`, "[0-9][0-9][0-9]"}},
	}
	for _, tt := range tests {
		t.Run(tt.pre, func(t *testing.T) {
			got, err := LlamaCppPre(tt.pre)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := LlamaCppPre("no-such-type"); err == nil || !strings.Contains(err.Error(), `"no-such-type"`) {
		t.Errorf("unknown type: err = %v", err)
	}
	// Every list compiles with regexp2 except llama.cpp's std::regex-only
	// syntax, and the deepseek-llm list has all its pieces.
	for name, list := range llamaCppPre {
		for _, p := range list {
			if _, err := Compile(p); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	if got, _ := LlamaCppPre("deepseek-llm"); len(got) != 6 || got[3] != `\s+$` {
		t.Errorf("deepseek-llm = %q", got)
	}
}

func TestInvalidUTF8(t *testing.T) {
	inputs := map[string]string{
		"lone continuation": "\x80\x80a",
		"truncated 3-byte":  "\xe6\x97 x",
		"surrogate":         "\xed\xa0\x80'\xed",
		"overlong":          "\xc0\xaf\n\xc0",
		"mixed":             "I'\xffm 12\xff3 \xff\n\xff ",
		"apostrophe ſ cut":  "'\xc5",
	}
	for name, in := range inputs {
		for _, p := range KnownPatterns() {
			if fullCoverage(p) {
				checkTiling(t, patternName(p)+" "+name, in, Known(p).FindAll(nil, in))
			}
		}
	}
}

func FuzzScanners(f *testing.F) {
	for _, s := range edgeCases {
		f.Add(s)
	}
	f.Add("I'm 12345 \n\n  x\xff")
	pats := KnownPatterns()
	f.Fuzz(func(t *testing.T, in string) {
		for _, p := range pats {
			spans := Known(p).FindAll(nil, in)
			if fullCoverage(p) {
				checkTiling(t, patternName(p), in, spans)
			}
			if utf8.ValidString(in) {
				compare(t, p, "fuzz input", in)
			}
		}
	})
}

func BenchmarkScanners(b *testing.B) {
	p := shared.Path(b, "corpora/tinyshakespeare.txt")
	raw, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	text := string(raw)
	for _, pat := range []string{PatternGPT2, PatternCL100K, PatternQwen2, PatternO200K} {
		sc := Known(pat)
		re, err := CompileRegexp(pat)
		if err != nil {
			b.Fatal(err)
		}
		for _, eng := range []struct {
			name string
			s    Splitter
		}{{"scanner", sc}, {"regexp2", re}} {
			b.Run(patternName(pat)+"/"+eng.name, func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				var buf []Span
				for b.Loop() {
					buf = eng.s.FindAll(buf[:0], text)
				}
			})
		}
	}
}
