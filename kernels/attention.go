package kernels

import (
	"fmt"
	"math"

	"github.com/llmpipe/llmpipe/tensor"
)

// Attention computes causal scaled dot-product attention for one query token
// that sees the first nCtx cached positions, with grouped KV heads: query head
// h reads KV head h / (nHeads/nKVHeads). For each head,
//
//	out_h = Σ_p softmax_p(scale · q_h·k_{p,h'}) · v_{p,h'}
//
// scale is usually 1/√headDim. scores is scratch space of at least nCtx
// elements (the fast path does not need it; it is kept for the reference).
//
// It runs the same fast path as AttentionCached (blocked online softmax,
// assembly dot products and weighted sums, heads split over the worker pool)
// on a flat cache; attentionRef defines the result, which the fast path
// matches to float32 rounding (see attendHead), and the result does not depend
// on the thread count.
//
//	q: [nHeads, headDim]   k, v: [≥nCtx, nKVHeads, headDim]   → out: [nHeads, headDim]
func Attention(out, q, k, v, scores []float32, nCtx, nHeads, nKVHeads, headDim int, scale float32) {
	checkAttention(out, q, k, v, scores, nCtx, nHeads, nKVHeads, headDim)
	if nCtx == 0 {
		clear(out) // as the reference: no positions, no values
		return
	}
	kv := kvView{
		k32: [][]float32{k[:nCtx*nKVHeads*headDim]}, v32: [][]float32{v[:nCtx*nKVHeads*headDim]},
		chunkLen: nCtx, posStride: nKVHeads * headDim, nKVHeads: nKVHeads, headDim: headDim,
	}
	var b AttentionBatch
	b.add(out, q, &kv, nCtx-1, 1)
	b.Run(nHeads, scale)
}

func checkAttention(out, q, k, v, scores []float32, nCtx, nHeads, nKVHeads, headDim int) {
	kvDim := nKVHeads * headDim
	if nKVHeads <= 0 || nHeads%nKVHeads != 0 || nCtx < 0 || headDim < 0 || len(q) != nHeads*headDim || len(out) != len(q) ||
		len(k) < nCtx*kvDim || len(v) < nCtx*kvDim || len(scores) < nCtx {
		panic(fmt.Sprintf("kernels: Attention q %d out %d k %d v %d scores %d, want nHeads %d nKVHeads %d headDim %d nCtx %d",
			len(q), len(out), len(k), len(v), len(scores), nHeads, nKVHeads, headDim, nCtx))
	}
}

// attentionRef is the reference Attention: per head, every score by Dot,
// Softmax (float64 denominator), then out_h = Σ_p w_p·v_p in float32 in
// order of p.
func attentionRef(out, q, k, v, scores []float32, nCtx, nHeads, nKVHeads, headDim int, scale float32) {
	checkAttention(out, q, k, v, scores, nCtx, nHeads, nKVHeads, headDim)
	kvDim := nKVHeads * headDim
	group := nHeads / nKVHeads
	sc := scores[:nCtx]
	for h := 0; h < nHeads; h++ {
		qh := q[h*headDim : (h+1)*headDim]
		kvOff := (h / group) * headDim
		for p := range sc {
			sc[p] = Dot(qh, k[p*kvDim+kvOff:p*kvDim+kvOff+headDim]) * scale
		}
		Softmax(sc)
		oh := out[h*headDim : (h+1)*headDim]
		clear(oh)
		for p, w := range sc {
			vp := v[p*kvDim+kvOff : p*kvDim+kvOff+headDim]
			for i, x := range vp {
				oh[i] += w * x
			}
		}
	}
}

// attnBlock is how many positions attendHead scores at a time (its scratch
// lives on the stack); a KV cache chunk holds the same number of positions.
const attnBlock = 128

// kvView locates cached keys and values for the attention kernels. Positions
// [c·chunkLen, (c+1)·chunkLen) live in chunk c (k32/v32 for float32, k16/v16
// for half floats), either position-major ([positions, nKVHeads·headDim],
// posStride nKVHeads·headDim) or, if headMajor, head-major ([nKVHeads,
// positions, headDim], posStride headDim; the last chunk may hold fewer
// positions).
type kvView struct {
	k32, v32          [][]float32
	k16, v16          [][]uint16
	chunkLen          int
	posStride         int
	headMajor         bool
	nKVHeads, headDim int
}

// headOff returns the offset in chunk c of KV head kvh's first position.
func (kv *kvView) headOff(c, kvh int) int {
	if !kv.headMajor {
		return kvh * kv.headDim
	}
	var n int
	if kv.k16 != nil {
		n = len(kv.k16[c])
	} else {
		n = len(kv.k32[c])
	}
	return kvh * (n / kv.nKVHeads)
}

// scores sets sc[p] = scale·q·k_p for the len(sc) positions starting at
// offset off of chunk c and returns the largest score (a NaN may or may not
// be returned; attendHead's NaN handling does not depend on it).
func (kv *kvView) scores(sc, q []float32, c, off int, scale float32) float32 {
	n, hd, stride := len(sc), len(q), kv.posStride
	if kv.k16 != nil {
		k := kv.k16[c][off : off+(n-1)*stride+hd]
		if useAsm && haveF16C && hd%8 == 0 && hd > 0 {
			return attnScoresF16(&sc[0], &q[0], &k[0], stride, n, hd, scale)
		}
		// Converted first, the dot products are the float32 path's, so an
		// f16 cache gives the bits of an f32 cache holding the same values.
		var buf [512]float32
		for p := range sc {
			kp := k[p*stride : p*stride+hd]
			if hd <= len(buf) {
				row := buf[:hd]
				for i, x := range kp {
					row[i] = tensor.F16ToF32(x)
				}
				sc[p] = dotFast(q, row) * scale
				continue
			}
			var s float32
			for i, x := range q {
				s += x * tensor.F16ToF32(kp[i])
			}
			sc[p] = s * scale
		}
		return maxF32(sc)
	}
	k := kv.k32[c][off : off+(n-1)*stride+hd]
	if useAsm && hd%8 == 0 && hd > 0 {
		return attnScoresF32(&sc[0], &q[0], &k[0], stride, n, hd, scale)
	}
	for p := range sc {
		sc[p] = dotFast(q, k[p*stride:p*stride+hd]) * scale
	}
	return maxF32(sc)
}

// maxF32 returns the largest element of x (len(x) > 0), skipping NaNs after
// the first element.
func maxF32(x []float32) float32 {
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	return m
}

// accum adds Σ_p w[p]·v_p to out for the len(w) positions starting at
// offset off of chunk c.
func (kv *kvView) accum(out, w []float32, c, off int) {
	n, hd, stride := len(w), len(out), kv.posStride
	if kv.v16 != nil {
		v := kv.v16[c][off : off+(n-1)*stride+hd]
		if useAsm && haveF16C && hd%8 == 0 && hd > 0 {
			attnAccumF16(&out[0], &w[0], &v[0], stride, n, hd)
			return
		}
		for p, wp := range w {
			vp := v[p*stride : p*stride+hd]
			for i := range out {
				out[i] += wp * tensor.F16ToF32(vp[i])
			}
		}
		return
	}
	v := kv.v32[c][off : off+(n-1)*stride+hd]
	if useAsm && hd%8 == 0 && hd > 0 {
		attnAccumF32(&out[0], &w[0], &v[0], stride, n, hd)
		return
	}
	for p, wp := range w {
		vp := v[p*stride : p*stride+hd]
		for i := range out {
			out[i] += wp * vp[i]
		}
	}
}

// attendHead sets out = Σ_{p<nCtx} softmax_p(scale·q·k_p)·v_p for KV head
// kvh (nCtx ≥ 1), in blocks of at most attnBlock positions with an online
// softmax (Milakov & Gimelshein 2018; FlashAttention, Dao et al. 2022): per
// block the scores, the running maximum m (out and the float64 denominator
// are rescaled by exp(m_old-m_new) when it grows), e_p = exp(s_p-m) summed in
// float64, and out += Σ e_p·v_p; at the end out is multiplied by 1/Σe_p.
// Without assembly e_p is math.Exp rounded to float32 as Softmax computes it;
// the assembly path uses an AVX2 polynomial exp within 3 ulp of that (2
// measured) that gives 0 below exp(-87). Against the reference (Softmax, then
// Σ w_p·v_p) only those exps, the dot products' summation order, the FMA
// roundings and the place of the 1/Σ scaling differ: float32 rounding of the
// same sums (the tests' attnExact bound).
//
// Like the reference, any NaN score, a +Inf score, or scores that are all
// -Inf make every output NaN; a NaN or Inf in v spreads through the sum.
func attendHead(out, q []float32, kv *kvView, kvh, nCtx int, scale float32) {
	var buf [attnBlock]float32
	clear(out)
	m := float32(math.Inf(-1))
	var sum float64
	seen := false // a block with a maximum above -Inf has been added
	for p0 := 0; p0 < nCtx; {
		c, within := p0/kv.chunkLen, p0%kv.chunkLen
		n := min(attnBlock, kv.chunkLen-within, nCtx-p0)
		off := kv.headOff(c, kvh) + within*kv.posStride
		sc := buf[:n]
		bm := kv.scores(sc, q, c, off, scale)
		p0 += n
		if bm == float32(math.Inf(-1)) {
			// Every score is -Inf or NaN: weights exp(-Inf - m) = 0
			// unless every block is like this (then NaN below).
			for _, s := range sc {
				if s != s {
					sum = math.NaN()
				}
			}
			continue
		}
		if !seen {
			m, seen = bm, true
		} else if bm > m {
			r := float32(math.Exp(float64(m - bm)))
			for i := range out {
				out[i] *= r
			}
			sum *= float64(r)
			m = bm
		}
		if useAsm {
			np := (n + 7) &^ 7 // padded with -Inf: exp gives 0
			for i := n; i < np; i++ {
				buf[i] = float32(math.Inf(-1))
			}
			sum += attnExpSum(&buf[0], np, m)
		} else {
			for i, s := range sc {
				e := float32(math.Exp(float64(s - m)))
				sc[i] = e
				sum += float64(e)
			}
		}
		kv.accum(out, sc, c, off)
	}
	if !seen {
		for i := range out {
			out[i] = float32(math.NaN())
		}
		return
	}
	inv := float32(1 / sum)
	for i := range out {
		out[i] *= inv
	}
}

// attnRowWork is the estimated cost of one position of one head in
// multiply-adds: the dot product and weighted sum (2·headDim) and the exp.
func attnRowWork(headDim int) int { return 2*headDim + 24 }
