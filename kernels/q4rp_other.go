//go:build !amd64 || purego

package kernels

import "github.com/llmpipe/llmpipe/quant"

// rowsQ4_0 is QKernel.Rows of Q4_0 without assembly: the plain-Go
// repacked order for matrices of rows%8 == 0 (see q4rp.go), vec_dot's
// order for the others.
func rowsQ4_0(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	checkRowsArgs(out, w, xq, nTok, rows, cols, lo, hi, Q4_0BlockBytes)
	rowsQ4_0RPRef(out, w, xq, nTok, rows, cols, lo, hi, DotQ4_0Q8_0)
}

func init() {
	RegisterQKernel(quant.Q4_0, QKernel{Rows: rowsQ4_0})
}
