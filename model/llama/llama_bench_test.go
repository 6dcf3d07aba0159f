package llama

import (
	"fmt"
	"os"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/model"
)

// BenchmarkDecode measures one-token decode steps on stories260K.gguf with
// the reference kernels, restarting the sequence when the context is full.
func BenchmarkDecode(b *testing.B) {
	m := loadModel(b, "models/stories260K.gguf")
	seq := m.NewSequence(model.SequenceOptions{})
	n := 0
	for b.Loop() {
		if seq.Len() == m.ContextLength() {
			seq = m.NewSequence(model.SequenceOptions{})
		}
		if _, err := seq.Forward([]int{1 + n%100}, false); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tok/s")
}

// BenchmarkPrefill measures a 256-token batched prompt on stories260K.gguf.
func BenchmarkPrefill(b *testing.B) {
	m := loadModel(b, "models/stories260K.gguf")
	ids := make([]int, 256)
	for i := range ids {
		ids[i] = 1 + i%500
	}
	n := 0
	for b.Loop() {
		if _, err := m.NewSequence(model.SequenceOptions{}).Forward(ids, false); err != nil {
			b.Fatal(err)
		}
		n += len(ids)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tok/s")
}

// BenchmarkDecodeFile measures decode steps of the GGUF model named by
// $LLMPIPE_BENCH_MODEL (e.g. a benchmark model of ../shared/peers/BENCH.md;
// skipped when unset) after a prompt of 256 and 1024 tokens, with the KV
// cache in f32 and f16. Each op is one token; the context grows by one per
// op, so keep -benchtime small (e.g. 32x).
func BenchmarkDecodeFile(b *testing.B) {
	path := os.Getenv("LLMPIPE_BENCH_MODEL")
	if path == "" {
		b.Skip("LLMPIPE_BENCH_MODEL not set")
	}
	f, err := gguf.OpenMapped(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	m, err := Load(f)
	if err != nil {
		b.Fatal(err)
	}
	for _, ctx := range []int{256, 1024} {
		for _, f16 := range []bool{false, true} {
			b.Run(fmt.Sprintf("ctx=%d/kvf16=%v", ctx, f16), func(b *testing.B) {
				ids := make([]int, ctx)
				for i := range ids {
					ids[i] = 1 + i%500
				}
				seq := m.NewSequence(model.SequenceOptions{KVF16: f16})
				if _, err := seq.Forward(ids, false); err != nil {
					b.Fatal(err)
				}
				n := 0
				for b.Loop() {
					if seq.Len() == m.ContextLength() {
						b.Fatal("context full: use a smaller -benchtime")
					}
					if _, err := seq.Forward([]int{1 + n%100}, false); err != nil {
						b.Fatal(err)
					}
					n++
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tok/s")
			})
		}
	}
}
