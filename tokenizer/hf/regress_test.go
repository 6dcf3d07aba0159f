package hf

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// Regressions found by comparing with the native HF tokenizers library
// (testdata/peer/gen_hf_diff.mjs); each expected value is what
// @anush008/tokenizers 0.6.0 (tokenizers 0.22.2) returned.

const regressWordLevel = `{"version":"1.0","added_tokens":[
  {"id":90,"content":"hello","special":false,"normalized":true,"single_word":true,"lstrip":false,"rstrip":false},
  {"id":91,"content":"<sep>","special":true,"normalized":false,"single_word":false,"lstrip":true,"rstrip":true},
  {"id":92,"content":" w","special":false,"normalized":false,"single_word":false,"lstrip":false,"rstrip":false}],
 "normalizer":null,"pre_tokenizer":{"type":"WhitespaceSplit"},"post_processor":null,"decoder":null,
 "model":{"type":"WordLevel","unk_token":"[UNK]","vocab":{"[UNK]":0,"hello":1,"x":2,"w":3,"a":4}}}`

func mustParse(t *testing.T, s string) *Tokenizer {
	t.Helper()
	tok, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// HF ignores the ids written in added_tokens: "hello" is in the model's
// vocabulary (id 1), the others get the next ids after the 5 entries.
func TestAddedTokenIDsResolvedLikeHF(t *testing.T) {
	tok := mustParse(t, regressWordLevel)
	for _, c := range []struct {
		tok string
		id  int
	}{{"hello", 1}, {"<sep>", 5}, {" w", 6}} {
		if id, ok := tok.TokenToID(c.tok); !ok || id != c.id {
			t.Errorf("TokenToID(%q) = %d, %v; want %d", c.tok, id, ok, c.id)
		}
	}
	if tok.VocabSize() != 7 {
		t.Errorf("VocabSize = %d, want 7", tok.VocabSize())
	}
	got, _ := tok.Encode("hello x", tokenizer.EncodeOptions{ParseSpecial: true})
	if want := []int{1, 2}; !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
	if s, _ := tok.Decode([]int{5, 1}, tokenizer.DecodeOptions{SkipSpecial: true}); s != "hello" {
		t.Errorf("Decode skip = %q", s)
	}
}

// After an rstrip token the search resumes at the end of the token itself:
// " w" matches inside the spaces the <sep> match swallowed.
func TestRStripSearchResumesAtMatchEnd(t *testing.T) {
	tok := mustParse(t, regressWordLevel)
	got, _ := tok.Encode("a<sep> wx", tokenizer.EncodeOptions{ParseSpecial: true})
	if want := []int{4, 5, 6, 2}; !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
}

// BertNormalizer's clean_text keeps unassigned code points (the
// unicode_categories crate has no Cn table), so the word stays one [UNK].
func TestBertCleanTextKeepsUnassigned(t *testing.T) {
	n := bertNorm{clean: true}
	if got := n.normalize("a\u0381b\u200bc"); got != "a\u0381bc" {
		t.Errorf("normalize = %q", got)
	}
}

// single_word uses Rust regex \w, which includes Other_Alphabetic (Ⓐ).
func TestSingleWordUsesUnicodeWordClass(t *testing.T) {
	tok := mustParse(t, regressWordLevel)
	got, _ := tok.Encode("Ⓐhello", tokenizer.EncodeOptions{ParseSpecial: true})
	if want := []int{0}; !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
}

// Unigram byte fallback shows "<0xXX>" as the token text.
func TestUnigramByteFallbackTokens(t *testing.T) {
	tok := mustParse(t, `{"version":"1.0","added_tokens":[],"normalizer":null,"pre_tokenizer":null,"post_processor":null,"decoder":null,
	 "model":{"type":"Unigram","unk_id":0,"byte_fallback":true,"vocab":[["<unk>",0],["a",-1],["<0x3C>",0],["<0xC3>",0],["<0xA9>",0]]}}`)
	toks, _ := tok.EncodeTokens("a<é", tokenizer.EncodeOptions{})
	if want := []string{"a", "<0x3C>", "<0xC3>", "<0xA9>"}; !slices.Equal(toks, want) {
		t.Errorf("tokens = %q, want %q", toks, want)
	}
}

// Unigram scores are parsed like serde_json (without float_roundtrip): a
// quarter of Pegasus's scores are one ulp away from the nearest float64, and
// Viterbi ties on a long run of "a" are broken by those bits.
func TestSerdeFloat(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
	}{
		{"-7.3896660804748535", -7.389666080474853}, {"0", 0}, {"-0.0", 0}, {"1e3", 1000}, {"-2.5E-3", -0.0025},
		{"123456789012345678901234", 1.2345678901234567e+23}, {"1.5", 1.5},
	} {
		got, ok := serdeFloat(c.in)
		if !ok || got != c.want {
			t.Errorf("serdeFloat(%q) = %v, %v; want %v", c.in, got, ok, c.want)
		}
	}
	for _, bad := range []string{"", "-", "1.", ".5", "1e", "abc", "1.5x"} {
		if _, ok := serdeFloat(bad); ok {
			t.Errorf("serdeFloat(%q) ok", bad)
		}
	}
}

func TestSpecialsFromTokenizerConfig(t *testing.T) {
	for _, c := range []struct {
		name                     string
		bos, eos, pad, unk, mask int
		eog                      []int
	}{
		{"qwen3", -1, 151645, 151643, -1, -1, []int{151645, 151643}},
		{"llama3", 128000, 128001, -1, -1, -1, []int{128001, 128009}},
		{"gpt4o", 199999, 199999, -1, 199999, -1, []int{199999}},
		{"pegasus", -1, 1, 0, 105, 3, []int{1}},
		{"bert-base-uncased", -1, -1, 0, 100, 103, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			sp := loadShared(t, c.name).Specials()
			if sp.BOS != c.bos || sp.EOS != c.eos || sp.PAD != c.pad || sp.UNK != c.unk || sp.MASK != c.mask || !slices.Equal(sp.EOG, c.eog) {
				t.Errorf("Specials = BOS %d EOS %d PAD %d UNK %d MASK %d EOG %v; want %+v", sp.BOS, sp.EOS, sp.PAD, sp.UNK, sp.MASK, sp.EOG, c)
			}
		})
	}
}

func TestSpecialsConfigObjects(t *testing.T) {
	dir := t.TempDir()
	tj := `{"version":"1.0","added_tokens":[{"id":3,"content":"<|im_end|>","special":true,"normalized":false,"single_word":false,"lstrip":false,"rstrip":false},
	 {"id":4,"content":"<start>","special":true,"normalized":false,"single_word":false,"lstrip":false,"rstrip":false}],
	 "normalizer":null,"pre_tokenizer":{"type":"WhitespaceSplit"},"post_processor":null,"decoder":null,
	 "model":{"type":"WordLevel","unk_token":"<unk>","vocab":{"<unk>":0,"<s>":1,"</s>":2}}}`
	cfg := `{"bos_token":{"content":"<start>","lstrip":false,"__type":"AddedToken"},"eos_token":"<|im_end|>","pad_token":null,"unk_token":"<nope>"}`
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(tj), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := Load(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	sp := tok.Specials()
	// unk_token names no token: the guess (the model's unk, 0) stays.
	if sp.BOS != 4 || sp.EOS != 3 || sp.PAD != -1 || sp.UNK != 0 || !slices.Equal(sp.EOG, []int{3}) {
		t.Errorf("Specials = %+v", sp)
	}
	// Without the config the texts decide.
	p, _ := Parse([]byte(tj))
	if sp := p.Specials(); sp.BOS != 1 || sp.EOS != 2 || !slices.Equal(sp.EOG, []int{2, 3}) { // "</s>" is EOS, <|im_end|> added
		t.Errorf("Specials without config = %+v", sp)
	}
}

// The Rust crate's character classes come from crates frozen at an older
// Unicode version (unitables.go): U+061D (Po since Unicode 14) is not
// punctuation for BertPreTokenizer, U+166D (So since Unicode 12) is; U+08D4
// and U+08D3 (marks since Unicode 9/11) survive StripAccents / strip_accents.
func TestOldUnicodeClasses(t *testing.T) {
	if isBertPunct(0x061D) || !isBertPunct(0x166D) || !isBertPunct('«') {
		t.Error("isBertPunct disagrees with HF")
	}
	if got := (stripAccents{}).normalize("a\u08D3\u0301"); got != "a\u08D3" {
		t.Errorf("StripAccents = %q", got)
	}
	tok := loadShared(t, "bert-base-uncased")
	if got, _ := tok.Encode("\t\t\u061dۨڍۗ ", tokenizer.EncodeOptions{ParseSpecial: true}); !slices.Equal(got, []int{100}) {
		t.Errorf("bert Encode = %v, want [100]", got)
	}
}

func TestOldUnicodeBertMn(t *testing.T) {
	if got := (bertNorm{strip: true}).normalize("a\u08D4\u0301"); got != "a\u08D4" {
		t.Errorf("BertNormalizer strip = %q", got)
	}
}

// Nmt, UnicodeScripts and FixedLength (values from the native library):
// leading spaces before the first scripted character vanish, unassigned
// characters have no script, kana count as Han.
func TestNmtUnicodeScriptsFixedLength(t *testing.T) {
	tok := mustParse(t, `{"version":"1.0","added_tokens":[],"normalizer":{"type":"Nmt"},
	 "pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"UnicodeScripts"},{"type":"FixedLength","length":2}]},
	 "post_processor":null,"decoder":null,
	 "model":{"type":"WordLevel","unk_token":"?","vocab":{"?":0,"ab":1,"c ":2,"中カ":3,"ー":4,"x":5,"\u05fd":6," x":7}}}`)
	for _, c := range []struct {
		in   string
		want []int
	}{{"  abc x", []int{1, 2, 5}}, {"ab中カー", []int{1, 3, 4}}, {"x\u05fd\u0007\u200bx", []int{0, 7}}} {
		if got, _ := tok.Encode(c.in, tokenizer.EncodeOptions{}); !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// NFC offsets follow unicode-normalization-alignments' changes: marks are
// reordered with their changes, a composition merges them, and the
// transformation then consumes input characters in order (native library:
// char offsets [0 1][1 2][3 4][4 5][5 6][6 7] and [0 1][2 3][3 4]).
func TestNFCOffsetsReorderAndCompose(t *testing.T) {
	tok := mustParse(t, `{"version":"1.0","added_tokens":[],"normalizer":{"type":"NFC"},
	 "pre_tokenizer":{"type":"Split","pattern":{"Regex":"."},"behavior":"Isolated","invert":false},
	 "post_processor":null,"decoder":null,"model":{"type":"WordLevel","unk_token":"?","vocab":{"?":0}}}`)
	for _, c := range []struct {
		in   string
		want []tokenizer.Offset
	}{
		{"xa\u0308\u0331\u033a y", []tokenizer.Offset{{Start: 0, End: 1}, {Start: 1, End: 2}, {Start: 4, End: 6}, {Start: 6, End: 8}, {Start: 8, End: 9}, {Start: 9, End: 10}}},
		{"e\u0301\u0323!", []tokenizer.Offset{{Start: 0, End: 1}, {Start: 3, End: 5}, {Start: 5, End: 6}}},
	} {
		_, offs, err := tok.EncodeOffsets(c.in, tokenizer.EncodeOptions{})
		if err != nil || !slices.Equal(offs, c.want) {
			t.Errorf("EncodeOffsets(%q) = %v, %v; want %v", c.in, offs, err, c.want)
		}
	}
}
