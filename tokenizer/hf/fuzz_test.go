package hf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// byteLevelJSON builds a small GPT-2-style tokenizer.json: all 256
// byte-level symbols, a few merges, the GPT-2 split regex and ByteLevel decoder.
func byteLevelJSON() []byte {
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		vocab[string(tokenizer.ByteToRune(byte(b)))] = b
	}
	merges := [][2]string{{"Ġ", "t"}, {"h", "e"}, {"Ġt", "he"}, {"i", "n"}, {"Ġ", "a"}}
	for _, m := range merges {
		vocab[m[0]+m[1]] = len(vocab)
	}
	f := map[string]any{
		"version":        "1.0",
		"added_tokens":   []any{map[string]any{"id": len(vocab), "content": "<|endoftext|>", "special": true}},
		"pre_tokenizer":  map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
		"post_processor": map[string]any{"type": "ByteLevel", "trim_offsets": false},
		"decoder":        map[string]any{"type": "ByteLevel"},
		"model":          map[string]any{"type": "BPE", "vocab": vocab, "merges": merges},
	}
	b, err := json.Marshal(f)
	if err != nil {
		panic(err)
	}
	return b
}

func TestByteLevelTiny(t *testing.T) {
	tok, err := Parse(byteLevelJSON())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		text string
		want []string
	}{
		{name: "merges", text: "in the", want: []string{"in", "Ġthe"}},
		{name: "special parsed", text: "a<|endoftext|>", want: []string{"a", "<|endoftext|>"}},
		{name: "empty", text: "", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tok.EncodeTokens(tc.text, tokenizer.EncodeOptions{ParseSpecial: true})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("EncodeTokens(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
	// Without ParseSpecial the special text is ordinary text.
	ids, _ := tok.Encode("<|endoftext|>", tokenizer.EncodeOptions{})
	if len(ids) < 2 {
		t.Errorf("special text without ParseSpecial gave %v, want several byte tokens", ids)
	}
	// A lone continuation byte decodes to one U+FFFD, a cut 3-byte
	// sequence to one U+FFFD too (from_utf8_lossy).
	if s, _ := tok.Decode([]int{0x80, 'a'}, tokenizer.DecodeOptions{}); s != "\uFFFDa" {
		t.Errorf("decode lone continuation = %q", s)
	}
	if s, _ := tok.Decode([]int{0xE2, 0x82}, tokenizer.DecodeOptions{}); s != "\uFFFD" {
		t.Errorf("decode truncated sequence = %q", s)
	}
	if _, err := tok.Decode([]int{1 << 20}, tokenizer.DecodeOptions{}); err == nil {
		t.Error("unknown id: no error")
	}
}

func roundTrip(t *testing.T, tok *Tokenizer, s string) {
	for _, ps := range []bool{false, true} {
		ids, err := tok.Encode(s, tokenizer.EncodeOptions{ParseSpecial: ps})
		if err != nil {
			t.Fatal(err)
		}
		got, err := tok.Decode(ids, tokenizer.DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("decode(encode(%q)) = %q (parseSpecial=%v)", s, got, ps)
		}
		checkOffsets(t, tok, s, tokenizer.EncodeOptions{ParseSpecial: ps}, ids)
	}
}

// checkOffsets: EncodeOffsets gives Encode's ids and one in-range span each.
func checkOffsets(t *testing.T, tok *Tokenizer, s string, opts tokenizer.EncodeOptions, want []int) {
	t.Helper()
	ids, offs, err := tok.EncodeOffsets(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(want) || len(offs) != len(ids) {
		t.Fatalf("EncodeOffsets(%q): %d ids, %d offsets; Encode: %d ids", s, len(ids), len(offs), len(want))
	}
	for i := range ids {
		if ids[i] != want[i] {
			t.Fatalf("EncodeOffsets(%q) ids %v, Encode %v", s, ids, want)
		}
		if o := offs[i]; o.Start < 0 || o.Start > o.End || o.End > len(s) {
			t.Fatalf("EncodeOffsets(%q): offset %d = %+v", s, i, o)
		}
	}
}

func FuzzByteLevelRoundTrip(f *testing.F) {
	tok, err := Parse(byteLevelJSON())
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "hello world", " the  in\n\n", "<|endoftext|>x", "é😀\u200d", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { roundTrip(t, tok, s) })
}

func FuzzLlama3RoundTrip(f *testing.F) {
	tok := loadShared(f, "llama3")
	for _, s := range []string{"", "Hello, world!", "I'm  \r\n 12345 <|begin_of_text|>", "中文 😀👍🏽", "\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { roundTrip(t, tok, s) })
}

// FuzzParse feeds hostile JSON to Parse: it must return an error or a
// tokenizer, never panic, and the tokenizer must encode and decode.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.json")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(byteLevelJSON())
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "hf: tokenizer.json") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		ids, err := tok.Encode("Hello wörld <s> 12", tokenizer.EncodeOptions{ParseSpecial: true, AddSpecial: true})
		if err != nil {
			return
		}
		_, _ = tok.Decode(ids, tokenizer.DecodeOptions{SkipSpecial: true})
		_, _ = tok.EncodeTokens("a b", tokenizer.EncodeOptions{})
		if ids, err := tok.Encode("Hello wörld <s> 12", tokenizer.EncodeOptions{ParseSpecial: true}); err == nil {
			checkOffsets(t, tok, "Hello wörld <s> 12", tokenizer.EncodeOptions{ParseSpecial: true}, ids)
		}
	})
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{name: "not json", json: `{`, want: "hf: tokenizer.json"},
		{name: "no model", json: `{}`, want: "model: missing"},
		{name: "unknown model", json: `{"model": {"type": "Magic"}}`, want: `model.type: unsupported model type "Magic"`},
		{name: "bad merge", json: `{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}`, want: `model.merges[0]: token "b"`},
		{name: "merge shape", json: `{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["ab"]}}`, want: `model.merges[0]`},
		{name: "dropout", json: `{"model": {"type": "BPE", "dropout": 0.1, "vocab": {}, "merges": []}}`, want: "model.dropout"},
		{name: "unknown normalizer", json: `{"normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Zap"}]}, "model": {"type": "WordLevel", "vocab": {"a": 0}}}`, want: `normalizer.normalizers[1].type: unsupported normalizer type "Zap"`},
		{name: "unknown pre-tokenizer", json: `{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Nope"}]}, "model": {"type": "WordLevel", "vocab": {"a": 0}}}`, want: `pre_tokenizer.pretokenizers[0].type`},
		{name: "unknown decoder", json: `{"decoder": {"type": "Nope"}, "model": {"type": "WordLevel", "vocab": {"a": 0}}}`, want: `decoder.type: unsupported decoder type "Nope"`},
		{name: "unknown post-processor", json: `{"post_processor": {"type": "Nope"}, "model": {"type": "WordLevel", "vocab": {"a": 0}}}`, want: `post_processor.type`},
		{name: "template special missing", json: `{"post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "X", "type_id": 0}}], "pair": [], "special_tokens": {}}, "model": {"type": "WordLevel", "vocab": {"a": 0}}}`, want: `post_processor.single[0]`},
		{name: "sparse ids", json: `{"model": {"type": "WordLevel", "vocab": {"a": 99999999}}}`, want: "model.vocab"},
		{name: "bad split behavior", json: `{"pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Zap"}, "model": {"type": "WordLevel", "vocab": {"a": 0}}}`, want: "pre_tokenizer.behavior"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
