package llama

import (
	"fmt"
	"runtime"
	"slices"
	"testing"

	"github.com/llmpipe/llmpipe/model"
)

// seqIDs returns n ids of stories260K's vocabulary (512), varied by seed.
func seqIDs(n, seed int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = 3 + (i*37+seed*101+i*i*seed)%509
	}
	return ids
}

// feed runs calls on seq, one Forward per call, and returns every logit
// (all positions) in order.
func feed(t *testing.T, seq model.Sequence, calls [][]int) []float32 {
	t.Helper()
	var out []float32
	for _, ids := range calls {
		l, err := seq.Forward(ids, true)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l...)
	}
	return out
}

// split cuts ids into calls of the given sizes (cycled).
func split(ids []int, sizes ...int) [][]int {
	var calls [][]int
	for i := 0; len(ids) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(ids))
		calls, ids = append(calls, ids[:n]), ids[n:]
	}
	return calls
}

// TestSequenceClone: after Clone, the original and the clone, fed
// different ids (interleaved), give bit for bit the logits of fresh
// sequences fed the same ids in the same calls, for forks inside chunks and
// at chunk boundaries, with float32 and float16 KV caches.
func TestSequenceClone(t *testing.T) {
	m := loadModel(t, "models/stories260K.gguf")
	for _, f16 := range []bool{false, true} {
		opts := model.SequenceOptions{KVF16: f16}
		for _, fork := range []int{0, 1, 60, 127, 128, 129, 256, 300, 511} {
			t.Run(fmt.Sprintf("f16=%v/fork=%d", f16, fork), func(t *testing.T) {
				prefix := split(seqIDs(fork, 1), max(fork/2, 1), 1)
				orig := m.NewSequence(opts)
				feed(t, orig, prefix)
				clone := orig.(model.Cloner).Clone()
				if clone.Len() != fork {
					t.Fatalf("clone Len %d, want %d", clone.Len(), fork)
				}
				rest := min(150, m.Config.ContextLength-fork)
				a, b := split(seqIDs(rest, 2), 1, 7, 1, 40), split(seqIDs(rest, 3), 1, 7, 1, 40)
				var gotA, gotB []float32
				for i := range a { // interleaved: neither side may see the other's positions
					gotA = append(gotA, feed(t, orig, a[i:i+1])...)
					gotB = append(gotB, feed(t, clone, b[i:i+1])...)
				}
				for _, side := range []struct {
					name  string
					calls [][]int
					got   []float32
				}{{"original", a, gotA}, {"clone", b, gotB}} {
					fresh := m.NewSequence(opts)
					feed(t, fresh, prefix)
					if want := feed(t, fresh, side.calls); !slices.Equal(side.got, want) {
						t.Errorf("%s: logits differ from a fresh sequence's", side.name)
					}
				}
			})
		}
	}
}

// TestSequenceTruncate: Truncate then Forward gives bit for bit the logits
// of a fresh sequence fed the kept ids and then the new ones (cuts inside
// chunks, at boundaries, to 0 and to Len), also on a clone whose original
// keeps its positions; bad lengths are errors that change nothing.
func TestSequenceTruncate(t *testing.T) {
	m := loadModel(t, "models/stories260K.gguf")
	for _, f16 := range []bool{false, true} {
		opts := model.SequenceOptions{KVF16: f16}
		ids := seqIDs(300, 4)
		for _, cut := range []int{0, 1, 100, 128, 129, 200, 256, 300} {
			t.Run(fmt.Sprintf("f16=%v/cut=%d", f16, cut), func(t *testing.T) {
				next := split(seqIDs(80, 5), 1, 30, 1)
				// The 300 ids in two calls, cut at the first call's end, so
				// that the kept positions were batched as the fresh
				// sequence's are.
				seq := m.NewSequence(opts)
				feed(t, seq, split(ids, max(cut, 1), 300))
				other := seq.(model.Cloner).Clone()
				if err := seq.(model.Truncater).Truncate(cut); err != nil {
					t.Fatal(err)
				}
				if seq.Len() != cut {
					t.Fatalf("Len %d after Truncate(%d)", seq.Len(), cut)
				}
				got := feed(t, seq, next)
				fresh := m.NewSequence(opts)
				if cut > 0 {
					feed(t, fresh, [][]int{ids[:cut]})
				}
				if want := feed(t, fresh, next); !slices.Equal(got, want) {
					t.Errorf("logits after Truncate(%d) differ from a fresh sequence's", cut)
				}
				// The clone made before the cut still continues its 300 ids.
				got = feed(t, other, next)
				fresh = m.NewSequence(opts)
				feed(t, fresh, split(ids, max(cut, 1), 300))
				if want := feed(t, fresh, next); !slices.Equal(got, want) {
					t.Errorf("the clone's logits changed when its original was truncated to %d", cut)
				}
			})
		}
	}
	seq := m.NewSequence(model.SequenceOptions{})
	tr := seq.(model.Truncater)
	if err := tr.Truncate(0); err != nil || seq.Len() != 0 {
		t.Errorf("Truncate(0) of an empty sequence: %v", err)
	}
	feed(t, seq, [][]int{seqIDs(10, 6)})
	for _, n := range []int{-1, 11} {
		if err := tr.Truncate(n); err == nil || seq.Len() != 10 {
			t.Errorf("Truncate(%d) of 10 positions: %v, Len %d", n, err, seq.Len())
		}
	}
}

// TestSequenceCloneMemory: a clone of a long sequence allocates at most
// one chunk of 128 positions per layer (keys and values) until it runs more
// positions; Truncate releases the chunks past the cut.
func TestSequenceCloneMemory(t *testing.T) {
	m := loadModel(t, "models/stories260K.gguf")
	c := m.Config
	for _, f16 := range []bool{false, true} {
		elt := 4
		if f16 {
			elt = 2
		}
		chunk := 2 * 128 * c.NumKVHeads * c.HeadDim * elt // keys and values of one layer
		for _, n := range []int{256, 400} {
			seq := m.NewSequence(model.SequenceOptions{KVF16: f16}).(*Sequence)
			feed(t, seq, [][]int{seqIDs(n, 7)})
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			before := ms.TotalAlloc
			const reps = 10
			for range reps {
				_ = seq.Clone()
			}
			runtime.ReadMemStats(&ms)
			per := int(ms.TotalAlloc-before) / reps
			want := 0
			if n%128 != 0 {
				want = c.NumLayers * chunk
			}
			if per > want+4096 {
				t.Errorf("f16=%v: a clone of %d positions allocates %d bytes, want at most %d (one chunk per layer) + 4 KiB; the cache holds %d",
					f16, n, per, want, seq.KVBytes())
			}
			if err := seq.Truncate(130); err != nil {
				t.Fatal(err)
			}
			// chunk 0, and chunk 1 copied with room for its 2 positions
			// kept (16: the least a chunk is allocated for)
			if got, want := seq.KVBytes(), c.NumLayers*chunk/128*(128+16); got != want {
				t.Errorf("f16=%v: %d bytes after Truncate(130), want %d (a chunk and 16 positions per layer)", f16, got, want)
			}
		}
	}
}
