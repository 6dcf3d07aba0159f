package bench

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/hf"
	"github.com/llmpipe/llmpipe/tokenizer/spm"
	"github.com/llmpipe/llmpipe/tokenizer/tiktoken"
)

// chunks cuts text at line ends into pieces of about size bytes: the
// documents of a batch.
func chunks(text string, size int) []string {
	var out []string
	for len(text) > 0 {
		n := min(size, len(text))
		if i := strings.IndexByte(text[n:], '\n'); i >= 0 {
			n += i + 1
		} else {
			n = len(text)
		}
		out = append(out, text[:n])
		text = text[n:]
	}
	return out
}

func loadTokenizers(b *testing.B) []struct {
	name string
	tok  tokenizer.Tokenizer
} {
	type named = struct {
		name string
		tok  tokenizer.Tokenizer
	}
	var out []named
	for _, enc := range []string{"cl100k_base", "o200k_base"} {
		e, err := tiktoken.Open(shared.Path(b, "tokenizers/tiktoken/"+enc+".tiktoken"))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, named{enc, e})
	}
	l3, err := hf.Load(shared.Path(b, "tokenizers/hf/llama3/tokenizer.json"))
	if err != nil {
		b.Fatal(err)
	}
	out = append(out, named{"llama3", l3})
	sp, err := spm.Load(shared.Path(b, "tokenizers/llama2-sentencepiece/tokenizer.model"))
	if err != nil {
		b.Fatal(err)
	}
	out = append(out, named{"llama2-spm", sp})
	return out
}

// BenchmarkTokenizers encodes TinyShakespeare, cut into ~4 KiB documents,
// with each tokenizer: one goroutine calling Encode per document, then
// tokenizer.EncodeBatch with 1 and 2 workers.
func BenchmarkTokenizers(b *testing.B) {
	raw, err := os.ReadFile(shared.Path(b, "corpora/tinyshakespeare.txt"))
	if err != nil {
		b.Fatal(err)
	}
	docs := chunks(string(raw), 4096)
	inputs := make([]tokenizer.Input, len(docs))
	for i, d := range docs {
		inputs[i] = tokenizer.Input{Text: d}
	}
	for _, tc := range loadTokenizers(b) {
		b.Run(tc.name+"/single", func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			n := 0
			for b.Loop() {
				for _, d := range docs {
					ids, err := tc.tok.Encode(d, tokenizer.EncodeOptions{})
					if err != nil {
						b.Fatal(err)
					}
					n += len(ids)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tok/s")
		})
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/batch%d", tc.name, workers), func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				n := 0
				for b.Loop() {
					encs, err := tokenizer.EncodeBatch(context.Background(), tc.tok, inputs, tokenizer.BatchOptions{Workers: workers})
					if err != nil {
						b.Fatal(err)
					}
					for _, e := range encs {
						n += len(e.IDs)
					}
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tok/s")
			})
		}
	}
}

func TestChunks(t *testing.T) {
	text := "ab\ncd\nef\n"
	got := chunks(text, 2)
	if strings.Join(got, "") != text || len(got) != 3 {
		t.Fatalf("chunks = %q", got)
	}
}
