package kernels

import "fmt"

// Attention computes causal scaled dot-product attention for one query token
// that sees the first nCtx cached positions, with grouped KV heads: query head
// h reads KV head h / (nHeads/nKVHeads). For each head,
//
//	out_h = Σ_p softmax_p(scale · q_h·k_{p,h'}) · v_{p,h'}
//
// scale is usually 1/√headDim. scores is scratch space of at least nCtx
// elements.
//
//	q: [nHeads, headDim]   k, v: [≥nCtx, nKVHeads, headDim]   → out: [nHeads, headDim]
func Attention(out, q, k, v, scores []float32, nCtx, nHeads, nKVHeads, headDim int, scale float32) {
	kvDim := nKVHeads * headDim
	if nKVHeads <= 0 || nHeads%nKVHeads != 0 || len(q) != nHeads*headDim || len(out) != len(q) ||
		len(k) < nCtx*kvDim || len(v) < nCtx*kvDim || len(scores) < nCtx {
		panic(fmt.Sprintf("kernels: Attention q %d out %d k %d v %d scores %d, want nHeads %d nKVHeads %d headDim %d nCtx %d",
			len(q), len(out), len(k), len(v), len(scores), nHeads, nKVHeads, headDim, nCtx))
	}
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
