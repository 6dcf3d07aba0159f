package kernels

import "fmt"

// Forks and rollbacks of a KVCache (Clone, Truncate).
//
// Sharing rule: a chunk that is full (every one of its 128 positions, or
// of those below the context length, is stored) and below Len() is never
// written again by Store at Len(), so two caches may hold the same full
// chunk read-only. The chunk Len() falls in, when it is partly filled, is
// always a cache's own: Clone copies it, and Truncate copies a full chunk it cuts into before anything can overwrite
// its tail. Chunks at or past Len() rounded up to a chunk are released by
// Truncate, so Store at Len() always writes into the cache's own memory.

// Clone returns an independent copy of c: Store, Truncate and attention on
// either never change what the other reads. Full chunks are shared by the
// two caches (they are read-only from then on); the partly filled chunk at
// the end, if any, is copied (its used positions, into a chunk with room
// for them rounded up to a power of two), so a clone allocates at most one
// chunk of 128 positions until it stores more. Bytes counts shared chunks
// in each cache that holds them. (Store at a position below Len()
// truncates there first, so it too unshares the chunk it writes into.)
func (c *KVCache) Clone() *KVCache {
	kv := &c.view
	d, err := NewKVCache(c.ctx, kv.nKVHeads, kv.headDim, c.f16)
	if err != nil { // c was made by NewKVCache with the same arguments
		panic(fmt.Sprintf("kernels: KVCache.Clone: %v", err))
	}
	d.n = c.n
	if c.f16 {
		cloneChunks(d.view.k16, d.view.v16, kv.k16, kv.v16, c.n, kv, c.ctx)
	} else {
		cloneChunks(d.view.k32, d.view.v32, kv.k32, kv.v32, c.n, kv, c.ctx)
	}
	return d
}

// cloneChunks fills dstK, dstV with the chunks of keys and values srcK,
// srcV (laid out as kv says) that hold positions 0..n-1: full ones shared,
// the partly filled last one copied, only its used positions, into chunks
// with room for those rounded up (chunkRoom).
func cloneChunks[T float32 | uint16](dstK, dstV, srcK, srcV [][]T, n int, kv *kvView, ctx int) {
	chunkLen := kv.chunkLen
	for ch := 0; ch*chunkLen < n; ch++ {
		if room := min(chunkLen, ctx-ch*chunkLen); ch*chunkLen+room <= n {
			dstK[ch], dstV[ch] = srcK[ch], srcV[ch]
		} else {
			used := n - ch*chunkLen
			dstK[ch], dstV[ch] = regrowKV(srcK[ch], srcV[ch], kv.nKVHeads, kv.headDim, used, chunkRoom(used, room))
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
		truncateChunks(kv.k16, n, c.n, kv, c.ctx)
		truncateChunks(kv.v16, n, c.n, kv, c.ctx)
	} else {
		truncateChunks(kv.k32, n, c.n, kv, c.ctx)
		truncateChunks(kv.v32, n, c.n, kv, c.ctx)
	}
	c.n = n
	return nil
}

// truncateChunks releases the chunks of chunks from the one past position
// n-1 on and copies the chunk n cuts into when it was full (old positions
// held): it may be shared. The copy holds positions up to n only, in a
// chunk with room for them rounded up (chunkRoom).
func truncateChunks[T float32 | uint16](chunks [][]T, n, old int, kv *kvView, ctx int) {
	chunkLen := kv.chunkLen
	keep := (n + chunkLen - 1) / chunkLen
	for ch := keep; ch < len(chunks); ch++ {
		chunks[ch] = nil
	}
	if ch := n / chunkLen; n%chunkLen != 0 && min((ch+1)*chunkLen, ctx) <= old {
		room := min(chunkLen, ctx-ch*chunkLen)
		chunks[ch] = regrow(chunks[ch], kv.nKVHeads, kv.headDim, n%chunkLen, chunkRoom(n%chunkLen, room))
	}
}
