package hf

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// fastInputs are seeded tricky inputs: words, whitespace runs, CRLF, digits,
// punctuation, contractions, many scripts, emoji, controls, special-token
// text, and words longer than the fast path's cache key.
func fastInputs(n int) []string {
	parts := []string{
		"hello", " world", "The", " QUICK", "don't", " I'M", "they’re", "'s", "'LL",
		" ", "  ", "\t", "\n", "\r\n", "\n\n", " \n ", "   x", "\u00a0", "\u200b", "\u200d", "\ufeff", "\u2028",
		"0", "12", "12345", "3.14159", "1,000,000", "!!!", "...", "?!", " --", "/*", "@#$%", "\"", "(", ")",
		"café", "cafe\u0301", "Ελληνικά", "русский", "العربية ١٢٣", "فارسی ۱۲۳", "עברית", "हिन्दी", "ไทย",
		"中文字符", "日本語", "한국어", "\u1100\u1161\u11a8", "👍", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣",
		"\x00", "\x01", "\x7f", "\xff", "\xc3", "<|endoftext|>", "<|begin_of_text|>", "<s>", "</s>", "[CLS]",
		"<|im_start|>", "<|im_end|>", "Supercalifragilisticexpialidocious", "antidisestablishmentarianism",
	}
	r := rand.New(rand.NewPCG(7, 11))
	out := make([]string, 0, n+2)
	for range n {
		var b strings.Builder
		for range 1 + r.IntN(24) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		out = append(out, b.String())
	}
	long := strings.Repeat("a", 600) + " " + strings.Repeat("ab1 ", 300) + strings.Repeat("é", 300)
	return append(out, long, strings.Repeat(strings.Join(parts, ""), 60))
}

// checkFastMatchesGeneric encodes inputs with the fast path and with the
// generic piece pipeline and wants the same ids, twice (cold and warm cache).
func checkFastMatchesGeneric(t *testing.T, tok *Tokenizer, inputs []string) {
	t.Helper()
	if tok.fastRe == nil {
		t.Fatal("fast path not selected")
	}
	slow := *tok
	slow.fastRe = nil
	for _, ps := range []bool{true, false} {
		opts := tokenizer.EncodeOptions{ParseSpecial: ps}
		for round := range 2 {
			for _, s := range inputs {
				got, err1 := tok.Encode(s, opts)
				want, err2 := slow.Encode(s, opts)
				if err1 != nil || err2 != nil {
					t.Fatalf("Encode(%q): %v / %v", s, err1, err2)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("round %d ParseSpecial=%v Encode(%q):\nfast    %v\ngeneric %v", round, ps, s, got, want)
				}
			}
		}
	}
}

// TestFastPathTiny covers the three fast-path shapes on tiny models.
func TestFastPathTiny(t *testing.T) {
	inputs := fastInputs(300)
	var base map[string]any
	if err := json.Unmarshal(byteLevelJSON(), &base); err != nil {
		t.Fatal(err)
	}
	const llama3Re = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// gapRe leaves gaps between its matches (llama3Re covers all text).
	const gapRe = ` ?\p{L}+|\p{N}{1,2}`
	split := func(re, behavior string, invert bool) any {
		return map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": re},
				"behavior": behavior, "invert": invert},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false},
		}}
	}
	for name, pre := range map[string]any{
		"bytelevel_regex":   base["pre_tokenizer"],
		"split_isolated":    split(llama3Re, "Isolated", false),
		"split_removed_inv": split(llama3Re, "Removed", true),
		"gaps_isolated":     split(gapRe, "Isolated", false),
		"gaps_isolated_inv": split(gapRe, "Isolated", true),
		"gaps_removed_inv":  split(gapRe, "Removed", true),
	} {
		t.Run(name, func(t *testing.T) {
			base["pre_tokenizer"] = pre
			b, err := json.Marshal(base)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			checkFastMatchesGeneric(t, tok, inputs)
		})
	}
	// Shapes the fast path must leave alone.
	for name, pre := range map[string]any{
		"split_removed":  split(gapRe, "Removed", false),
		"split_merged":   split(gapRe, "MergedWithPrevious", false),
		"prefix_space":   map[string]any{"type": "ByteLevel", "add_prefix_space": true, "use_regex": true},
		"bytelevel_only": map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false},
	} {
		base["pre_tokenizer"] = pre
		b, _ := json.Marshal(base)
		tok, err := Parse(b)
		if err != nil {
			t.Fatal(name, err)
		}
		if tok.fastRe != nil {
			t.Errorf("%s: fast path selected", name)
		}
	}
}

// TestFastPathShared checks the real files that take the fast path.
func TestFastPathShared(t *testing.T) {
	inputs := fastInputs(400)
	for _, name := range []string{"llama3", "qwen3", "gpt4o"} {
		t.Run(name, func(t *testing.T) {
			checkFastMatchesGeneric(t, loadShared(t, name), inputs)
		})
	}
}
