package gguf_test

import (
	"bytes"
	"fmt"

	"github.com/llmpipe/llmpipe/format/gguf"
)

// Write a small GGUF file in memory and read it back.
func Example() {
	f := &gguf.File{
		KV: []gguf.KV{
			{Key: "general.architecture", Value: gguf.MustValue("llama")},
			{Key: "tokenizer.ggml.tokens", Value: gguf.MustValue([]string{"<unk>", "<s>", "</s>"})},
		},
		Tensors: []gguf.TensorInfo{{Name: "token_embd.weight", Dims: []uint64{8, 3}, Type: gguf.TypeF32}},
	}
	dataSize, _ := f.LayoutTensors()
	var buf bytes.Buffer
	if _, err := gguf.Write(&buf, f); err != nil {
		fmt.Println(err)
		return
	}
	buf.Write(make([]byte, dataSize)) // the tensor data

	g, err := gguf.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		fmt.Println(err)
		return
	}
	arch, _ := g.String("general.architecture")
	toks, _ := g.Strings("tokenizer.ggml.tokens")
	fmt.Println(g.Version, arch, len(toks), g.Tensors[0].Name, g.Tensors[0].Type, g.DataOffset)
	// Output: 3 llama 3 token_embd.weight F32 224
}
