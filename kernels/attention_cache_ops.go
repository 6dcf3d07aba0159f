package kernels

import "fmt"

// Forks and rollbacks of a KVCache (Clone, Truncate).
//
// Sharing rule: a chunk that is full (every position it has room for is
// stored) and below Len() is never written again by Store at Len(), so two
// caches may hold the same full chunk read-only. The chunk Len() falls in,
// when it is partly filled, is always a cache's own: Clone copies it, and
// Truncate copies a full chunk it cuts into before anything can overwrite
// its tail. Chunks at or past Len() rounded up to a chunk are released by
// Truncate, so Store at Len() always writes into the cache's own memory.

// Clone returns an independent copy of c: Store, Truncate and attention on
// either never change what the other reads. Full chunks are shared by the
// two caches (they are read-only from then on); the partly filled chunk at
// the end, if any, is copied, so a clone allocates at most one chunk of
// 128 positions until it stores more. Bytes counts shared chunks in each
// cache that holds them. (Store at a position below Len() truncates there
// first, so it too unshares the chunk it writes into.)
func (c *KVCache) Clone() *KVCache {
	kv := &c.view
	d, err := NewKVCache(c.ctx, kv.nKVHeads, kv.headDim, c.f16)
	if err != nil { // c was made by NewKVCache with the same arguments
		panic(fmt.Sprintf("kernels: KVCache.Clone: %v", err))
	}
	d.n = c.n
	if c.f16 {
		cloneChunks(d.view.k16, kv.k16, c.n, kv.chunkLen, c.ctx)
		cloneChunks(d.view.v16, kv.v16, c.n, kv.chunkLen, c.ctx)
	} else {
		cloneChunks(d.view.k32, kv.k32, c.n, kv.chunkLen, c.ctx)
		cloneChunks(d.view.v32, kv.v32, c.n, kv.chunkLen, c.ctx)
	}
	return d
}

// cloneChunks fills dst with the chunks of src that hold positions 0..n-1:
// full ones shared, the partly filled last one copied.
func cloneChunks[T float32 | uint16](dst, src [][]T, n, chunkLen, ctx int) {
	for ch := 0; ch*chunkLen < n; ch++ {
		if min((ch+1)*chunkLen, ctx) <= n {
			dst[ch] = src[ch]
		} else {
			dst[ch] = append([]T(nil), src[ch]...)
		}
	}
}

// Truncate drops positions n.. so that the next Store continues at n
// (0 ≤ n ≤ Len(), else an error and c is unchanged). The memory of the
// dropped chunks is released; a full chunk that n cuts into is copied first,
// since a Clone may share it.
func (c *KVCache) Truncate(n int) error {
	if n < 0 || n > c.n {
		return fmt.Errorf("kernels: KV cache truncate to %d positions: cache holds %d", n, c.n)
	}
	if n == c.n {
		return nil
	}
	kv := &c.view
	if c.f16 {
		truncateChunks(kv.k16, n, c.n, kv.chunkLen, c.ctx)
		truncateChunks(kv.v16, n, c.n, kv.chunkLen, c.ctx)
	} else {
		truncateChunks(kv.k32, n, c.n, kv.chunkLen, c.ctx)
		truncateChunks(kv.v32, n, c.n, kv.chunkLen, c.ctx)
	}
	c.n = n
	return nil
}

// truncateChunks releases the chunks of chunks from the one past position
// n-1 on and copies the chunk n cuts into when it was full (old positions
// held): it may be shared.
func truncateChunks[T float32 | uint16](chunks [][]T, n, old, chunkLen, ctx int) {
	keep := (n + chunkLen - 1) / chunkLen
	for ch := keep; ch < len(chunks); ch++ {
		chunks[ch] = nil
	}
	if ch := n / chunkLen; n%chunkLen != 0 && min((ch+1)*chunkLen, ctx) <= old {
		chunks[ch] = append([]T(nil), chunks[ch]...)
	}
}
