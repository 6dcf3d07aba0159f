package kernels

import (
	"fmt"

	"github.com/llmpipe/llmpipe/tensor"
)

// KVCache holds one attention layer's cached keys and values for one
// sequence, in float32 or, with f16, as IEEE half floats (half the memory;
// each value rounded as tensor.F32ToF16 does, read back exactly as
// tensor.F16ToF32, which is what llama.cpp's default f16 cache stores).
//
// Memory is allocated in chunks of 128 positions as positions are stored,
// never beyond the context length: what is held is what has been used,
// rounded up to a chunk, and storing a token never copies the cache. Within a
// chunk the layout is head-major, [nKVHeads, positions, headDim], so that one
// head's keys (and values) are one contiguous stream.
//
// A KVCache is not safe for concurrent use.
type KVCache struct {
	view kvView
	ctx  int
	n    int
	f16  bool
	attn AttentionBatch // AttentionCached's, kept so that a decode step allocates nothing
}

// NewKVCache returns an empty cache for up to ctx positions of nKVHeads
// heads of headDim elements.
func NewKVCache(ctx, nKVHeads, headDim int, f16 bool) (*KVCache, error) {
	if ctx < 1 || nKVHeads < 1 || headDim < 1 {
		return nil, fmt.Errorf("kernels: KV cache of %d positions, %d KV heads of %d elements", ctx, nKVHeads, headDim)
	}
	chunks := (ctx + attnBlock - 1) / attnBlock
	c := &KVCache{ctx: ctx, f16: f16, view: kvView{
		chunkLen: attnBlock, posStride: headDim, headMajor: true, nKVHeads: nKVHeads, headDim: headDim,
	}}
	if f16 {
		c.view.k16, c.view.v16 = make([][]uint16, chunks), make([][]uint16, chunks)
	} else {
		c.view.k32, c.view.v32 = make([][]float32, chunks), make([][]float32, chunks)
	}
	return c, nil
}

// Len returns the number of positions stored.
func (c *KVCache) Len() int { return c.n }

// ContextLength returns the most positions the cache can hold.
func (c *KVCache) ContextLength() int { return c.ctx }

// F16 reports whether keys and values are stored as half floats.
func (c *KVCache) F16() bool { return c.f16 }

// Bytes returns the memory held by the cached keys and values.
func (c *KVCache) Bytes() int {
	n := 0
	for i := range c.view.k32 {
		n += 4 * (len(c.view.k32[i]) + len(c.view.v32[i]))
	}
	for i := range c.view.k16 {
		n += 2 * (len(c.view.k16[i]) + len(c.view.v16[i]))
	}
	return n
}

// Store writes the keys and values of nTok = len(k)/(nKVHeads·headDim)
// tokens at positions pos0.. and makes the cache pos0+nTok positions long;
// pos0 may be below Len() (the positions from pos0 on are replaced and the
// rest dropped, as Truncate(pos0) then Store would: a chunk shared with a
// Clone is copied before it is written) but not above it.
//
//	k, v: [nTok, nKVHeads·headDim]
func (c *KVCache) Store(pos0 int, k, v []float32) error {
	kv := &c.view
	kvDim := kv.nKVHeads * kv.headDim
	if len(k) != len(v) || len(k)%kvDim != 0 {
		return fmt.Errorf("kernels: KV cache store of %d keys and %d values, want [nTok, %d] each", len(k), len(v), kvDim)
	}
	nTok := len(k) / kvDim
	if pos0 < 0 || pos0 > c.n || pos0+nTok > c.ctx {
		return fmt.Errorf("kernels: KV cache store of %d positions at %d: cache holds %d of %d", nTok, pos0, c.n, c.ctx)
	}
	if pos0 < c.n {
		// Chunks may be shared with a Clone: Truncate copies the one pos0
		// cuts into when it was full and releases the later ones.
		if err := c.Truncate(pos0); err != nil {
			return err
		}
	}
	hd := kv.headDim
	for t := 0; t < nTok; t++ {
		p := pos0 + t
		ch, within := p/kv.chunkLen, p%kv.chunkLen
		positions := min(kv.chunkLen, c.ctx-ch*kv.chunkLen)
		if c.f16 {
			if kv.k16[ch] == nil {
				kv.k16[ch], kv.v16[ch] = make([]uint16, positions*kvDim), make([]uint16, positions*kvDim)
			}
		} else if kv.k32[ch] == nil {
			kv.k32[ch], kv.v32[ch] = make([]float32, positions*kvDim), make([]float32, positions*kvDim)
		}
		for h := 0; h < kv.nKVHeads; h++ {
			src := t*kvDim + h*hd
			dst := (h*positions + within) * hd
			if c.f16 {
				f32ToF16Halves(kv.k16[ch][dst:dst+hd], k[src:src+hd])
				f32ToF16Halves(kv.v16[ch][dst:dst+hd], v[src:src+hd])
			} else {
				copy(kv.k32[ch][dst:dst+hd], k[src:src+hd])
				copy(kv.v32[ch][dst:dst+hd], v[src:src+hd])
			}
		}
	}
	c.n = pos0 + nTok
	return nil
}

// Rows copies the stored keys and values, as float32, into k and v
// ([Len(), nKVHeads·headDim] each): the flat layout Attention reads.
func (c *KVCache) Rows(k, v []float32) {
	kv := &c.view
	kvDim, hd := kv.nKVHeads*kv.headDim, kv.headDim
	if len(k) != c.n*kvDim || len(v) != len(k) {
		panic(fmt.Sprintf("kernels: KVCache.Rows into %d and %d elements, want [%d, %d]", len(k), len(v), c.n, kvDim))
	}
	for p := 0; p < c.n; p++ {
		ch, within := p/kv.chunkLen, p%kv.chunkLen
		positions := min(kv.chunkLen, c.ctx-ch*kv.chunkLen)
		for h := 0; h < kv.nKVHeads; h++ {
			src, dst := (h*positions+within)*hd, p*kvDim+h*hd
			for i := 0; i < hd; i++ {
				if c.f16 {
					k[dst+i] = tensor.F16ToF32(kv.k16[ch][src+i])
					v[dst+i] = tensor.F16ToF32(kv.v16[ch][src+i])
				} else {
					k[dst+i] = kv.k32[ch][src+i]
					v[dst+i] = kv.v32[ch][src+i]
				}
			}
		}
	}
}

// AttentionCached computes causal attention for nTok query tokens at
// positions pos0..pos0+nTok-1 over the cache (pos0+nTok ≤ c.Len()): token t
// sees positions 0..pos0+t, query head h reads KV head h/(nHeads/nKVHeads),
// and
//
//	out_{t,h} = Σ_{p ≤ pos0+t} softmax_p(scale · q_{t,h}·k_{p,h'}) · v_{p,h'}
//
// All tokens × heads are split over the worker pool; the result is the same
// for any thread count and matches Attention on c.Rows to float32 rounding.
//
//	q: [nTok, nHeads, headDim]   → out: [nTok, nHeads, headDim]
func AttentionCached(out, q []float32, c *KVCache, pos0, nTok, nHeads int, scale float32) {
	kv := &c.view
	if nTok < 0 || pos0 < 0 || pos0+nTok > c.n || nHeads%kv.nKVHeads != 0 ||
		len(q) != nTok*nHeads*kv.headDim || len(out) != len(q) {
		panic(fmt.Sprintf("kernels: AttentionCached q %d out %d, %d tokens at %d, %d heads; cache holds %d positions of %d KV heads of %d",
			len(q), len(out), nTok, pos0, nHeads, c.n, kv.nKVHeads, kv.headDim))
	}
	if nTok == 0 {
		return
	}
	c.attn.add(out, q, kv, pos0, nTok)
	c.attn.Run(nHeads, scale)
}
