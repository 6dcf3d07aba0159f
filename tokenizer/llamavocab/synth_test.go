package llamavocab

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// spmFile is a tiny llama-style vocabulary: <unk> <s> </s>, the 256 byte
// tokens, and a few pieces with scores.
func spmFile() *gguf.File {
	tokens := []string{"<unk>", "<s>", "</s>"}
	types := []int32{typeUnknown, typeControl, typeControl}
	for b := 0; b < 256; b++ {
		tokens = append(tokens, fmt.Sprintf("<0x%02X>", b))
		types = append(types, typeByte)
	}
	// Bigram pieces in merge priority order (highest score first).
	merged := []string{"ll", "he", "hell", "hello", "▁hello", "or", "▁w", "▁wor", "ld", "▁world", "▁h", "lo", "▁he"}
	chars := []string{"▁", "h", "e", "l", "o", "w", "r", "d"}
	scores := make([]float32, len(tokens))
	for _, c := range chars {
		tokens = append(tokens, c)
		types = append(types, typeNormal)
		scores = append(scores, -100)
	}
	for i, p := range merged {
		tokens = append(tokens, p)
		types = append(types, typeNormal)
		scores = append(scores, -float32(i))
	}
	tokens = append(tokens, "<tool>")
	types = append(types, typeUserDefined)
	scores = append(scores, 0)
	return &gguf.File{KV: []gguf.KV{
		{Key: keyModel, Value: gguf.MustValue("llama")},
		{Key: keyTokens, Value: gguf.MustValue(tokens)},
		{Key: keyScores, Value: gguf.MustValue(scores)},
		{Key: keyTokenType, Value: gguf.MustValue(types)},
		{Key: keyBOS, Value: gguf.MustValue(uint32(1))},
		{Key: keyEOS, Value: gguf.MustValue(uint32(2))},
		{Key: keyUNK, Value: gguf.MustValue(uint32(0))},
	}}
}

// bpeFile is a tiny byte-level BPE vocabulary with GPT-2 pre-tokenization.
func bpeFile() *gguf.File {
	var tokens []string
	for b := 0; b < 256; b++ {
		tokens = append(tokens, tokenizer.BytesToByteLevel([]byte{byte(b)}))
	}
	merges := []string{"h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor ld", "l d", "x y"}
	tokens = append(tokens, "he", "ll", "hell", "hello", "Ġw", "or", "Ġwor", "ld", "Ġworld", "<|endoftext|>")
	types := make([]int32, len(tokens))
	for i := range types {
		types[i] = typeNormal
	}
	types[len(types)-1] = typeControl
	return &gguf.File{KV: []gguf.KV{
		{Key: keyModel, Value: gguf.MustValue("gpt2")},
		{Key: keyPre, Value: gguf.MustValue("gpt-2")},
		{Key: keyTokens, Value: gguf.MustValue(tokens)},
		{Key: keyTokenType, Value: gguf.MustValue(types)},
		{Key: keyMerges, Value: gguf.MustValue(merges)},
		{Key: keyBOS, Value: gguf.MustValue(uint32(len(tokens) - 1))},
		{Key: keyEOS, Value: gguf.MustValue(uint32(len(tokens) - 1))},
	}}
}

// bertFile is a tiny WordPiece vocabulary in llama.cpp's "▁"-prefixed form.
func bertFile() *gguf.File {
	tokens := []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "▁hello", "▁world", "▁,", "▁!", "▁wor", "ld", "▁a", "pfel"}
	types := []int32{typeControl, typeControl, typeControl, typeControl, typeControl}
	for range tokens[5:] {
		types = append(types, typeNormal)
	}
	return &gguf.File{KV: []gguf.KV{
		{Key: keyModel, Value: gguf.MustValue("bert")},
		{Key: keyTokens, Value: gguf.MustValue(tokens)},
		{Key: keyTokenType, Value: gguf.MustValue(types)},
		{Key: keyUNK, Value: gguf.MustValue(uint32(1))},
		{Key: "tokenizer.ggml.cls_token_id", Value: gguf.MustValue(uint32(2))},
		{Key: keyBOS, Value: gguf.MustValue(uint32(2))},
		{Key: keySEP, Value: gguf.MustValue(uint32(3))},
		{Key: keyPAD, Value: gguf.MustValue(uint32(0))},
		{Key: keyMASK, Value: gguf.MustValue(uint32(4))},
	}}
}

func encodeFile(t testing.TB, f *gguf.File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := gguf.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func synth(t testing.TB, f *gguf.File) *Vocab {
	t.Helper()
	b := encodeFile(t, f)
	g, err := gguf.Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	v, err := Load(g)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSynthetic(t *testing.T) {
	spm, bpe, bert := synth(t, spmFile()), synth(t, bpeFile()), synth(t, bertFile())
	id := func(v *Vocab, s string) int { return v.toID[s] }
	tests := []struct {
		name string
		v    *Vocab
		in   string
		opts tokenizer.EncodeOptions
		want []int
	}{
		{"spm merge by score", spm, "hello world", tokenizer.EncodeOptions{}, []int{id(spm, "▁hello"), id(spm, "▁world")}},
		{"spm add BOS", spm, "hello", tokenizer.EncodeOptions{AddSpecial: true}, []int{1, id(spm, "▁hello")}},
		{"spm byte fallback", spm, "hé", tokenizer.EncodeOptions{}, []int{id(spm, "▁h"), id(spm, "<0xC3>"), id(spm, "<0xA9>")}},
		{"spm control only when parsed", spm, "<s>hello", tokenizer.EncodeOptions{ParseSpecial: true}, []int{1, id(spm, "▁hello")}},
		{"spm user-defined always cut", spm, "hello<tool>hello", tokenizer.EncodeOptions{}, []int{id(spm, "▁hello"), id(spm, "<tool>"), id(spm, "▁hello")}},
		{"spm empty", spm, "", tokenizer.EncodeOptions{}, nil},
		{"bpe merges", bpe, "hello world", tokenizer.EncodeOptions{}, []int{id(bpe, "hello"), id(bpe, "Ġworld")}},
		{"bpe no BOS by default", bpe, "hello", tokenizer.EncodeOptions{AddSpecial: true}, []int{id(bpe, "hello")}},
		{"bpe special parsed", bpe, "<|endoftext|>hello", tokenizer.EncodeOptions{ParseSpecial: true}, []int{id(bpe, "<|endoftext|>"), id(bpe, "hello")}},
		{"bpe merge result outside the vocabulary falls back to bytes", bpe, "xy", tokenizer.EncodeOptions{}, []int{'x', 'y'}},
		{"wpm template", bert, "Hello, world!", tokenizer.EncodeOptions{AddSpecial: true}, []int{2, 5, 7, 6, 8, 3}},
		{"wpm accents stripped", bert, "Äpfel", tokenizer.EncodeOptions{}, []int{11, 12}},
		{"wpm unknown word", bert, "zzz world", tokenizer.EncodeOptions{}, []int{1, 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.v.Encode(tc.in, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Encode(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	with := func(f *gguf.File, key string, val any) *gguf.File {
		for i := range f.KV {
			if f.KV[i].Key == key {
				if val == nil {
					f.KV = append(f.KV[:i], f.KV[i+1:]...)
				} else {
					f.KV[i].Value = gguf.MustValue(val)
				}
				return f
			}
		}
		f.KV = append(f.KV, gguf.KV{Key: key, Value: gguf.MustValue(val)})
		return f
	}
	tests := []struct {
		name string
		f    *gguf.File
		want string
	}{
		{"t5 model", with(spmFile(), keyModel, "t5"), `tokenizer.ggml.model "t5" is not supported`},
		{"rwkv model", with(spmFile(), keyModel, "rwkv"), `"rwkv"`},
		{"no model", with(spmFile(), keyModel, nil), "tokenizer.ggml.model is missing"},
		{"no tokens", with(spmFile(), keyTokens, nil), "tokenizer.ggml.tokens is missing"},
		{"tokens not strings", with(spmFile(), keyTokens, []int32{1}), "want an array of strings"},
		{"short scores", with(spmFile(), keyScores, []float32{1}), "tokenizer.ggml.scores has 1 entries"},
		{"duplicate token", with(spmFile(), keyTokens, append(make([]string, 0), "a", "b", "a")), "duplicate token"},
		{"gpt2 without merges", with(bpeFile(), keyMerges, nil), "tokenizer.ggml.merges is missing"},
		{"unknown pre", with(bpeFile(), keyPre, "no-such-pre"), `"no-such-pre"`},
		{"add_bos is not bool", with(spmFile(), keyAddBOS, "yes"), "want bool"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.f)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func checkIDs(t *testing.T, v *Vocab, ids []int) {
	for _, id := range ids {
		if id < 0 || id >= v.VocabSize() {
			t.Fatalf("id %d outside [0, %d)", id, v.VocabSize())
		}
	}
}

// FuzzFromGGUF loads hostile metadata and encodes with it: never a panic.
func FuzzFromGGUF(f *testing.F) {
	for _, g := range []*gguf.File{spmFile(), bpeFile(), bertFile()} {
		f.Add(encodeFile(f, g), "Hello, world! <s></s><|endoftext|> héllo\xff")
	}
	f.Fuzz(func(t *testing.T, b []byte, text string) {
		g, err := gguf.Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		v, err := Load(g)
		if err != nil {
			return
		}
		for _, opts := range []tokenizer.EncodeOptions{{}, {ParseSpecial: true, AddSpecial: true}} {
			ids, err := v.Encode(text, opts)
			if err != nil {
				t.Fatal(err)
			}
			checkIDs(t, v, ids)
			if _, err := v.Decode(ids, tokenizer.DecodeOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzEncode encodes arbitrary bytes with the three synthetic vocabularies:
// never a panic, ids in range, and SPM (byte fallback) round-trips valid text.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", " ", "hello world", "  \t\n x", "héllo 😀 中文 \xff\xfe", "<s>hello</s><tool>", "Äpfel, world!"} {
		f.Add(s)
	}
	spm, bpe, bert := synth(f, spmFile()), synth(f, bpeFile()), synth(f, bertFile())
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range []*Vocab{spm, bpe, bert} {
			for _, opts := range []tokenizer.EncodeOptions{{}, {ParseSpecial: true, AddSpecial: true}} {
				ids, err := v.Encode(s, opts)
				if err != nil {
					t.Fatal(err)
				}
				checkIDs(t, v, ids)
				if _, err := v.Decode(ids, tokenizer.DecodeOptions{SkipSpecial: true}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if !utf8.ValidString(s) {
			return
		}
		ids, _ := spm.Encode(s, tokenizer.EncodeOptions{})
		if got, _ := spm.Decode(ids, tokenizer.DecodeOptions{}); got != s && !(len(s) > 0 && s[0] == ' ' && got == s) {
			// <tool> is user-defined and renders as itself, so SPM with byte
			// fallback must give the text back exactly.
			t.Fatalf("SPM round trip: %q -> %v -> %q", s, ids, got)
		}
	})
}

// TestWriteSeedCorpus regenerates testdata/fuzz/FuzzFromGGUF when
// LLAMAVOCAB_WRITE_CORPUS=1.
func TestWriteSeedCorpus(t *testing.T) {
	if os.Getenv("LLAMAVOCAB_WRITE_CORPUS") != "1" {
		t.Skip("set LLAMAVOCAB_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzFromGGUF")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, g := range []*gguf.File{spmFile(), bpeFile(), bertFile()} {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nstring(%q)\n", encodeFile(t, g), "Hello, world! <s></s><|endoftext|> héllo")
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("synthetic-%d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
