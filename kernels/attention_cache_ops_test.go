package kernels

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"unsafe"

	"github.com/llmpipe/llmpipe/tensor"
)

// cacheOpsShape is the cache the Clone/Truncate tests use: 300 positions
// (chunks of 128, 128 and 44), 2 KV heads of 8, 4 query heads.
const (
	opsCtx, opsKVHeads, opsHeadDim, opsHeads = 300, 2, 8, 4
	opsKVDim                                 = opsKVHeads * opsHeadDim
)

// kvStream is the keys and values a test stores, position by position.
type kvStream struct{ k, v []float32 }

func randStream(rng *rand.Rand, n int) kvStream {
	s := kvStream{make([]float32, n*opsKVDim), make([]float32, n*opsKVDim)}
	for i := range s.k {
		s.k[i], s.v[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	return s
}

func (s kvStream) cat(t kvStream) kvStream {
	return kvStream{append(slices.Clip(s.k), t.k...), append(slices.Clip(s.v), t.v...)}
}

func (s kvStream) rows(a, b int) kvStream {
	return kvStream{s.k[a*opsKVDim : b*opsKVDim], s.v[a*opsKVDim : b*opsKVDim]}
}

// storeSteps stores s[from:to) into c in steps of the given sizes (cycled).
func storeSteps(t *testing.T, c *KVCache, s kvStream, from, to int, steps []int) {
	t.Helper()
	for i, p := 0, from; p < to; i++ {
		n := min(steps[i%len(steps)], to-p)
		if err := c.Store(p, s.rows(p, p+n).k, s.rows(p, p+n).v); err != nil {
			t.Fatal(err)
		}
		p += n
	}
}

// sameCache checks that got holds exactly want's positions (Rows) and that
// attention over both is bit-identical, for queries at the last positions.
func sameCache(t *testing.T, what string, got, want *KVCache, rng *rand.Rand) {
	t.Helper()
	if got.Len() != want.Len() {
		t.Fatalf("%s: %d positions, want %d", what, got.Len(), want.Len())
	}
	n := got.Len()
	gk, gv := make([]float32, n*opsKVDim), make([]float32, n*opsKVDim)
	wk, wv := make([]float32, n*opsKVDim), make([]float32, n*opsKVDim)
	got.Rows(gk, gv)
	want.Rows(wk, wv)
	if !slices.Equal(gk, wk) || !slices.Equal(gv, wv) {
		t.Fatalf("%s: cached rows differ", what)
	}
	nTok := min(n, 5)
	q := make([]float32, nTok*opsHeads*opsHeadDim)
	for i := range q {
		q[i] = float32(rng.NormFloat64())
	}
	a, b := make([]float32, len(q)), make([]float32, len(q))
	AttentionCached(a, q, got, n-nTok, nTok, opsHeads, 0.35)
	AttentionCached(b, q, want, n-nTok, nTok, opsHeads, 0.35)
	if !slices.Equal(a, b) {
		t.Fatalf("%s: attention differs", what)
	}
}

func newOpsCache(t *testing.T, f16 bool) *KVCache {
	t.Helper()
	c, err := NewKVCache(opsCtx, opsKVHeads, opsHeadDim, f16)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestKVCacheClone: a clone and its original, fed different positions
// after the fork, each hold exactly what a fresh cache fed the same
// positions holds, for forks inside chunks, at chunk boundaries, at 0 and
// at the end of the context, in float32 and float16.
func TestKVCacheClone(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	steps := []int{1, 7, 1, 50}
	for _, f16 := range []bool{false, true} {
		for _, fork := range []int{0, 1, 100, 127, 128, 129, 200, 255, 256, 257, 299, 300} {
			prefix := randStream(rng, fork)
			orig := newOpsCache(t, f16)
			storeSteps(t, orig, prefix, 0, fork, []int{fork/3 + 1, 1})
			clone := orig.Clone()
			if clone.Len() != fork || clone.F16() != f16 || clone.ContextLength() != opsCtx {
				t.Fatalf("f16=%v fork %d: clone Len %d F16 %v ctx %d", f16, fork, clone.Len(), clone.F16(), clone.ContextLength())
			}
			rest := opsCtx - fork
			a, b := prefix.cat(randStream(rng, rest)), prefix.cat(randStream(rng, rest))
			// Interleave the two sides' stores: neither may see the other's.
			for p := fork; p < opsCtx; {
				n := min(steps[p%len(steps)], opsCtx-p)
				storeSteps(t, orig, a, p, p+n, []int{n})
				storeSteps(t, clone, b, p, p+n, []int{n})
				p += n
			}
			for _, side := range []struct {
				name string
				c    *KVCache
				s    kvStream
			}{{"original", orig, a}, {"clone", clone, b}} {
				fresh := newOpsCache(t, f16)
				storeSteps(t, fresh, side.s, 0, opsCtx, []int{opsCtx})
				sameCache(t, side.name, side.c, fresh, rng)
			}
		}
	}
}

// unsharedChunks counts the chunks of c (keys and values) whose memory is
// not shared with o.
func unsharedChunks(c, o *KVCache) int {
	n := 0
	if c.f16 {
		for i := range c.view.k16 {
			n += countUnshared(c.view.k16[i], o.view.k16[i]) + countUnshared(c.view.v16[i], o.view.v16[i])
		}
		return n
	}
	for i := range c.view.k32 {
		n += countUnshared(c.view.k32[i], o.view.k32[i]) + countUnshared(c.view.v32[i], o.view.v32[i])
	}
	return n
}

func countUnshared[T float32 | uint16](a, b []T) int {
	if len(a) == 0 || (len(b) > 0 && unsafe.SliceData(a) == unsafe.SliceData(b)) {
		return 0
	}
	return 1
}

// TestKVCacheCloneShares: a clone shares every full chunk with its
// original and owns at most one chunk of keys and one of values (the partly
// filled last one) until it stores more; its allocation is that chunk.
func TestKVCacheCloneShares(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, f16 := range []bool{false, true} {
		elt := 4
		if f16 {
			elt = 2
		}
		for _, n := range []int{1, 128, 200, 256, 290, 300} {
			orig := newOpsCache(t, f16)
			storeSteps(t, orig, randStream(rng, n), 0, n, []int{n})
			clone := orig.Clone()
			want := 0
			if n%128 != 0 && n != opsCtx {
				want = 2
			}
			if got := unsharedChunks(clone, orig); got != want {
				t.Errorf("f16=%v n=%d: the clone owns %d chunks, want %d", f16, n, got, want)
			}
			if clone.Bytes() != orig.Bytes() {
				t.Errorf("f16=%v n=%d: Bytes %d, original %d", f16, n, clone.Bytes(), orig.Bytes())
			}
			// Allocation: one chunk of keys and one of values at most, plus
			// the cache's own small bookkeeping.
			before := allocBytes()
			for range 10 {
				_ = orig.Clone()
			}
			after := allocBytes()
			chunk := 2 * 128 * opsKVDim * elt
			if per := (after - before) / 10; per > chunk+1024 {
				t.Errorf("f16=%v n=%d: a clone allocates %d bytes, want at most one chunk (%d) + 1 KiB", f16, n, per, chunk)
			}
		}
	}
}

// TestKVCacheTruncate: truncating (inside a chunk, at a boundary, to 0,
// to Len) then storing gives what a fresh cache fed the same positions
// holds, on a cache and on a clone that shares its chunks, and releases
// the dropped chunks. Out-of-range lengths are errors that change nothing.
func TestKVCacheTruncate(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, f16 := range []bool{false, true} {
		elt := 4
		if f16 {
			elt = 2
		}
		for _, cut := range []int{0, 1, 64, 127, 128, 129, 250, 256, 270, 280} {
			base := randStream(rng, 280)
			orig := newOpsCache(t, f16)
			storeSteps(t, orig, base, 0, 280, []int{33, 1})
			clone := orig.Clone()
			if err := clone.Truncate(cut); err != nil {
				t.Fatal(err)
			}
			if clone.Len() != cut {
				t.Fatalf("Len %d after Truncate(%d)", clone.Len(), cut)
			}
			// full chunks, then the chunk cut falls in: a full one is
			// copied with room for cut%128 positions, the partly filled
			// last one (24 positions) is the clone's copy of it
			full := cut / 128 * 128
			want := full
			if rem := cut % 128; rem != 0 {
				used := rem
				if full+128 > 280 {
					used = 280 - full
				}
				want += chunkRoom(used, min(128, opsCtx-full))
			}
			if want *= 2 * opsKVDim * elt; clone.Bytes() != want {
				t.Errorf("f16=%v cut %d: %d bytes after Truncate, want %d", f16, cut, clone.Bytes(), want)
			}
			// The clone rewrites positions cut.. with other values; the
			// original must keep its own.
			alt := base.rows(0, cut).cat(randStream(rng, opsCtx-cut))
			storeSteps(t, clone, alt, cut, opsCtx, []int{5, 1, 64})
			fresh := newOpsCache(t, f16)
			storeSteps(t, fresh, alt, 0, opsCtx, []int{opsCtx})
			sameCache(t, "truncated clone", clone, fresh, rng)
			fresh = newOpsCache(t, f16)
			storeSteps(t, fresh, base, 0, 280, []int{280})
			sameCache(t, "original after its clone was truncated", orig, fresh, rng)

			// And the other way round: truncate the original, the clone
			// keeps its positions.
			clone = orig.Clone()
			if err := orig.Truncate(cut); err != nil {
				t.Fatal(err)
			}
			storeSteps(t, orig, alt, cut, 290, []int{3})
			fresh = newOpsCache(t, f16)
			storeSteps(t, fresh, base, 0, 280, []int{280})
			sameCache(t, "clone after its original was truncated", clone, fresh, rng)
			fresh = newOpsCache(t, f16)
			storeSteps(t, fresh, alt, 0, 290, []int{290})
			sameCache(t, "truncated original", orig, fresh, rng)
		}
	}
	c := newOpsCache(t, false)
	storeSteps(t, c, randStream(rng, 10), 0, 10, []int{10})
	for _, n := range []int{-1, 11} {
		if err := c.Truncate(n); err == nil || c.Len() != 10 {
			t.Errorf("Truncate(%d) of 10 positions: %v, Len %d", n, err, c.Len())
		}
	}
	if err := c.Truncate(10); err != nil || c.Len() != 10 {
		t.Errorf("Truncate(Len): %v, Len %d", err, c.Len())
	}
}

// allocBytes is the heap allocated so far (runtime.MemStats.TotalAlloc).
func allocBytes() int {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int(ms.TotalAlloc)
}

// TestKVCacheStoreBelowLenAfterClone: a Store at a position below Len() on a
// clone (or on the original) rewrites only its own cache, even where that
// position lies in a full chunk the two share.
func TestKVCacheStoreBelowLenAfterClone(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, f16 := range []bool{false, true} {
		for _, at := range []int{0, 5, 127, 128, 200, 255} {
			base := randStream(rng, 280)
			alt := base.rows(0, at).cat(randStream(rng, opsCtx-at))
			orig := newOpsCache(t, f16)
			storeSteps(t, orig, base, 0, 280, []int{280})
			clone := orig.Clone()
			storeSteps(t, clone, alt, at, at+3, []int{3})
			fresh := newOpsCache(t, f16)
			storeSteps(t, fresh, base, 0, 280, []int{280})
			sameCache(t, "original after its clone stored below Len", orig, fresh, rng)
			fresh = newOpsCache(t, f16)
			storeSteps(t, fresh, alt, 0, at+3, []int{at + 3})
			sameCache(t, "clone after a store below Len", clone, fresh, rng)

			clone = orig.Clone()
			storeSteps(t, orig, alt, at, at+3, []int{3})
			fresh = newOpsCache(t, f16)
			storeSteps(t, fresh, base, 0, 280, []int{280})
			sameCache(t, "clone after its original stored below Len", clone, fresh, rng)
		}
	}
}

// TestF32ToF16Halves: the f16 KV cache's converter equals tensor.F32ToF16
// on every length 0..40 (vector body and scalar tail), with NaN, ±Inf,
// ±0, subnormals, halfway cases and values beyond the f16 range.
func TestF32ToF16Halves(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)),
		1e-8, -6e-8, 65504, 65520, -70000, 1.0009765625 + 0.00048828125, 2.5e-5}
	for n := 0; n <= 40; n++ {
		x := make([]float32, n)
		for i := range x {
			if rng.IntN(3) == 0 {
				x[i] = special[rng.IntN(len(special))]
			} else {
				x[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-4)))
			}
		}
		got := make([]uint16, n)
		f32ToF16Halves(got, x)
		for i, v := range x {
			if want := tensor.F32ToF16(v); got[i] != want {
				t.Fatalf("n=%d [%d] %v: %#04x, tensor.F32ToF16 %#04x", n, i, v, got[i], want)
			}
		}
	}
}
