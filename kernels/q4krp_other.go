//go:build !amd64 || purego

package kernels

import "github.com/llmpipe/llmpipe/quant"

// rowsQ4KPure is the Q4_K Rows of builds without the assembly: the order
// of llama.cpp's repacked kernels for matrices with repackedRows rows,
// dotQ4KRef's for the others (see rowsQ4KRef).
func rowsQ4KPure(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	rowsQ4KRef(out, w, xq, nTok, rows, cols, lo, hi, dotQ4KRef)
}

func init() {
	// Dot is the reference itself (set so that code holding Rows to Dot
	// finds one, as it does on amd64).
	RegisterQKernel(quant.Q4_K, QKernel{Dot: dotQ4KRef, Rows: rowsQ4KPure})
}
