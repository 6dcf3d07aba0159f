//go:build !amd64 || purego

package kernels

// canPackQ4 reports whether PackQ packs Q4_0 matrices: never without the
// AVX-512 VNNI tiles.
func canPackQ4() bool { return false }

// rowsPacked sets out[t·rows+r] for rows r in [lo, hi) of p and every token
// t < nTok of the Q8_0 rows xq: plain Go here (PackQ packs nothing on
// these builds).
func rowsPacked(out []float32, p *PackedQ, xq []byte, nTok, lo, hi int) {
	checkPackedArgs(out, p, xq, nTok, lo, hi)
	rowsPackedRef(out, p, xq, nTok, lo, hi)
}
