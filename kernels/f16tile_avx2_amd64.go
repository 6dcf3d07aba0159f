//go:build amd64 && !purego

package kernels

// The AVX2 register tiles of f16tile_avx2_amd64.s: 16-bit (and float32)
// weight rows times 2-4 float32 tokens, each weight chunk converted (or
// loaded) once per group of tokens, every output in dot8F16X's
// (dotF16AVX2's; float32: dotAVX2's) order. They serve the server's batched
// decode steps (2..tileAVX2MaxTok tokens) where the AVX-512VL tiles of
// f32tile_amd64.s do not run.

// tile34F16A sets out[t·os+r] = Σ_{j<n} w[r·ws+j]·x[t·xs+j] for 3 binary16
// rows r (ws bytes apart) and 4 float32 tokens t (xs floats apart), each in
// dot8F16X's order. n ≥ 8; each token is readable and zero from n up to n
// rounded up to a multiple of 8. It prefetches into L2 the weights pf bytes
// past row 0 (the next tiles' rows).
//
//go:noescape
func tile34F16A(w *byte, ws int, x *float32, xs int, n int, out *float32, os int, pf int)

// tile43F16A is tile34F16A for 4 rows and 3 tokens.
//
//go:noescape
func tile43F16A(w *byte, ws int, x *float32, xs int, n int, out *float32, os int, pf int)

// tile62F16A is tile34F16A for 6 rows and 2 tokens.
//
//go:noescape
func tile62F16A(w *byte, ws int, x *float32, xs int, n int, out *float32, os int, pf int)

// tile34BF16A is tile34F16A for bfloat16 rows (dot8BF16X's order).
//
//go:noescape
func tile34BF16A(w *byte, ws int, x *float32, xs int, n int, out *float32, os int, pf int)

// tile43BF16A is tile43F16A for bfloat16 rows.
//
//go:noescape
func tile43BF16A(w *byte, ws int, x *float32, xs int, n int, out *float32, os int, pf int)

// tile62BF16A is tile62F16A for bfloat16 rows.
//
//go:noescape
func tile62BF16A(w *byte, ws int, x *float32, xs int, n int, out *float32, os int, pf int)

// tile34F32A is tile34F16A for float32 rows ws floats apart (gemm; each
// sum in dotAVX2's order); n is a positive multiple of 8.
//
//go:noescape
func tile34F32A(w *float32, ws int, x *float32, xs int, n int, out *float32, os int, pf int)

// tile43F32A is tile34F32A for 4 rows and 3 tokens.
//
//go:noescape
func tile43F32A(w *float32, ws int, x *float32, xs int, n int, out *float32, os int, pf int)

// tile62F32A is tile34F32A for 6 rows and 2 tokens.
//
//go:noescape
func tile62F32A(w *float32, ws int, x *float32, xs int, n int, out *float32, os int, pf int)

// halfTileFn is the signature of the tiles above.
type halfTileFn func(w *byte, ws int, x *float32, xs int, n int, out *float32, os int, pf int)

// halfTilesAVX2 are one 16-bit type's tiles, indexed by the group's token
// count (2, 3, 4); rows[k] is the tile's row count.
type halfTilesAVX2 struct {
	tile [5]halfTileFn
	rows [5]int
}

var (
	f16TilesAVX2 = halfTilesAVX2{
		tile: [5]halfTileFn{2: tile62F16A, 3: tile43F16A, 4: tile34F16A},
		rows: [5]int{2: 6, 3: 4, 4: 3},
	}
	bf16TilesAVX2 = halfTilesAVX2{
		tile: [5]halfTileFn{2: tile62BF16A, 3: tile43BF16A, 4: tile34BF16A},
		rows: [5]int{2: 6, 3: 4, 4: 3},
	}
)

// useTileAVX2 selects the tiles of f16tile_avx2_amd64.s for 16-bit Rows
// and gemm (MatMul) of 2..tileAVX2MaxTok tokens where the AVX-512VL tiles
// do not run; tests turn it off to compare them with the older AVX2 paths.
var useTileAVX2 = true

// tileAVX2MaxTok is the most tokens for which Rows and gemm run the AVX2
// tiles: the server's batched decode steps (up to 16 sequences). Longer
// prompts run gemm's 4 × 3 tiles (16-bit rows converted to float32 in
// blocks).
const tileAVX2MaxTok = 16

// halfTileBlockBytes is how many bytes of weight rows rowsTileAVX2 runs
// against every group of tokens before moving on (they stay in L2).
const halfTileBlockBytes = 96 << 10

// tilesAVX2 returns the kernel's AVX2 tiles, or nil if it has none.
func (h *halfKernel) tilesAVX2() *halfTilesAVX2 {
	switch h {
	case f16Kernel:
		return &f16TilesAVX2
	case bf16Kernel:
		return &bf16TilesAVX2
	}
	return nil
}

// wantTileAVX2 reports whether rows() runs rowsTileAVX2 for nTok tokens
// (the assembly on, cols ≥ 8).
func (h *halfKernel) wantTileAVX2(nTok int) bool {
	return useTileAVX2 && nTok >= 2 && nTok <= tileAVX2MaxTok && h.tilesAVX2() != nil
}

// rowsTileAVX2 is rows() with the AVX2 tiles (cols ≥ 8, shapes checked by
// rows): the tokens are converted to float32 (exact, zero-padded to a
// multiple of 8), then per block of rows that stays in L2, groups of 4
// tokens run 3 × 4 tiles and the last group of 3 or 2 tokens a 4 × 3 or
// 6 × 2 tile; a last single token runs through dot8 and dot4. Rows left
// over after the last whole tile run through dot, one token at a time.
func (h *halfKernel) rowsTileAVX2(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	tl := h.tilesAVX2()
	wb := 2 * cols
	c8 := (cols + 7) &^ 7
	xf := getF32Scratch(nTok * c8)
	defer putF32Scratch(xf)
	for t := 0; t < nTok; t++ {
		h.toF32Padded(xf[t*c8:(t+1)*c8], xq[t*wb:(t+1)*wb])
	}
	blk := max(12, halfTileBlockBytes/wb/12*12)
	pf := max(tilePfBytes, 6*wb)
	for r0 := lo; r0 < hi; r0 += blk {
		r1 := min(r0+blk, hi)
		for t := 0; t < nTok; t += 4 {
			k := min(4, nTok-t)
			r := r0
			if k == 1 {
				o, xt := out[t*rows:(t+1)*rows], &xf[t*c8]
				for ; r+8 <= r1; r += 8 {
					h.dot8(&w[r*wb], wb, xt, cols, &o[r])
				}
				for ; r+4 <= r1; r += 4 {
					h.dot4(&w[r*wb], wb, xt, cols, &o[r])
				}
			} else {
				tile, nr := tl.tile[k], tl.rows[k]
				p := pf
				if t > 0 {
					// this block is in L2 already: keep DRAM busy on
					// the next one
					p = blk * wb
				}
				for ; r+nr <= r1; r += nr {
					tile(&w[r*wb], wb, &xf[t*c8], c8, cols, &out[t*rows+r], rows, p)
				}
			}
			for ; r < r1; r++ {
				for tt := t; tt < t+k; tt++ {
					out[tt*rows+r] = h.dot(&w[r*wb], &xq[tt*wb], cols)
				}
			}
		}
	}
}

// f32TilesAVX2 are the float32 tiles, indexed like halfTilesAVX2.tile (with
// the same row counts).
var f32TilesAVX2 = [5]func(w *float32, ws int, x *float32, xs int, n int, out *float32, os int, pf int){
	2: tile62F32A, 3: tile43F32A, 4: tile34F32A,
}

// gemmTileAVX2 is gemm with the AVX2 tiles (n a multiple of 8, 2..tileAVX2MaxTok
// tokens; shapes checked by gemm): per block of rows that stays in L2,
// groups of 4 tokens run 3 × 4 tiles and the last group of 3 or 2 a 4 × 3
// or 6 × 2 tile; a last single token runs through dot8AVX2. Rows left over
// after the last whole tile run through dotAVX2, one token at a time.
func gemmTileAVX2(out []float32, os int, w []float32, ws int, x []float32, xs int, n, nr, nt int) {
	blk := max(12, gemmBlockBytes/(4*ws)/12*12)
	pf := max(tilePfBytes, 6*4*ws)
	for r0 := 0; r0 < nr; r0 += blk {
		r1 := min(r0+blk, nr)
		for t := 0; t < nt; t += 4 {
			k := min(4, nt-t)
			r := r0
			if k == 1 {
				for ; r+8 <= r1; r += 8 {
					dot8AVX2(&w[r*ws], ws, &x[t*xs], n, &out[t*os+r])
				}
			} else {
				nrt := f16TilesAVX2.rows[k]
				p := pf
				if t > 0 {
					p = 4 * blk * ws // next block: see rowsTileAVX2
				}
				for ; r+nrt <= r1; r += nrt {
					f32TilesAVX2[k](&w[r*ws], ws, &x[t*xs], xs, n, &out[t*os+r], os, p)
				}
			}
			for ; r < r1; r++ {
				for tt := t; tt < t+k; tt++ {
					out[tt*os+r] = dotAVX2(&w[r*ws], &x[tt*xs], n)
				}
			}
		}
	}
}
