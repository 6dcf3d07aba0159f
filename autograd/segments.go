package autograd

import "fmt"

// AttentionSegments is Attention over packed sequences: each of the batch
// sequences of T rows holds several examples one after another, and seg
// (one id per row of q) says which example a row belongs to. A maximal run
// of equal ids within a sequence is one segment, and a position attends only
// to the earlier positions of its own segment (a block-diagonal causal
// mask), so packed examples do not see each other, as in Krell et al. 2021
// ("Efficient sequence packing without cross-contamination") and Hugging
// Face's packing with position_ids. Give each segment positions that restart
// at 0 (SegmentPositions) for RoPE or learned positions, and an example
// packed with others computes exactly what it computes alone.
//
//	q: [batch·T, nHeads·headDim]   k, v: [batch·T, nKVHeads·headDim]   seg: [batch·T]   → [batch·T, nHeads·headDim]
//
// The backward pass is Attention's with the same mask. With every id equal
// within each sequence the result is Attention's, bit for bit.
func AttentionSegments(tp *Tape, q, k, v *Var, batch, nHeads, nKVHeads int, scale float32, seg []int32) *Var {
	if len(seg) != q.Rows || batch <= 0 || q.Rows%batch != 0 {
		panic(fmt.Sprintf("autograd: AttentionSegments q %v with %d segment ids in %d sequences", q, len(seg), batch))
	}
	return attention(tp, q, k, v, batch, nHeads, nKVHeads, scale, segmentStarts(seg, q.Rows/batch))
}

// segmentStarts returns, for every row of sequences of T rows, the position
// (within its sequence) where its segment begins.
func segmentStarts(seg []int32, T int) []int {
	start := make([]int, len(seg))
	for r := range seg {
		t := r % T
		if t > 0 && seg[r] == seg[r-1] {
			start[r] = start[r-1]
		} else {
			start[r] = t
		}
	}
	return start
}

// SegmentPositions returns the position of every row within its segment
// (see AttentionSegments): 0 at the first row of each segment and of each
// sequence of T rows, counting up from there. These are the positions a
// packed example would have alone, for RoPE or a position embedding.
func SegmentPositions(seg []int32, T int) []int {
	if T <= 0 || len(seg)%T != 0 {
		panic(fmt.Sprintf("autograd: SegmentPositions of %d ids in sequences of %d", len(seg), T))
	}
	pos := segmentStarts(seg, T)
	for r := range pos {
		pos[r] = r%T - pos[r]
	}
	return pos
}
