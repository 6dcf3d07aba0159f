package llama

import (
	"bytes"
	"fmt"
	"os"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/quant"
)

func ExampleModel_WriteGGUF() {
	m := randomModel(512, 1) // a model built or trained in memory
	tj, _ := os.ReadFile("testdata/export_bpe512_tokenizer.json")
	vocab, err := BPETokenizerKVs(tj) // a byte-level BPE from tokenizer/bpetrain
	if err != nil {
		fmt.Println(err)
		return
	}
	var buf bytes.Buffer
	if _, err := m.WriteGGUF(&buf, ExportOptions{Type: quant.Q8_0, Name: "tiny", Tokenizer: vocab}); err != nil {
		fmt.Println(err)
		return
	}
	f, _ := gguf.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	ft, _ := f.Uint("general.file_type")
	model, _ := f.String("tokenizer.ggml.model")
	q, _ := f.Tensor("blk.0.attn_q.weight")
	fmt.Println("file_type", ft, "vocab", model, "attn_q", q.Type, q.Dims)
	// Output:
	// file_type 7 vocab gpt2 attn_q Q8_0 [64 64]
}

func ExampleModel_WriteSafetensors() {
	m := randomModel(64, 1)
	dir, _ := os.MkdirTemp("", "hf-export")
	defer os.RemoveAll(dir)
	if err := m.WriteSafetensors(dir, ExportOptions{Type: quant.BF16}); err != nil {
		fmt.Println(err)
		return
	}
	m2, c, err := FromSafetensors(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Println(m2.Config.Dim, m2.Config.NumLayers, m2.Config.NumKVHeads, m2.Weights.Layers[0].Query.Type)
	// Output:
	// 64 2 2 BF16
}
