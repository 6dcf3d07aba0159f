//go:build !amd64 || purego

package kernels

// haveAVX2FMA is false: this build has no assembly kernels.
const haveAVX2FMA = false

// useAsm is false: this build has no assembly kernels.
var useAsm = false

// dotFast is the plain-Go reference where no assembly kernel exists.
func dotFast(a, b []float32) float32 { return dotRef(a, b) }

// dotRows sets out[r] = dotFast(row r of w, x) for the len(out) rows of w
// ([len(out), len(x)]).
func dotRows(out, w, x []float32) {
	cols := len(x)
	if len(w) != len(out)*cols {
		panic("kernels: dotRows: shape mismatch")
	}
	for r := range out {
		out[r] = dotFast(w[r*cols:(r+1)*cols], x)
	}
}

// gemm sets out[t·os+r] = dotFast(w[r·ws : r·ws+n], x[t·xs : t·xs+n]) for
// rows r < nr and tokens t < nt.
func gemm(out []float32, os int, w []float32, ws int, x []float32, xs int, n, nr, nt int) {
	for t := 0; t < nt; t++ {
		for r := 0; r < nr; r++ {
			out[t*os+r] = dotFast(w[r*ws:r*ws+n], x[t*xs:t*xs+n])
		}
	}
}
