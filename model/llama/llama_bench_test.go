package llama

import (
	"testing"

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
