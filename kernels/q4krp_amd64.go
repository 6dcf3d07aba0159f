//go:build amd64 && !purego

package kernels

// dotQ4KRPRowsAVX2 sets out[r] = dotQ4KRPRef(w + r·wstride, x, nb·256) for
// r < nrows, bit for bit (kquant_amd64.s): the one-token kernel of the
// repacked-Q4_K order. Ends with VZEROUPPER.
//
//go:noescape
func dotQ4KRPRowsAVX2(w *byte, wstride int, x *byte, nb int, out *float32, nrows int)

// q4KRPTile4 sets *(out + t·ostride + 4r bytes) = dotQ4KRPRef(w +
// r·wstride, x + t·xstride, nb·256) for r < nrows (1..16) and t < ntok
// (1..4), bit for bit, with the rows in the lanes of AVX-512 registers
// (q4krp_amd64.s). Needs haveVNNI; 15·wstride must fit in an int32.
//
//go:noescape
func q4KRPTile4(w *byte, wstride, nrows, nb int, x *byte, xstride, ntok int, out *float32, ostride int)

// q4KRPTileRows is how many weight rows one q4KRPTile4 call covers (the
// int32 lanes of a zmm).
const q4KRPTileRows = 16

// rowsQ4KRP is QKernel.Rows for Q4_K matrices with q4KRepacked rows:
// every output in dotQ4KRPRef's order, whatever the token count. Two
// tokens or more go through the AVX-512 row-lane tile (16 rows, up to 4
// tokens a call; a last single token through the one-token kernel) where
// the CPU has VNNI; otherwise each token goes through dotQ4KRPRowsAVX2.
// Without the assembly it is rowsQ4KRef.
func rowsQ4KRP(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	nb := cols / qkK
	if lo >= hi || nTok == 0 {
		return
	}
	if !useAsm || !haveKQuantAsm || nb == 0 {
		rowsQ4KRef(out, w, xq, nTok, rows, cols, lo, hi, dotQ4KFast)
		return
	}
	wb, xb := nb*q4KBlockBytes, nb*q8KBlockBytes
	_, _, _ = w[hi*wb-1], xq[nTok*xb-1], out[(nTok-1)*rows+hi-1]
	if nTok >= 2 && useVNNI && haveVNNI && (q4KRPTileRows-1)*wb < 1<<31 {
		for r0 := lo; r0 < hi; r0 += q4KRPTileRows {
			n := min(q4KRPTileRows, hi-r0)
			for t := 0; t < nTok; t += 4 {
				k := min(4, nTok-t)
				if k == 1 {
					dotQ4KRPRowsAVX2(&w[r0*wb], wb, &xq[t*xb], nb, &out[t*rows+r0], n)
					continue
				}
				q4KRPTile4(&w[r0*wb], wb, n, nb, &xq[t*xb], xb, k, &out[t*rows+r0], 4*rows)
			}
		}
		return
	}
	for t := 0; t < nTok; t++ {
		dotQ4KRPRowsAVX2(&w[lo*wb], wb, &xq[t*xb], nb, &out[t*rows+lo], hi-lo)
	}
}
