//go:build !amd64 || purego

package kernels

import (
	"fmt"

	"github.com/llmpipe/llmpipe/quant"
)

// rowsQ4_0 is QKernel.Rows of Q4_0 without assembly: the plain-Go
// repacked order for matrices of rows%8 == 0 (see q4rp.go), vec_dot's
// order for the others.
func rowsQ4_0(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	if !rowsArgsOK(out, w, xq, nTok, rows, cols, lo, hi, Q4_0BlockBytes) {
		panic(fmt.Sprintf("kernels: Rows: W %d bytes, X %d bytes, out %d for %d tokens × %d rows × %d cols, rows [%d, %d)",
			len(w), len(xq), len(out), nTok, rows, cols, lo, hi))
	}
	rowsQ4_0RPRef(out, w, xq, nTok, rows, cols, lo, hi, DotQ4_0Q8_0)
}

// rowsArgsOK reports whether the arguments of a Rows call are consistent:
// whole blocks, rows [lo, hi) inside rows, and w, xq and out long enough.
func rowsArgsOK(out []float32, w, xq []byte, nTok, rows, cols, lo, hi, bb int) bool {
	nb := cols / QK
	return cols%QK == 0 && nTok >= 0 && lo >= 0 && hi <= rows && lo <= hi &&
		len(w) >= rows*nb*bb && len(xq) >= nTok*nb*Q8_0BlockBytes && len(out) >= nTok*rows
}

func init() {
	RegisterQKernel(quant.Q4_0, QKernel{Rows: rowsQ4_0})
}
