package llama

import (
	"testing"

	"github.com/llmpipe/llmpipe/model"
)

// TestKVCacheMemory checks that a sequence's KV cache holds only the chunks
// of 128 positions it has used, the last one only the positions used
// rounded up to a power of two of at least 16 (f16 half of f32), never
// past the context,
// and that a full context still decodes to the end and then reports
// ErrContextFull.
func TestKVCacheMemory(t *testing.T) {
	m := loadModel(t, "models/stories260K.gguf")
	c := m.Config
	for _, f16 := range []bool{false, true} {
		elt := 4
		if f16 {
			elt = 2
		}
		seq := m.NewSequence(model.SequenceOptions{KVF16: f16}).(*Sequence)
		perPos := 2 * c.NumLayers * c.NumKVHeads * c.HeadDim * elt
		for _, step := range []struct{ n, wantPos int }{{10, 16}, {118, 128}, {1, 128 + 16}, {c.ContextLength - 129, c.ContextLength}} {
			ids := make([]int, step.n)
			for i := range ids {
				ids[i] = 1 + i%100
			}
			if _, err := seq.Forward(ids, false); err != nil {
				t.Fatal(err)
			}
			if got, want := seq.KVBytes(), step.wantPos*perPos; got != want {
				t.Fatalf("f16=%v: %d positions hold %d bytes of KV cache, want %d", f16, seq.Len(), got, want)
			}
		}
		if seq.Len() != c.ContextLength {
			t.Fatalf("f16=%v: Len %d, want %d", f16, seq.Len(), c.ContextLength)
		}
		if _, err := seq.Forward([]int{1}, false); err == nil {
			t.Fatalf("f16=%v: Forward past the context succeeded", f16)
		}
	}
}
