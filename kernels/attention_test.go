package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/tensor"
)

// attnExact is attention in float64 from the float32 inputs, with the error
// bound that both the reference and the fast path satisfy, per head:
//
//	|out − exact| ≤ ε·Σ_p w_p·|v_p| + 2e-38·Σ_p|v_p|,  ε = 1.01·(2·(2δ + u·R + (1+expMaxErr)·u) + 2u + γ_{nCtx+nCtx/128+3})
//
// where δ = max_p (γ_{hd+1}·scale·Σ_i|q_i·k_{p,i}| + u·|s_p|) bounds each
// score's error (any-order float32 dot product, Higham §3.1, then the
// rounding of the scale multiply), R = max_p |s_p − max s| bounds the
// rounding of s_p − m (relative error of e_p = exp(s_p − m) ≤ 2δ + u·R + u,
// the last u from rounding exp to float32; the m used is itself a computed
// score; the fast path's polynomial exp adds expMaxErr·u, and it flushes
// weights below exp(-87) to 0, an absolute error under 2e-38·|v_p| since
// Σe ≥ 1), a weight e_p/Σe is off by at most twice that relative (numerator
// and denominator) plus u for 1/Σ, and the weighted sum of nCtx float32
// terms adds γ_{nCtx} relative to Σ w|v| (plus one u per online-softmax
// rescale, one per 128-position block, and the final scaling). First-order
// terms only; the factor 1.01 covers the second-order ones.
func attnExact(q, k, v []float32, nCtx, nHeads, nKVHeads, hd int, scale float32) (exact, bound []float64) {
	kvDim := nKVHeads * hd
	group := nHeads / nKVHeads
	gamma := func(n int) float64 { return float64(n) * u / (1 - float64(n)*u) }
	exact, bound = make([]float64, nHeads*hd), make([]float64, nHeads*hd)
	s := make([]float64, nCtx)
	for h := 0; h < nHeads; h++ {
		off := (h / group) * hd
		qh := q[h*hd : (h+1)*hd]
		var delta float64
		m := math.Inf(-1)
		for p := range s {
			var d, abs float64
			for i, x := range qh {
				pr := float64(x) * float64(k[p*kvDim+off+i])
				d += pr
				abs += math.Abs(pr)
			}
			s[p] = d * float64(scale)
			delta = max(delta, gamma(hd+1)*float64(scale)*abs+u*math.Abs(s[p]))
			m = max(m, s[p])
		}
		var sum, r float64
		for p := range s {
			r = max(r, math.Abs(s[p]-m))
			sum += math.Exp(s[p] - m)
		}
		eps := 1.01 * (2*(2*delta+u*r+(1+expMaxErr)*u) + 2*u + gamma(nCtx+nCtx/attnBlock+3))
		for i := 0; i < hd; i++ {
			var o, a, av float64
			for p := range s {
				w := math.Exp(s[p]-m) / sum
				x := float64(v[p*kvDim+off+i])
				o += w * x
				a += w * math.Abs(x)
				av += math.Abs(x)
			}
			exact[h*hd+i], bound[h*hd+i] = o, eps*a+2e-38*av
		}
	}
	return exact, bound
}

// withAsm runs f with the assembly kernels on (where the CPU has them) and
// off, naming the case.
func withAsm(t *testing.T, f func(t *testing.T, asm bool)) {
	old := useAsm
	defer func() { useAsm = old }()
	for _, asm := range []bool{true, false} {
		if asm && !haveAVX2FMA {
			continue
		}
		useAsm = asm
		f(t, asm)
	}
}

// TestAttentionVsExact holds the fast Attention (assembly where the CPU has
// AVX2+FMA+F16C, plain Go otherwise) and the reference to float64 attention
// within attnExact's bound, over head sizes that do and do not fill 8 lanes,
// grouped and plain heads, and contexts around the 128-position blocks.
func TestAttentionVsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	withAsm(t, func(t *testing.T, asm bool) {
		for _, hd := range []int{1, 5, 8, 16, 24, 64, 72, 128} {
			for _, heads := range [][2]int{{4, 2}, {3, 3}} {
				for _, nCtx := range []int{1, 2, 7, 127, 128, 129, 300} {
					nH, nKV := heads[0], heads[1]
					q := randF32(rng, nH*hd)
					k, v := randF32(rng, nCtx*nKV*hd), randF32(rng, nCtx*nKV*hd)
					for i := range q {
						q[i] *= 3 // peakier softmax
					}
					scale := float32(1 / math.Sqrt(float64(hd)))
					exact, bound := attnExact(q, k, v, nCtx, nH, nKV, hd, scale)
					fast, ref := make([]float32, len(q)), make([]float32, len(q))
					scores := make([]float32, nCtx)
					Attention(fast, q, k, v, scores, nCtx, nH, nKV, hd, scale)
					attentionRef(ref, q, k, v, scores, nCtx, nH, nKV, hd, scale)
					for i := range exact {
						for name, got := range map[string]float32{"fast": fast[i], "ref": ref[i]} {
							if d := math.Abs(float64(got) - exact[i]); !(d <= bound[i]) {
								t.Fatalf("asm=%v hd=%d heads=%v nCtx=%d: %s[%d] = %v, exact %v, |Δ| %g > bound %g",
									asm, hd, heads, nCtx, name, i, got, exact[i], d, bound[i])
							}
						}
					}
				}
			}
		}
	})
}

// TestAttentionCachedMatchesFlat checks the chunked KV cache (f32 and f16)
// against Attention on the same keys and values laid out flat (c.Rows): the
// blocks line up, so every token of a causal batch gives the same bits, and
// Store rounds f16 values as tensor.F32ToF16 and reads them back exactly.
func TestAttentionCachedMatchesFlat(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	withAsm(t, func(t *testing.T, asm bool) {
		for _, f16 := range []bool{false, true} {
			for _, hd := range []int{8, 12, 64} {
				const nH, nKV, ctx = 4, 2, 300
				c, err := NewKVCache(ctx, nKV, hd, f16)
				if err != nil {
					t.Fatal(err)
				}
				kvDim := nKV * hd
				scale := float32(0.3)
				// a prompt of 130 tokens, then single tokens, then a batch of 40
				for _, step := range []int{130, 1, 1, 40, 1} {
					pos0 := c.Len()
					k, v := randF32(rng, step*kvDim), randF32(rng, step*kvDim)
					if err := c.Store(pos0, k, v); err != nil {
						t.Fatal(err)
					}
					q := randF32(rng, step*nH*hd)
					out := make([]float32, len(q))
					AttentionCached(out, q, c, pos0, step, nH, scale)
					fk, fv := make([]float32, c.Len()*kvDim), make([]float32, c.Len()*kvDim)
					c.Rows(fk, fv)
					for i := range k {
						wk, wv := k[i], v[i]
						if f16 {
							wk, wv = tensor.F16ToF32(tensor.F32ToF16(wk)), tensor.F16ToF32(tensor.F32ToF16(wv))
						}
						if fk[pos0*kvDim+i] != wk || fv[pos0*kvDim+i] != wv {
							t.Fatalf("f16=%v: stored %v,%v read back as %v,%v", f16, k[i], v[i], fk[pos0*kvDim+i], fv[pos0*kvDim+i])
						}
					}
					for tk := 0; tk < step; tk++ {
						want := make([]float32, nH*hd)
						Attention(want, q[tk*nH*hd:(tk+1)*nH*hd], fk, fv, make([]float32, ctx), pos0+tk+1, nH, nKV, hd, scale)
						for i, w := range want {
							if g := out[tk*nH*hd+i]; math.Float32bits(g) != math.Float32bits(w) {
								t.Fatalf("asm=%v f16=%v hd=%d token %d at %d: out[%d] = %v, flat %v", asm, f16, hd, tk, pos0+tk, i, g, w)
							}
						}
					}
				}
			}
		}
	})
}

// TestAttentionThreads checks that a causal batch gives the same bits with
// 1, 2 and 3 worker threads.
func TestAttentionThreads(t *testing.T) {
	defer SetThreads(0)
	rng := rand.New(rand.NewPCG(9, 10))
	const nH, nKV, hd, ctx = 6, 2, 64, 400
	c, _ := NewKVCache(ctx, nKV, hd, false)
	if err := c.Store(0, randF32(rng, 300*nKV*hd), randF32(rng, 300*nKV*hd)); err != nil {
		t.Fatal(err)
	}
	q := randF32(rng, 100*nH*hd)
	var first []float32
	for _, th := range []int{1, 2, 3} {
		SetThreads(th)
		out := make([]float32, len(q))
		AttentionCached(out, q, c, 200, 100, nH, 0.125)
		if first == nil {
			first = out
			continue
		}
		for i := range out {
			if math.Float32bits(out[i]) != math.Float32bits(first[i]) {
				t.Fatalf("threads=%d: out[%d] = %v, threads=1 %v", th, i, out[i], first[i])
			}
		}
	}
}

// TestAttentionNaN checks that the fast path gives NaN exactly where the
// reference does: a NaN in one query head, one key, one value, an infinite
// score, and a head whose scores are all -Inf.
func TestAttentionNaN(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	const nH, nKV, hd, nCtx = 4, 2, 16, 200
	kvDim := nKV * hd
	cases := []struct {
		name string
		edit func(q, k, v []float32)
	}{
		{"none", func(q, k, v []float32) {}},
		{"q", func(q, k, v []float32) { q[hd+3] = nan }},
		{"k early", func(q, k, v []float32) { k[2*kvDim+1] = nan }},
		{"k late", func(q, k, v []float32) { k[150*kvDim+hd+5] = nan }},
		{"v", func(q, k, v []float32) { v[170*kvDim+7] = nan }},
		{"v inf", func(q, k, v []float32) { v[3*kvDim+hd] = inf }},
		{"score +inf", func(q, k, v []float32) { q[0], k[140*kvDim] = inf, 1 }},
		{"scores -inf", func(q, k, v []float32) {
			clear(q[2*hd : 3*hd])
			q[2*hd] = inf
			for p := 0; p < nCtx; p++ {
				k[p*kvDim+hd] = -1
			}
		}},
	}
	rng := rand.New(rand.NewPCG(11, 12))
	withAsm(t, func(t *testing.T, asm bool) {
		for _, c := range cases {
			q, k, v := randF32(rng, nH*hd), randF32(rng, nCtx*kvDim), randF32(rng, nCtx*kvDim)
			c.edit(q, k, v)
			fast, ref := make([]float32, len(q)), make([]float32, len(q))
			scores := make([]float32, nCtx)
			Attention(fast, q, k, v, scores, nCtx, nH, nKV, hd, 0.25)
			attentionRef(ref, q, k, v, scores, nCtx, nH, nKV, hd, 0.25)
			special := 0
			for i := range ref {
				if isNaN32(fast[i]) != isNaN32(ref[i]) || math.IsInf(float64(fast[i]), 0) != math.IsInf(float64(ref[i]), 0) {
					t.Fatalf("asm=%v %s: out[%d] = %v, reference %v", asm, c.name, i, fast[i], ref[i])
				}
				if isNaN32(ref[i]) || math.IsInf(float64(ref[i]), 0) {
					special++
				}
			}
			if (special == 0) != (c.name == "none") {
				t.Fatalf("asm=%v %s: %d NaN or Inf outputs", asm, c.name, special)
			}
		}
	})
}

func isNaN32(x float32) bool { return x != x }

// TestF16CConversion checks the assembly's VCVTPH2PS against
// tensor.F16ToF32, which defines the cache's values, for all 65536 halves
// (through attnAccumF16 with weight 1 onto -0, so x = -0 + 1·x exactly).
func TestF16CConversion(t *testing.T) {
	if !useAsm || !haveF16C {
		t.Skip("no AVX2+FMA+F16C assembly in this build")
	}
	h := make([]uint16, 1<<16)
	for i := range h {
		h[i] = uint16(i)
	}
	out := make([]float32, len(h))
	for i := range out {
		out[i] = float32(math.Copysign(0, -1))
	}
	w := []float32{1}
	attnAccumF16(&out[0], &w[0], &h[0], len(h), 1, len(h))
	for i, x := range h {
		if got, want := math.Float32bits(out[i]), math.Float32bits(tensor.F16ToF32(x)); got != want {
			t.Fatalf("half %#04x: VCVTPH2PS %#08x, tensor.F16ToF32 %#08x", x, got, want)
		}
	}
}

// TestKVCacheStore checks chunked allocation (no more than the positions
// used, rounded to a chunk for full chunks and to a power of two of at
// least 16 for the last, never past the context), replacing positions,
// and the errors for bad stores.
func TestKVCacheStore(t *testing.T) {
	const ctx, nKV, hd = 300, 2, 8
	kvDim := nKV * hd
	for _, f16 := range []bool{false, true} {
		c, err := NewKVCache(ctx, nKV, hd, f16)
		if err != nil {
			t.Fatal(err)
		}
		elt := 4
		if f16 {
			elt = 2
		}
		row := make([]float32, kvDim)
		for p := 0; p < ctx; p++ {
			for i := range row {
				row[i] = float32(p)
			}
			if err := c.Store(p, row, row); err != nil {
				t.Fatal(err)
			}
			// full chunks, then the last one's room: 16 positions,
			// doubled as they fill, at most the rest of the context
			full := (p + 1) / attnBlock * attnBlock
			alloc := full
			if rem := (p + 1) % attnBlock; rem != 0 {
				room := 16
				for room < rem {
					room *= 2
				}
				alloc += min(room, ctx-full)
			}
			if got, want := c.Bytes(), 2*alloc*kvDim*elt; got != want {
				t.Fatalf("f16=%v: %d positions hold %d bytes, want %d", f16, p+1, got, want)
			}
		}
		if err := c.Store(ctx, row, row); err == nil {
			t.Fatalf("f16=%v: store past the context succeeded", f16)
		}
		if err := c.Store(5, row, row[1:]); err == nil {
			t.Fatalf("f16=%v: store of mismatched k, v succeeded", f16)
		}
		for i := range row {
			row[i] = -1
		}
		if err := c.Store(10, row, row); err != nil || c.Len() != 11 {
			t.Fatalf("f16=%v: replacing position 10: %v, Len %d", f16, err, c.Len())
		}
		if err := c.Store(12, row, row); err == nil {
			t.Fatalf("f16=%v: store beyond Len succeeded", f16)
		}
		k, v := make([]float32, 11*kvDim), make([]float32, 11*kvDim)
		c.Rows(k, v)
		if k[9*kvDim] != 9 || k[10*kvDim] != -1 || v[10*kvDim+kvDim-1] != -1 {
			t.Fatalf("f16=%v: rows after replace: %v", f16, k[9*kvDim:])
		}
	}
	if _, err := NewKVCache(0, 1, 1, false); err == nil {
		t.Fatal("NewKVCache(0, ...) succeeded")
	}
}

// BenchmarkAttention measures the attention of one decode step at the 110M
// benchmark model's shape (12 layers of 12 heads of 64, no GQA) over 256 and
// 1024 cached positions, f32 and f16 cache, 1 and 2 threads: one op is all 12
// layers (each its own cache, so that at ctx 1024 the 75 MB f32 cache streams
// from memory as in a real decode), reported as µs/token.
func BenchmarkAttention(b *testing.B) {
	defer SetThreads(0)
	const nH, hd, layers = 12, 64, 12
	for _, ctx := range []int{256, 1024} {
		for _, f16 := range []bool{false, true} {
			for _, th := range benchThreads {
				b.Run(fmt.Sprintf("ctx=%d/f16=%v/threads=%d", ctx, f16, th), func(b *testing.B) {
					SetThreads(th)
					rng := rand.New(rand.NewPCG(1, 2))
					caches := make([]*KVCache, layers)
					k, v := randF32(rng, ctx*nH*hd), randF32(rng, ctx*nH*hd)
					for l := range caches {
						caches[l], _ = NewKVCache(ctx, nH, hd, f16)
						if err := caches[l].Store(0, k, v); err != nil {
							b.Fatal(err)
						}
					}
					q, out := randF32(rng, nH*hd), make([]float32, nH*hd)
					for b.Loop() {
						for _, c := range caches {
							AttentionCached(out, q, c, ctx-1, 1, nH, 0.125)
						}
					}
					b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e6, "µs/token")
				})
			}
		}
	}
}

// BenchmarkAttentionRef is the reference (the attention Forward ran before
// the fast path) at the same shape: f32, one thread, 12 layers' caches.
func BenchmarkAttentionRef(b *testing.B) {
	const nH, hd, layers = 12, 64, 12
	for _, ctx := range []int{256, 1024} {
		b.Run(fmt.Sprintf("ctx=%d", ctx), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			k, v := make([][]float32, layers), make([][]float32, layers)
			for l := range k {
				k[l], v[l] = randF32(rng, ctx*nH*hd), randF32(rng, ctx*nH*hd)
			}
			q, out, sc := randF32(rng, nH*hd), make([]float32, nH*hd), make([]float32, ctx)
			for b.Loop() {
				for l := range k {
					attentionRef(out, q, k[l], v[l], sc, ctx, nH, nH, hd, 0.125)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e6, "µs/token")
		})
	}
}

// expMaxErr is the largest relative error of attnExpSum's exp against
// math.Exp, in units of u: TestAttnExpSum measures it below and attnExact's
// bound uses it (2.0 measured).
const expMaxErr = 3

// TestAttnExpSum holds the assembly exp to math.Exp (of the float32
// difference, as the reference computes it) within expMaxErr·u relative on
// a dense sweep of [-87, 0] and on a random sample, gives exactly 0 below
// exp(-87) and for -Inf, keeps NaN, and returns the float64 sum.
func TestAttnExpSum(t *testing.T) {
	if !useAsm {
		t.Skip("no assembly in this build")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	x := make([]float32, 0, 1<<20)
	for y := float32(-87); y <= 0; y += 1.0 / 4096 {
		x = append(x, y)
	}
	for range 1 << 16 {
		x = append(x, -float32(rng.ExpFloat64()*3))
	}
	x = append(x, 0, -1e-30, float32(math.Copysign(0, -1)))
	for len(x)%8 != 0 {
		x = append(x, -0.5)
	}
	for _, m := range []float32{0, 2.5, -3} {
		in := make([]float32, len(x))
		for i := range x {
			in[i] = x[i] + m
		}
		got := append([]float32(nil), in...)
		sum := attnExpSum(&got[0], len(got), m)
		var want64, worst float64
		for i, v := range got {
			e := float32(math.Exp(float64(in[i] - m)))
			want64 += float64(e)
			rel := math.Abs(float64(v)-float64(e)) / float64(e)
			if float64(e) < 0x1p-126 { // subnormal results: absolute error
				rel = math.Abs(float64(v)-float64(e)) / 0x1p-126
			}
			worst = max(worst, rel/u)
			if rel > expMaxErr*u {
				t.Fatalf("m=%v: exp(%v) = %v, math.Exp %v: %.2f u", m, in[i]-m, v, e, rel/u)
			}
		}
		if math.Abs(sum-want64) > 1e-6*want64 {
			t.Fatalf("m=%v: sum %v, want %v", m, sum, want64)
		}
		t.Logf("m=%v: worst relative error %.2f u over %d values", m, worst, len(got))
	}
	special := []float32{float32(math.Inf(-1)), -87.5, -100, -1e30, float32(math.NaN()), -1, 0, -2}
	sum := attnExpSum(&special[0], 8, 0)
	if special[0] != 0 || special[1] != 0 || special[2] != 0 || special[3] != 0 || !isNaN32(special[4]) || special[6] != 1 || !math.IsNaN(sum) {
		t.Fatalf("specials: %v, sum %v", special, sum)
	}
}
