//go:build amd64 && !purego

package kernels

// Assembly of q4rp_avx2_amd64.s (see the comment at its top): Q4_0 row-lane
// tiles of 16 rows × N tokens in the repacked order (q4rp.go) for CPUs
// with AVX2, FMA and F16C but no AVX-512 VNNI. Every count is at least 1.

// q4rpAVX2Tile3 stores, for the 16 rows packed at p (q4rpAVX2Pack) and
// token t < 3 at a + t·astride (q4rpActAVX2's 64-byte blocks) with block
// scales at dx + t·dxstride bytes (scalesQ8AVX2), the 16 rows' results
// in the repacked order at out + t·ostride bytes; per block it prefetches
// into L2 the five cache lines at pf and advances pf by pfstep bytes.
//
//go:noescape
func q4rpAVX2Tile3(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

// q4rpAVX2Tile2 is q4rpAVX2Tile3 for 2 tokens.
//
//go:noescape
func q4rpAVX2Tile2(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

// q4rpAVX2Tile4 is q4rpAVX2Tile3 for 4 tokens (tokens 2 and 3 keep their
// accumulators on the stack).
//
//go:noescape
func q4rpAVX2Tile4(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)

// q4rpAVX2Pack writes the nb Q4_0 blocks of the 16 weight rows at w (rows
// stride bytes apart) as nb packed blocks of ilGroupBytes at dst, in
// vnniILPackQ4's layout (both 8-row halves).
//
//go:noescape
func q4rpAVX2Pack(dst, w *byte, stride, nb int)

// q4rpActAVX2 is q4rpActVNNI without VNNI: each of n (≥ 1) block_q8_0 at
// x as 64 bytes at dst, its 32 quants, then at 32 the int32 -8·Σx.
//
//go:noescape
func q4rpActAVX2(dst, x *byte, n int)

// q4rpAVX2Tiles[N] is the tile of N tokens (2 to 4: rowsQ4RPTiles spreads
// 2 or more tokens evenly over calls of at most 4, so 8 tokens run as 4+4).
var q4rpAVX2Tiles = [...]ilTile{nil, nil, q4rpAVX2Tile2, q4rpAVX2Tile3, q4rpAVX2Tile4}

// q4rpAVX2MaxTok is the most tokens a q4rpAVX2 tile takes.
const q4rpAVX2MaxTok = len(q4rpAVX2Tiles) - 1

// q4rpAVX2PfLine is the most bytes a tile prefetches a block (its five
// cache lines): enough for the next group's 16·18 bytes a block with one
// call a group, so the pack never prefetches.
const q4rpAVX2PfLine = 5 * 64
