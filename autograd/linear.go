package autograd

import (
	"fmt"

	"github.com/llmpipe/llmpipe/kernels"
)

// MatMul returns x·wᵀ (+ b): the linear layer with weight w as stored in
// GGUF/PyTorch (one row per output feature), through kernels.MatMul.
//
//	x: [nTok, in]   w: [out, in]   b: [1, out] or nil   → [nTok, out]
//
// Backward: dx += dy·w and dw += dyᵀ·x, both computed by kernels.MatMul on
// transposed operands (the transposes cost O(params + nTok·(in+out)), the
// products O(params·nTok), so training runs at the speed of the kernel);
// db += Σ_t dy[t].
func MatMul(tp *Tape, x, w, b *Var) *Var {
	n, in, out := x.Rows, x.Cols, w.Rows
	if w.Cols != in || (b != nil && (b.Rows != 1 || b.Cols != out)) {
		panic(fmt.Sprintf("autograd: MatMul x %v w %v b %v: want x [n, in] w [out, in] b [1, out]", x, w, b))
	}
	y := tp.result(n, out, x, w, b)
	kernels.MatMul(y.Data, w.Data, x.Data, n, out, in)
	if b != nil {
		for t := 0; t < n; t++ {
			kernels.Add(y.Data[t*out:(t+1)*out], b.Data)
		}
	}
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		dy := y.Grad
		if x.RequiresGrad() {
			// dx[t, i] = Σ_o dy[t, o]·w[o, i] = (dy · (wᵀ)ᵀ)[t, i]
			wt := transpose(w.Data, out, in) // [in, out]
			tmp := make([]float32, n*in)
			kernels.MatMul(tmp, wt, dy, n, in, out)
			kernels.Add(x.Grad, tmp)
		}
		if w.RequiresGrad() {
			// dw[o, i] = Σ_t dy[t, o]·x[t, i] = (dyᵀ · (xᵀ)ᵀ)[o, i]
			xt := transpose(x.Data, n, in) // [in, n]
			dyt := transpose(dy, n, out)   // [out, n]
			tmp := make([]float32, out*in)
			kernels.MatMul(tmp, xt, dyt, out, in, n)
			kernels.Add(w.Grad, tmp)
		}
		if b.RequiresGrad() {
			for t := 0; t < n; t++ {
				kernels.Add(b.Grad, dy[t*out:(t+1)*out])
			}
		}
	})
	return y
}

// transposeBlock is the tile edge of transpose: 32×32 floats (4 KiB) of
// source and destination stay in L1 while a tile is copied.
const transposeBlock = 32

// transpose returns the [cols, rows] transpose of the row-major [rows, cols]
// matrix a.
func transpose(a []float32, rows, cols int) []float32 {
	t := make([]float32, len(a))
	for r0 := 0; r0 < rows; r0 += transposeBlock {
		r1 := min(r0+transposeBlock, rows)
		for c0 := 0; c0 < cols; c0 += transposeBlock {
			c1 := min(c0+transposeBlock, cols)
			for r := r0; r < r1; r++ {
				row := a[r*cols : (r+1)*cols]
				for c := c0; c < c1; c++ {
					t[c*rows+r] = row[c]
				}
			}
		}
	}
	return t
}

// Embedding returns the rows of table picked by ids: the token (or learned
// position) embedding lookup, and in general a row gather (for example the
// last position of each sequence for a reward head).
//
//	table: [vocab, dim]   ids: [n], each in [0, vocab)   → [n, dim]
//
// Backward scatter-adds: dtable[ids[i]] += dy[i]. An id out of range is a
// programmer error (callers check their inputs) and panics.
func Embedding(tp *Tape, table *Var, ids []int) *Var {
	dim := table.Cols
	for i, id := range ids {
		if id < 0 || id >= table.Rows {
			panic(fmt.Sprintf("autograd: Embedding id %d at index %d outside [0, %d)", id, i, table.Rows))
		}
	}
	y := tp.result(len(ids), dim, table)
	for i, id := range ids {
		copy(y.Data[i*dim:(i+1)*dim], table.Data[id*dim:(id+1)*dim])
	}
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		for i, id := range ids {
			kernels.Add(table.Grad[id*dim:(id+1)*dim], y.Grad[i*dim:(i+1)*dim])
		}
	})
	return y
}
