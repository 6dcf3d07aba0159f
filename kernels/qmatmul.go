package kernels

import (
	"fmt"
	"sync"

	"github.com/llmpipe/llmpipe/quant"
)

// QKernel is the matrix-product kernel for weights stored in one ggml type,
// the way ggml's CPU backend multiplies them (ggml-cpu.c, type_traits_cpu):
// each activation row is first converted to the type's vec_dot_type (Act:
// Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for the k-quants, F16
// for F16, BF16 for BF16), then every output element is one vec_dot of a
// weight row and a converted activation row.
//
// Ref is the plain-Go reference: ggml's generic (non-SIMD) vec_dot, which
// defines the result. Dot, where set, is the fast path (assembly); it may
// sum in another order and is held to Ref by tests within a float32
// rounding bound. Rows, where set, computes many weight rows and tokens at
// once (register tiling for prompt processing); each element it writes must
// be bit-identical to what Dot (or Ref when Dot is nil) gives for that
// row and token, so results never depend on batch size, tiling or threads.
// (Exception: Q4_0 and Q4_K matrices of rows%8 == 0, whose Rows follows
// llama.cpp's repacked x86 order for every batch size instead, so results
// still do not depend on batch size; see q4rp.go, q4krp.go.)
type QKernel struct {
	Act quant.Type
	// Ref returns the dot product of one weight row w and one converted
	// activation row x, both of n elements (n a multiple of the block size).
	Ref func(w, x []byte, n int) float32
	// Dot is the fast version of Ref; nil means Ref.
	Dot func(w, x []byte, n int) float32
	// Rows sets out[t·rows+r] = dot(row r of w, token t of xq) for rows r in
	// [lo, hi) and every token t < nTok, where w holds all rows of the matrix
	// ([rows][rowBytes]) and xq all converted tokens ([nTok][actRowBytes]).
	// nil means a loop over Dot.
	Rows func(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int)
}

var (
	qkMu    sync.RWMutex
	qkernel = map[quant.Type]*QKernel{}
)

// RegisterQKernel merges k into the kernel for weights of type t: every
// non-nil function of k (and Act, when set) replaces the one registered
// before, the others stay. The reference files register Act and Ref from
// init, the fast-path files Dot and/or Rows, in either order. A kernel
// without Ref is not usable (LookupQKernel returns nil).
func RegisterQKernel(t quant.Type, k QKernel) {
	qkMu.Lock()
	defer qkMu.Unlock()
	old := qkernel[t]
	if old == nil {
		old = &QKernel{}
	}
	kk := *old
	if k.Ref != nil {
		kk.Act, kk.Ref = k.Act, k.Ref
	}
	if k.Dot != nil {
		kk.Dot = k.Dot
	}
	if k.Rows != nil {
		kk.Rows = k.Rows
	}
	qkernel[t] = &kk
}

// LookupQKernel returns the kernel for weights of type t, or nil when no
// kernel multiplies that type. The result must not be modified.
func LookupQKernel(t quant.Type) *QKernel {
	qkMu.RLock()
	defer qkMu.RUnlock()
	k := qkernel[t]
	if k == nil || k.Ref == nil {
		return nil
	}
	return k
}

// CanMatMul reports whether MatMulQ can multiply weights of type t.
func CanMatMul(t quant.Type) bool { return t == quant.F32 || LookupQKernel(t) != nil }

// ConvertRow converts activations x to type act (a vec_dot_type) into dst,
// as ggml's from_float for that type does (quantize_row_q8_0 for Q8_0, fp16
// rounding for F16...). len(dst) must be act's row size for len(x).
func ConvertRow(act quant.Type, dst []byte, x []float32) {
	switch act {
	case quant.Q8_0:
		QuantizeRowQ8_0(dst, x)
		return
	case quant.F16: // byte-identical to quant's conversion (f16_test.go)
		convertRowF16(dst, x)
		return
	case quant.BF16:
		convertRowBF16(dst, x)
		return
	}
	if _, err := quant.Quantize(act, x, dst); err != nil {
		panic("kernels: ConvertRow: " + err.Error())
	}
}

// rowBytes returns the size of a row of n elements of type t, or -1 when n
// is not a whole number of blocks.
func rowBytes(t quant.Type, n int) int {
	bs := t.BlockSize()
	if bs == 0 || n%bs != 0 {
		return -1
	}
	return n / bs * t.TypeSize()
}

// MatMulQ computes out = X·Wᵀ for a matrix W stored as ggml type t (any type
// with a registered QKernel, or F32) and a batch of nTok row vectors, as
// ggml's CPU matrix product does: each X row is converted once to the
// kernel's activation type, then each output is one vec_dot. Output rows are
// split across the worker pool; the result does not depend on the thread
// count or on nTok.
//
//	W: [rows, cols] as rows·cols/blockSize blocks of t   X: [nTok, cols]   → out: [nTok, rows]
func MatMulQ(out []float32, t quant.Type, w []byte, x []float32, nTok, rows, cols int) {
	k := LookupQKernel(t)
	wb := rowBytes(t, cols)
	if k == nil || nTok < 0 || rows < 0 || cols < 0 || wb < 0 || len(w) != rows*wb || len(x) != nTok*cols || len(out) != nTok*rows {
		panic(fmt.Sprintf("kernels: MatMulQ %v: W %d bytes X %d out %d elements, want W [%d, %d] X [%d, %d] out [%d, %d] (cols a multiple of %d; kernel registered: %v)",
			t, len(w), len(x), len(out), rows, cols, nTok, cols, nTok, rows, t.BlockSize(), k != nil))
	}
	xb := rowBytes(k.Act, cols)
	if xb < 0 {
		panic(fmt.Sprintf("kernels: MatMulQ %v: %d columns are not whole blocks of the activation type %v", t, cols, k.Act))
	}
	xq := getScratch(nTok * xb)
	defer putScratch(xq)
	convertThenRows(nil, k.Act, xq, x, nTok, cols, rows, nTok*cols, func(lo, hi int) {
		k.rows(out, w, xq, nTok, rows, cols, lo, hi)
	})
}

// convertThenRows calls prep (when not nil) for the nTok rows of x
// ([nTok, cols]) and converts them to act into xq, as ConvertRows does
// (act quant.F32: no conversion), then calls fn over rows as
// parallelRows(rows, workPerRow, fn) does, in one job of the worker pool:
// prep and the conversion are cut into pieces of whole rows of x that the
// pool's goroutines share, and the ranges of fn start once every piece is
// done (a prompt's products then cost one hand-off each, not a
// conversion job, then a product job). Without prep, a conversion too
// small to split (a decode step's) runs on the caller first, as
// ConvertRows does.
func convertThenRows(prep func(lo, hi int), act quant.Type, xq []byte, x []float32, nTok, cols, rows, workPerRow int, fn func(lo, hi int)) {
	if act != quant.F32 {
		checkConvert(act, xq, x, nTok, cols)
	}
	if prep == nil && nTok*cols < 2*minChunkWork {
		// A conversion too small to split (a decode step's few tokens,
		// ~0.3 µs a row) runs on the caller before the job: a range
		// then never waits on a piece held by a goroutine the OS has
		// descheduled.
		if act != quant.F32 {
			convertRowRange(act, xq, x, cols, 0, nTok)
		}
		parallelRows(rows, workPerRow, fn)
		return
	}
	nPre := min(nTok, 2*Threads())
	parallelRowsAfter(nPre, func(i int) {
		lo, hi := nTok*i/nPre, nTok*(i+1)/nPre
		if prep != nil {
			prep(lo, hi)
		}
		if act != quant.F32 {
			convertRowRange(act, xq, x, cols, lo, hi)
		}
	}, rows, workPerRow, fn)
}

// rows sets out[t·rows+r] for rows r in [lo, hi) of W and every token t
// of the converted activations xq, with Rows, Dot or Ref.
func (k *QKernel) rows(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	if k.Rows != nil {
		k.Rows(out, w, xq, nTok, rows, cols, lo, hi)
		return
	}
	dot := k.Dot
	if dot == nil {
		dot = k.Ref
	}
	wb, xb := len(w)/max(rows, 1), rowBytes(k.Act, cols)
	for r0 := lo; r0 < hi; r0 += matMulTile {
		r1 := min(r0+matMulTile, hi)
		for i := 0; i < nTok; i++ {
			xt, o := xq[i*xb:(i+1)*xb], out[i*rows:(i+1)*rows]
			for r := r0; r < r1; r++ {
				o[r] = dot(w[r*wb:(r+1)*wb], xt, cols)
			}
		}
	}
}

// ConvertRows converts the nTok rows of x ([nTok, cols]) to the activation
// type act, row by row as ConvertRow, into dst ([nTok] rows of act's row
// size for cols elements).
func ConvertRows(act quant.Type, dst []byte, x []float32, nTok, cols int) {
	checkConvert(act, dst, x, nTok, cols)
	// Rows are independent: a prompt's rows are split over the pool
	// (serial, this was ~6% of a 2-thread prompt pass).
	parallelRows(nTok, cols, func(lo, hi int) {
		convertRowRange(act, dst, x, cols, lo, hi)
	})
}

// checkConvert panics, naming the shapes, unless dst holds nTok rows of x
// ([nTok, cols]) converted to act.
func checkConvert(act quant.Type, dst []byte, x []float32, nTok, cols int) {
	if xb := rowBytes(act, cols); xb < 0 || nTok < 0 || len(x) != nTok*cols || len(dst) != nTok*xb {
		panic(fmt.Sprintf("kernels: ConvertRows of %d values to %v into %d bytes, want [%d, %d] (cols a multiple of %d)",
			len(x), act, len(dst), nTok, cols, act.BlockSize()))
	}
}

// convertRowRange converts rows [lo, hi) of x ([nTok, cols]) to act into
// dst (ConvertRow each). Shapes are checked by the caller.
func convertRowRange(act quant.Type, dst []byte, x []float32, cols, lo, hi int) {
	xb := rowBytes(act, cols)
	for t := lo; t < hi; t++ {
		ConvertRow(act, dst[t*xb:(t+1)*xb], x[t*cols:(t+1)*cols])
	}
}

// MatMulOp is one product of MatMulMany: Out = X·Wᵀ for a matrix W of Rows
// rows, stored as Type: in F32 when Type is quant.F32, else in Data (any
// type with a registered QKernel). When Packed is set (PackQ of Data), W
// is multiplied from it, with the same bits, and Data is not read.
//
//	W: [Rows, cols]   X: [nTok, cols]   → Out: [nTok, Rows]
type MatMulOp struct {
	Out    []float32
	Type   quant.Type
	F32    []float32
	Data   []byte
	Packed *PackedQ
	Rows   int
}

// MatMulMany computes the products of several matrices with the same
// activations X: the attention's query, key and value projections, or the
// feed-forward's gate and up. X is converted once to the activation type
// the quantized matrices share, and the rows of all matrices are split
// across the worker pool in one parallel loop (one hand-off per call rather
// than one per matrix). Every output element is bit-identical to what
// MatMulQ (or MatMul for F32) gives for that matrix, whatever nTok or the
// thread count. Quantized matrices whose activation types differ are
// multiplied one call each, with the same results.
//
//	X: [nTok, cols]   → ops[i].Out: [nTok, ops[i].Rows]
func MatMulMany(ops []MatMulOp, x []float32, nTok, cols int) {
	MatMulManyPrep(ops, x, nTok, cols, nil)
}

// MatMulManyPrep is MatMulMany that first calls prep(lo, hi) (when not
// nil) for ranges of the rows of X that together cover [0, nTok) once,
// each before any product reads those rows: prep writes rows [lo, hi) of
// X, and nothing else that a product or another call of prep reads (a
// row-wise norm of the block's input into X). The calls run on the worker
// pool in the products' own job, with the conversion of the rows they
// wrote, so the step before a product costs no hand-off of its own.
//
//	X: [nTok, cols] (rows written by prep)   → ops[i].Out: [nTok, ops[i].Rows]
func MatMulManyPrep(ops []MatMulOp, x []float32, nTok, cols int, prep func(lo, hi int)) {
	if nTok < 0 || cols < 0 || len(x) != nTok*cols {
		panic(fmt.Sprintf("kernels: MatMulMany: X %d elements, want [%d, %d]", len(x), nTok, cols))
	}
	act, mixed, total, anyPacked, whole := quant.F32, false, 0, false, true
	for i := range ops {
		o := &ops[i]
		if o.Type == quant.F32 {
			if o.Rows < 0 || len(o.F32) != o.Rows*cols || len(o.Out) != nTok*o.Rows {
				panic(fmt.Sprintf("kernels: MatMulMany op %d: W %d elements out %d, want W [%d, %d] out [%d, %d]",
					i, len(o.F32), len(o.Out), o.Rows, cols, nTok, o.Rows))
			}
		} else {
			k := LookupQKernel(o.Type)
			wb := rowBytes(o.Type, cols)
			packedOK := o.Packed == nil || (o.Packed.rows == o.Rows && o.Packed.cols == cols)
			if k == nil || o.Rows < 0 || wb < 0 || (o.Packed == nil && len(o.Data) != o.Rows*wb) || !packedOK || len(o.Out) != nTok*o.Rows || rowBytes(k.Act, cols) < 0 {
				panic(fmt.Sprintf("kernels: MatMulMany op %d %v: W %d bytes out %d elements, want W [%d, %d] out [%d, %d] (cols a multiple of %d; kernel registered: %v)",
					i, o.Type, len(o.Data), len(o.Out), o.Rows, cols, nTok, o.Rows, o.Type.BlockSize(), k != nil))
			}
			if o.Packed != nil {
				anyPacked = true
			}
			if act == quant.F32 {
				act = k.Act
			} else if act != k.Act {
				mixed = true
			}
		}
		total += o.Rows
		if o.Rows%packGroupRows != 0 {
			whole = false
		}
	}
	if mixed {
		if prep != nil {
			prep(0, nTok)
		}
		for i := range ops {
			o := &ops[i]
			if o.Type == quant.F32 {
				MatMul(o.Out, o.F32, x, nTok, o.Rows, cols)
			} else if o.Packed != nil {
				MatMulPacked(o.Out, o.Packed, x, nTok)
			} else {
				MatMulQ(o.Out, o.Type, o.Data, x, nTok, o.Rows, cols)
			}
		}
		return
	}
	var xq []byte
	if act != quant.F32 {
		xq = getScratch(nTok * rowBytes(act, cols))
		defer putScratch(xq)
	}
	// Packed matrices are split on whole 16-row groups when every matrix
	// has whole groups (a cut group is computed whole and partly thrown
	// away).
	unit := 1
	if anyPacked && whole {
		unit = packGroupRows
	}
	each := func(lo, hi int) {
		lo, hi = lo*unit, hi*unit
		base := 0
		for i := range ops {
			o := &ops[i]
			a, b := max(lo-base, 0), min(hi-base, o.Rows)
			base += o.Rows
			if a >= b {
				continue
			}
			switch {
			case o.Packed != nil:
				rowsPacked(o.Out, o.Packed, xq, nTok, a, b)
			case o.Type != quant.F32:
				LookupQKernel(o.Type).rows(o.Out, o.Data, xq, nTok, o.Rows, cols, a, b)
			case nTok == 1:
				dotRows(o.Out[a:b], o.F32[a*cols:b*cols], x)
			default:
				gemm(o.Out[a:], o.Rows, o.F32[a*cols:b*cols], cols, x, cols, cols, b-a, nTok)
			}
		}
	}
	if act == quant.F32 && prep == nil {
		parallelRows(total/unit, unit*nTok*cols, each)
		return
	}
	convertThenRows(prep, act, xq, x, nTok, cols, total/unit, unit*nTok*cols, each)
}

// matMulQRef is MatMulQ with the reference dot product for every element,
// on one goroutine: what tests hold the fast paths to.
func matMulQRef(out []float32, t quant.Type, w []byte, x []float32, nTok, rows, cols int) {
	k := LookupQKernel(t)
	wb, xb := rowBytes(t, cols), rowBytes(k.Act, cols)
	xq := make([]byte, xb)
	for i := 0; i < nTok; i++ {
		ConvertRow(k.Act, xq, x[i*cols:(i+1)*cols])
		for r := 0; r < rows; r++ {
			out[i*rows+r] = k.Ref(w[r*wb:(r+1)*wb], xq, cols)
		}
	}
}

var scratchPool sync.Pool

// getScratch returns a byte slice of length n from a pool (MatMulQ's
// converted activations), so decode allocates nothing per call.
func getScratch(n int) []byte {
	if p, ok := scratchPool.Get().(*[]byte); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]byte, n)
}

func putScratch(b []byte) { scratchPool.Put(&b) }

func init() {
	RegisterQKernel(quant.Q8_0, QKernel{Act: quant.Q8_0, Ref: func(w, x []byte, n int) float32 { return dotQ8_0Ref(w, x) }})
	RegisterQKernel(quant.Q4_0, QKernel{Act: quant.Q8_0, Ref: func(w, x []byte, n int) float32 { return dotQ4_0Ref(w, x) }})
}

// rowsArgsOK reports whether the arguments of a Rows call are consistent:
// whole blocks, rows [lo, hi) inside rows, and w, xq and out long enough.
func rowsArgsOK(out []float32, w, xq []byte, nTok, rows, cols, lo, hi, bb int) bool {
	nb := cols / QK
	return cols%QK == 0 && nTok >= 0 && lo >= 0 && hi <= rows && lo <= hi &&
		len(w) >= rows*nb*bb && len(xq) >= nTok*nb*Q8_0BlockBytes && len(out) >= nTok*rows
}

// checkRowsArgs panics, naming the shapes, unless rowsArgsOK: what a
// kernel's Rows checks before its assembly reads the slices.
func checkRowsArgs(out []float32, w, xq []byte, nTok, rows, cols, lo, hi, bb int) {
	if !rowsArgsOK(out, w, xq, nTok, rows, cols, lo, hi, bb) {
		panic(fmt.Sprintf("kernels: Rows: W %d bytes, X %d bytes, out %d for %d tokens × %d rows × %d cols, rows [%d, %d)",
			len(w), len(xq), len(out), nTok, rows, cols, lo, hi))
	}
}
