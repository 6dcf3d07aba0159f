package kernels

import (
	"fmt"
	"unsafe"
)

// AttentionBatch runs AttentionCached for several sequences (each with its
// own KV cache and positions) in one parallel loop over all their (token,
// head) rows: a batched decode step of N sequences hands the worker pool
// one job per layer instead of N. It is the one loop every attention call
// runs (AttentionCached and Attention are batches of one), so each
// sequence's result has the same bits alone or in a batch. Add queues a
// sequence, Run computes them all and empties the queue; the zero value is
// ready, and keeping one AttentionBatch across steps allocates nothing.
type AttentionBatch struct {
	items  []attnItem
	starts []int // starts[i]: the first global row of item i; starts[len(items)] = all rows
	nHeads int
	scale  float32
	n      int // chunks
	fn     func(c int)
}

// attnItem is one queued sequence.
type attnItem struct {
	out, q []float32
	kv     *kvView
	pos0   int
}

// Add queues one sequence: q and out [nTok, nHeads, headDim] (nHeads as
// given to Run), its cache c holding positions 0..pos0+nTok-1 (the queries'
// own keys and values stored).
func (b *AttentionBatch) Add(out, q []float32, c *KVCache, pos0, nTok int) {
	kv := &c.view
	if nTok < 0 || pos0 < 0 || pos0+nTok > c.n || kv.headDim == 0 || len(q)%(kv.headDim) != 0 ||
		(nTok > 0 && len(q)/kv.headDim%nTok != 0) || len(out) != len(q) {
		panic(fmt.Sprintf("kernels: AttentionBatch.Add q %d out %d, %d tokens at %d; cache holds %d positions of %d KV heads of %d",
			len(q), len(out), nTok, pos0, c.n, kv.nKVHeads, kv.headDim))
	}
	b.add(out, q, kv, pos0, nTok)
}

// add queues the nTok·nHeads rows of q and out on the KV view kv: token t
// (position pos0+t) sees positions 0..pos0+t.
func (b *AttentionBatch) add(out, q []float32, kv *kvView, pos0, nTok int) {
	if nTok == 0 {
		return
	}
	if len(b.starts) == 0 {
		b.starts = append(b.starts, 0)
	}
	b.items = append(b.items, attnItem{out: out, q: q, kv: kv, pos0: pos0})
	b.starts = append(b.starts, b.starts[len(b.starts)-1]+len(q)/kv.headDim)
}

// Run computes the queued sequences' attention with nHeads query heads
// (a multiple of each cache's KV heads) and the given scale, then empties
// the queue. The rows of all sequences are dealt round-robin to up to
// 4·Threads() chunks that the worker pool claims as it goes (causal rows
// differ in length); each row is computed whole by one goroutine, so the
// result does not depend on the thread count or on the batch.
func (b *AttentionBatch) Run(nHeads int, scale float32) {
	defer b.reset()
	if len(b.items) == 0 {
		return
	}
	work := 0
	for i, it := range b.items {
		if nHeads%it.kv.nKVHeads != 0 || (b.starts[i+1]-b.starts[i])%nHeads != 0 {
			panic(fmt.Sprintf("kernels: AttentionBatch.Run with %d heads: sequence %d has %d rows and %d KV heads",
				nHeads, i, b.starts[i+1]-b.starts[i], it.kv.nKVHeads))
		}
		nTok := (b.starts[i+1] - b.starts[i]) / nHeads
		work += nTok * nHeads * (it.pos0 + (nTok+1)/2) * attnRowWork(it.kv.headDim)
	}
	b.nHeads, b.scale = nHeads, scale
	rows := b.starts[len(b.items)]
	p := getPool(work >= 2*minChunkWork)
	b.n = min(4*p.threads, rows, work/minChunkWork)
	if b.n <= 1 || p.threads <= 1 {
		b.n = 1
		b.chunk(0)
		return
	}
	if b.fn == nil {
		b.fn = b.chunk
	}
	p.parallel(b.n, b.fn)
}

// chunk runs the global rows c, c+n, c+2n, …: row g of item i is its row
// g - starts[i] = t·nHeads + h, query head h of token t, which reads KV
// head h / (nHeads/nKVHeads).
func (b *AttentionBatch) chunk(c int) {
	i, rows := 0, b.starts[len(b.items)]
	for g := c; g < rows; g += b.n {
		for g >= b.starts[i+1] {
			i++
		}
		if useAsm && havePrefetch && g+b.n < rows {
			b.prefetch(i, g+b.n)
		}
		it := &b.items[i]
		r := g - b.starts[i]
		hd := it.kv.headDim
		tok, h := r/b.nHeads, r%b.nHeads
		group := b.nHeads / it.kv.nKVHeads
		attendHead(it.out[r*hd:(r+1)*hd], it.q[r*hd:(r+1)*hd], it.kv, h/group, it.pos0+tok+1, b.scale)
	}
}

// prefetchMax is the most bytes of keys (and as many of values) that
// prefetch asks for: a decode step's short contexts (a few KiB a head),
// whose every head is read once a layer from memory that the weights
// streamed through the caches since; a long context's own stream keeps
// the hardware prefetcher busy.
const prefetchMax = 8 << 10

// prefetch asks the CPU to load the keys and values that global row g
// (of item i or a later one) reads, so that they arrive while the row
// before it is computed (a KV cache's head-major chunks only; results do
// not change).
func (b *AttentionBatch) prefetch(i, g int) {
	for g >= b.starts[i+1] {
		i++
	}
	it := &b.items[i]
	kv := it.kv
	if !kv.headMajor {
		return
	}
	r := g - b.starts[i]
	tok, h := r/b.nHeads, r%b.nHeads
	kvh := h / (b.nHeads / kv.nKVHeads)
	nCtx := it.pos0 + tok + 1
	// the chunk holding the row's last positions (the first ones of a
	// long context are a stream the hardware follows)
	c := (nCtx - 1) / kv.chunkLen
	n := min(nCtx-c*kv.chunkLen, prefetchMax/(kv.headDim*4))
	off := kv.headOff(c, kvh) + (nCtx-c*kv.chunkLen-n)*kv.posStride
	if kv.k16 != nil {
		k, v := kv.k16[c][off:], kv.v16[c][off:]
		prefetchBytes((*byte)(unsafe.Pointer(&k[0])), 2*n*kv.headDim)
		prefetchBytes((*byte)(unsafe.Pointer(&v[0])), 2*n*kv.headDim)
		return
	}
	k, v := kv.k32[c][off:], kv.v32[c][off:]
	prefetchBytes((*byte)(unsafe.Pointer(&k[0])), 4*n*kv.headDim)
	prefetchBytes((*byte)(unsafe.Pointer(&v[0])), 4*n*kv.headDim)
}

// reset empties the queue, dropping the references to the sequences'
// buffers and caches.
func (b *AttentionBatch) reset() {
	clear(b.items)
	b.items, b.starts = b.items[:0], b.starts[:0]
}
