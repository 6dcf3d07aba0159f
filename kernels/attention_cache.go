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
// never beyond the context length. The last chunk starts with room for 16
// positions and doubles as it fills (its positions copied to the larger
// one), so what is held is what has been used, rounded up to a chunk for
// the full chunks and to a power of two (at least 16) for the last: a short
// sequence (a server's request) touches a few KiB per layer, not 128
// positions' worth, and a full chunk is never copied again. Within a chunk
// the layout is head-major, [nKVHeads, room, headDim], so that one head's
// keys (and values) are one contiguous stream.
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

// minChunkRoom is the fewest positions a chunk is allocated for.
const minChunkRoom = 16

// chunkRoom returns the positions to allocate for a chunk that has room
// for at most most positions and must hold used: the least power of two
// times minChunkRoom that holds them, or most.
func chunkRoom(used, most int) int {
	r := minChunkRoom
	for r < used {
		r *= 2
	}
	return min(r, most)
}

// room returns the positions chunk ch is allocated for (0: none yet).
func (c *KVCache) room(ch int) int {
	kv := &c.view
	if c.f16 {
		return len(kv.k16[ch]) / (kv.nKVHeads * kv.headDim)
	}
	return len(kv.k32[ch]) / (kv.nKVHeads * kv.headDim)
}

// regrow returns a new chunk with room for room positions of nKVHeads heads
// of headDim elements ([nKVHeads, room, headDim]) that holds the first keep
// positions of every head of old ([nKVHeads, len(old)/(nKVHeads·headDim),
// headDim]; nil when keep is 0).
func regrow[T float32 | uint16](old []T, nKVHeads, headDim, keep, room int) []T {
	return regrowInto(make([]T, nKVHeads*room*headDim), old, nKVHeads, headDim, keep, room)
}

// regrowKV is regrow of a chunk of keys and its chunk of values, both in
// one allocation (a decode step that grows the chunk allocates once per
// layer).
func regrowKV[T float32 | uint16](k, v []T, nKVHeads, headDim, keep, room int) ([]T, []T) {
	n := nKVHeads * room * headDim
	buf := make([]T, 2*n)
	return regrowInto(buf[:n:n], k, nKVHeads, headDim, keep, room), regrowInto(buf[n:], v, nKVHeads, headDim, keep, room)
}

// regrowInto is regrow into out ([nKVHeads, room, headDim], zero).
func regrowInto[T float32 | uint16](out, old []T, nKVHeads, headDim, keep, room int) []T {
	if keep == 0 {
		return out
	}
	had := len(old) / (nKVHeads * headDim)
	for h := 0; h < nKVHeads; h++ {
		copy(out[h*room*headDim:(h*room+keep)*headDim], old[h*had*headDim:(h*had+keep)*headDim])
	}
	return out
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
	hd, last := kv.headDim, pos0+nTok-1
	for t := 0; t < nTok; t++ {
		p := pos0 + t
		ch, within := p/kv.chunkLen, p%kv.chunkLen
		positions := c.room(ch)
		if within >= positions {
			// The chunk (the cache's own: it is not full) is too small:
			// one with room for this store's positions in it, or more,
			// holding its first positions.
			room := min(kv.chunkLen, c.ctx-ch*kv.chunkLen)
			grown := chunkRoom(min(last-ch*kv.chunkLen+1, room), room)
			if c.f16 {
				kv.k16[ch], kv.v16[ch] = regrowKV(kv.k16[ch], kv.v16[ch], kv.nKVHeads, hd, positions, grown)
			} else {
				kv.k32[ch], kv.v32[ch] = regrowKV(kv.k32[ch], kv.v32[ch], kv.nKVHeads, hd, positions, grown)
			}
			positions = grown
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
		positions := c.room(ch)
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
