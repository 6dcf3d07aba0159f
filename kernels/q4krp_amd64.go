//go:build amd64 && !purego

package kernels

// dotQ4KRPRowsAVX2 sets out[r] = dotQ4KRPRef(w + r·wstride, x, nb·256) for
// r < nrows, bit for bit (kquant_amd64.s): the one-token kernel of the
// repacked-Q4_K order. Ends with VZEROUPPER.
//
//go:noescape
func dotQ4KRPRowsAVX2(w *byte, wstride int, x *byte, nb int, out *float32, nrows int)

// dotQ4KRPAVX2x4 sets *(out + t·ostride bytes) = dotQ4KRPRef(w, x +
// t·xstride, nb·256) for t = 0..3, bit for bit, unpacking each weight block
// once (kquant_amd64.s): the AVX2 batch kernel of the repacked order.
//
//go:noescape
func dotQ4KRPAVX2x4(w, x *byte, xstride, nb int, out *float32, ostride int)

// q4KRPTile4 sets *(out + t·ostride + 4r bytes) = dotQ4KRPRef(row r,
// x + t·xstride, nb·256) for the rows r < nrows (1..16) of the group
// packed at p (q4KRPPack8) and t < ntok (1..4), bit for bit, with the rows
// in the lanes of AVX-512 registers (q4krp_amd64.s). Needs haveVNNI.
//
//go:noescape
func q4KRPTile4(p *byte, nrows, nb int, x *byte, xstride, ntok int, out *float32, ostride int)

// q4KRPPack8 packs the nb blocks of the 8 rows at w + r·wstride into the
// low 32 bytes of dst's slots (dst + 32 for rows 8-15 of a group), byte for
// byte as q4KRPPackRef does, and prefetches into L2 the rows pf bytes
// further on (the next group's; nothing when pf is 0).
//
//go:noescape
func q4KRPPack8(dst, w *byte, wstride, nb, pf int)

// q4KRPTileRows is how many weight rows one q4KRPTile4 call covers (the
// int32 lanes of a zmm).
const q4KRPTileRows = 16

// q4KRPPackBytes is the packed size of one block of a 16-row group: 36
// slots (the dwords of block_q4_K) of 16 rows.
const q4KRPPackBytes = 36 * 64

// q4KRPPackRef is q4KRPPack8's reference for nrows (0..8) rows: for block
// b, dword v of row r's block goes to dst[b·2304 + 64v + 4r:], rows past
// nrows get zeros.
func q4KRPPackRef(dst, w []byte, wstride, nrows, nb int) {
	for b := 0; b < nb; b++ {
		for v := 0; v < 36; v++ {
			for r := 0; r < 8; r++ {
				o := dst[b*q4KRPPackBytes+64*v+4*r:][:4]
				if r >= nrows {
					clear(o)
					continue
				}
				copy(o, w[r*wstride+b*q4KBlockBytes+4*v:][:4])
			}
		}
	}
}

// packQ4KRPGroup packs the n (1..16) rows at w (wb bytes apart, nb
// super-blocks) as one q4KRPPack8 group at p: q4KRPPack8 for a whole half
// of 8 rows (prefetching into L2 pf bytes further on, 0 for none),
// q4KRPPackRef for a half of fewer.
func packQ4KRPGroup(p, w []byte, n, wb, nb, pf int) {
	for h := 0; h < 2; h++ {
		m := min(8, n-8*h)
		switch {
		case m == 8:
			q4KRPPack8(&p[32*h], &w[8*h*wb], wb, nb, pf)
		case m > 0:
			q4KRPPackRef(p[32*h:], w[8*h*wb:], wb, m, nb)
		}
	}
}

// rowsQ4KRP is QKernel.Rows for Q4_K matrices with repackedRows rows:
// every output in dotQ4KRPRef's order, whatever the token count. Where the
// CPU has VNNI, two tokens or more go through the AVX-512 row-lane tile:
// each group of 16 rows is packed once (q4KRPPack8) and then multiplied
// by all tokens, four a call (a last single token through the one-token
// kernel). Elsewhere (AVX2 only) two tokens or more go through the AVX2
// row-lane tiles (rowsQ4KRPAVX2). A single token runs dotQ4KRPRowsAVX2 over
// all its rows in one call; without the assembly (or with useQ4KRPAVX2
// off) batches go through rowsKQ with dotQ4KRPAVX2x4 (four tokens a call)
// and dotQ4KRPRowsAVX2, which without the assembly loops over dotQ4KRPRef.
func rowsQ4KRP(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	nb := cols / qkK
	if lo >= hi || nTok == 0 {
		return
	}
	if useAsm && haveKQuantAsm && nb > 0 {
		wb, xb := nb*q4KBlockBytes, nb*q8KBlockBytes
		_, _, _ = w[hi*wb-1], xq[nTok*xb-1], out[(nTok-1)*rows+hi-1]
		switch {
		case nTok >= 2 && useVNNI && haveVNNI:
			p := getScratch(nb * q4KRPPackBytes)
			for r0 := lo; r0 < hi; r0 += q4KRPTileRows {
				n := min(q4KRPTileRows, hi-r0)
				packQ4KRPGroup(p, w[r0*wb:], n, wb, nb, q4KRPTileRows*wb)
				for t := 0; t < nTok; t += 4 {
					k := min(4, nTok-t)
					if k == 1 {
						dotQ4KRPRowsAVX2(&w[r0*wb], wb, &xq[t*xb], nb, &out[t*rows+r0], n)
						continue
					}
					q4KRPTile4(&p[0], n, nb, &xq[t*xb], xb, k, &out[t*rows+r0], 4*rows)
				}
			}
			putScratch(p)
			return
		case nTok >= 2 && useQ4KRPAVX2:
			rowsQ4KRPAVX2(out, w, xq, nTok, rows, nb, lo, hi)
			return
		case nTok == 1:
			dotQ4KRPRowsAVX2(&w[lo*wb], wb, &xq[0], nb, &out[lo], hi-lo)
			return
		}
	}
	rowsKQ(out, w, xq, nTok, rows, cols, lo, hi, q4KBlockBytes, dotQ4KRPRef, dotQ4KRPRowsAVX2, dotQ4KRPAVX2x4, nil)
}
