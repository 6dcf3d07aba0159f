package llamavocab_test

import (
	"bytes"
	"fmt"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/llamavocab"
)

// Build a tiny llama-style (SPM) vocabulary in GGUF metadata, then encode
// and decode with it as llama.cpp would.
func ExampleFromGGUF() {
	tokens := []string{"<unk>", "<s>", "</s>", "▁", "h", "i", "hi", "▁hi"}
	types := []int32{2, 3, 3, 1, 1, 1, 1, 1} // unknown, control, control, normal…
	scores := []float32{0, 0, 0, -5, -5, -5, -1, -2}
	meta := &gguf.File{KV: []gguf.KV{
		{Key: "tokenizer.ggml.model", Value: gguf.MustValue("llama")},
		{Key: "tokenizer.ggml.tokens", Value: gguf.MustValue(tokens)},
		{Key: "tokenizer.ggml.scores", Value: gguf.MustValue(scores)},
		{Key: "tokenizer.ggml.token_type", Value: gguf.MustValue(types)},
	}}
	var buf bytes.Buffer
	if _, err := gguf.Write(&buf, meta); err != nil {
		fmt.Println(err)
		return
	}
	f, err := gguf.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := llamavocab.FromGGUF(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	ids, _ := tok.Encode("hi hi", tokenizer.EncodeOptions{AddSpecial: true})
	text, _ := tok.Decode(ids, tokenizer.DecodeOptions{SkipSpecial: true})
	fmt.Println(ids)
	fmt.Printf("%q\n", text)
	// Output:
	// [1 7 7]
	// " hi hi"
}
