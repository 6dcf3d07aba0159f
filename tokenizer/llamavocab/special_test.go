package llamavocab

import (
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// TestAddAndParseSpecial derives the expected ids from the reference ids:
// AddSpecial wraps them in the vocabulary's template (llama: BOS; gpt-2:
// nothing; bert: [CLS] … [SEP]) and a special token parsed in front of a
// string adds its id before the string's own ids (for SPM the space prefix
// follows a special token exactly as it starts the text).
func TestAddAndParseSpecial(t *testing.T) {
	vec := shared.LoadTokenizerVectors(t)
	tests := []struct {
		name, set     string
		prefix        []int
		suffix        []int
		specialText   string
		specialID     int
		controlIgnore bool
	}{
		{name: "llama-spm", set: "tokenizers/llama.cpp-vocab/ggml-vocab-llama-spm.gguf", prefix: []int{1}, specialText: "<s>", specialID: 1},
		{name: "stories260K", set: "models/stories260K.gguf", prefix: []int{1}, specialText: "</s>", specialID: 2},
		{name: "gpt-2", set: "tokenizers/llama.cpp-vocab/ggml-vocab-gpt-2.gguf", specialText: "<|endoftext|>", specialID: 50256},
		{name: "bert-bge", set: "tokenizers/llama.cpp-vocab/ggml-vocab-bert-bge.gguf", prefix: []int{101}, suffix: []int{102}, specialText: "[SEP]", specialID: 102},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := vec.Set(t, "llama.cpp:"+tc.set)
			v := loadShared(t, tc.set)
			for i, s := range vec.Strings {
				ref := set.IDs[i]
				got, _ := v.Encode(s, tokenizer.EncodeOptions{AddSpecial: true})
				want := slices.Concat(tc.prefix, ref, tc.suffix)
				if !slices.Equal(got, want) && len(want) > 0 {
					t.Errorf("AddSpecial %d %q:\n got %v\nwant %v", i, s, got, want)
				}
				if strings.ContainsAny(s, "<[") {
					continue // holds special-token text itself
				}
				got, _ = v.Encode(tc.specialText+s, tokenizer.EncodeOptions{ParseSpecial: true})
				want = slices.Concat([]int{tc.specialID}, ref)
				if !slices.Equal(got, want) {
					t.Errorf("ParseSpecial %d %q:\n got %v\nwant %v", i, tc.specialText+s, got, want)
				}
				// Without ParseSpecial the control token's text is plain text.
				got, _ = v.Encode(tc.specialText, tokenizer.EncodeOptions{})
				if slices.Contains(got, tc.specialID) {
					t.Errorf("%q without ParseSpecial gave the special id: %v", tc.specialText, got)
				}
			}
		})
	}
}

// TestDecodeRoundTrip: llama.cpp's detokenize inverts tokenize for SPM (the
// leading space it added is removed) and for byte-level BPE on text that its
// clean_up_tokenization_spaces pass leaves alone.
func TestDecodeRoundTrip(t *testing.T) {
	vec := shared.LoadTokenizerVectors(t)
	for _, rel := range []string{"tokenizers/llama.cpp-vocab/ggml-vocab-llama-spm.gguf", "models/llama-2-tiny-random.gguf", "tokenizers/llama.cpp-vocab/ggml-vocab-gpt-2.gguf"} {
		t.Run(rel, func(t *testing.T) {
			v := loadShared(t, rel)
			set := vec.Set(t, "llama.cpp:"+rel)
			for i, s := range vec.Strings {
				if v.cleanSpaces && strings.ContainsAny(s, "?!.,'") {
					continue
				}
				got, err := v.Decode(set.IDs[i], tokenizer.DecodeOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if got != s {
					t.Errorf("decode %d: got %q, want %q", i, got, s)
				}
				if !v.addBOS || v.kind != SPM || s == "" {
					continue
				}
				// llama_detokenize: a leading BOS removed as special turns the
				// leading-space removal off, so the prefix space stays; rendered,
				// BOS takes the removal itself (its text has no space).
				withBOS := append([]int{v.bos}, set.IDs[i]...)
				if got, _ := v.Decode(withBOS, tokenizer.DecodeOptions{SkipSpecial: true}); got != " "+s {
					t.Errorf("decode BOS+%d skipping specials: got %q, want %q", i, got, " "+s)
				}
				if got, _ := v.Decode(withBOS, tokenizer.DecodeOptions{}); got != "<s> "+s {
					t.Errorf("decode BOS+%d: got %q, want %q", i, got, "<s> "+s)
				}
			}
		})
	}
}

func TestDecodeBert(t *testing.T) {
	v := loadShared(t, "tokenizers/llama.cpp-vocab/ggml-vocab-bert-bge.gguf")
	ids, _ := v.Encode("Hello, world!", tokenizer.EncodeOptions{AddSpecial: true})
	// Pieces "[CLS]" " hello" " ," " world" " !" "[SEP]": llama.cpp keeps the
	// word-start spaces (no add_space_prefix for WPM) and its clean-up pass
	// joins " ," and " !".
	tests := []struct {
		name string
		opts tokenizer.DecodeOptions
		want string
	}{
		{"skip special", tokenizer.DecodeOptions{SkipSpecial: true}, " hello, world!"},
		{"render special", tokenizer.DecodeOptions{}, "[CLS] hello, world![SEP]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v.Decode(ids, tc.opts)
			if err != nil || got != tc.want {
				t.Errorf("Decode(%v) = %q, %v; want %q", ids, got, err, tc.want)
			}
		})
	}
	if _, err := v.Decode([]int{5, 1 << 20}, tokenizer.DecodeOptions{}); err == nil {
		t.Error("out-of-range id decoded")
	}
}

func TestCleanSpaces(t *testing.T) {
	// Expected values follow llama_detokenize's three passes by hand.
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"punctuation", "Hello , world ! Why ? Yes .", "Hello, world! Why? Yes."},
		{"lone apostrophe", "a ' b", "a'b"},
		{"'s and 'm", "it 's I 'm", "it's I'm"},
		{"'re and 've", "we 're they 've", "we're they've"},
		{"'t 'd 'll kept", "don 't he 'd we 'll", "don 't he 'd we 'll"},
		{"space before a leading period", " .", "."},
		{"first byte kept", ". a", ". a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(cleanSpaces([]byte(tc.in))); got != tc.want {
				t.Errorf("cleanSpaces(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
