package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestAttentionBatch: several sequences (different lengths, token counts,
// f32 and f16 caches, grouped KV heads) through one AttentionBatch give
// every sequence the bits AttentionCached gives it alone, with 1 and 2
// threads, and the batch is reusable step after step.
func TestAttentionBatch(t *testing.T) {
	defer SetThreads(0)
	rng := rand.New(rand.NewPCG(11, 12))
	for _, f16 := range []bool{false, true} {
		for _, th := range []int{1, 2} {
			SetThreads(th)
			var b AttentionBatch
			for step := range 3 {
				lens := []int{1, 37, 130, 5, 256} // positions cached before this step's tokens
				toks := []int{1, 1, 3, 0, 2}
				var caches []*KVCache
				var qs, want, got [][]float32
				for i := range lens {
					c := newOpsCache(t, f16)
					n := lens[i] + toks[i] + step
					storeSteps(t, c, randStream(rng, n), 0, n, []int{n})
					q := make([]float32, toks[i]*opsHeads*opsHeadDim)
					for j := range q {
						q[j] = float32(rng.NormFloat64())
					}
					caches, qs = append(caches, c), append(qs, q)
					w := make([]float32, len(q))
					AttentionCached(w, q, c, n-toks[i], toks[i], opsHeads, 0.35)
					want = append(want, w)
					g := make([]float32, len(q))
					got = append(got, g)
					b.Add(g, q, c, n-toks[i], toks[i])
				}
				b.Run(opsHeads, 0.35)
				for i := range want {
					for j := range want[i] {
						if !sameFloat(got[i][j], want[i][j]) {
							t.Fatalf("f16=%v threads=%d step %d sequence %d [%d]: %v, AttentionCached %v", f16, th, step, i, j, got[i][j], want[i][j])
						}
					}
				}
				if len(b.items) != 0 || len(b.starts) != 0 {
					t.Fatal("Run left sequences queued")
				}
			}
		}
	}
	var b AttentionBatch
	b.Run(opsHeads, 1) // an empty batch does nothing
	c := newOpsCache(t, false)
	storeSteps(t, c, randStream(rng, 4), 0, 4, []int{4})
	defer func() {
		if recover() == nil {
			t.Error("Add of more tokens than the cache holds did not panic")
		}
	}()
	b.Add(make([]float32, 8*opsHeads*opsHeadDim), make([]float32, 8*opsHeads*opsHeadDim), c, 0, 8)
}
