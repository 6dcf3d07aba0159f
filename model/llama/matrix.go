package llama

import (
	"fmt"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/quant"
)

// Matrix is a weight matrix [Rows, Cols] (row-major; a GGUF tensor with dims
// [Cols, Rows]) in the storage type of its file. F32 data is float32 in F32
// (aligned data is a view of the mapped file). Every other type (F16, BF16
// and the block-quantized types Q4_0…Q8_0, Q2_K…Q6_K) stays in its file's
// bytes in Data, a view of the mapped file (or a copy read from an unmapped
// one), and is multiplied as ggml does (kernels.MatMulQ); it is never
// converted as a whole.
type Matrix struct {
	Type       quant.Type // quant.F32, or any type kernels.CanMatMul accepts
	Rows, Cols int
	F32        []float32 // [Rows·Cols] when Type is quant.F32
	Data       []byte    // Rows rows of Cols elements in Type's encoding otherwise
	Bias       []float32 // [Rows], added to every product when set
}

// mulT computes out = X·Wᵀ (+ bias) for a batch of nTok row vectors, with the kernel
// of m's storage type (non-F32 types convert X to the type's activation
// type first, as ggml).
//
//	W: [Rows, Cols]   X: [nTok, Cols]   → out: [nTok, Rows]
func (m *Matrix) mulT(out, x []float32, nTok int) {
	if m.Type == quant.F32 {
		kernels.MatMul(out, m.F32, x, nTok, m.Rows, m.Cols)
	} else {
		kernels.MatMulQ(out, m.Type, m.Data, x, nTok, m.Rows, m.Cols)
	}
	if m.Bias != nil {
		for t := 0; t < nTok; t++ {
			kernels.Add(out[t*m.Rows:(t+1)*m.Rows], m.Bias)
		}
	}
}

// row writes row r of m into dst ([Cols]), dequantizing it if needed (the
// embedding lookup, ggml's get_rows).
func (m *Matrix) row(dst []float32, r int) {
	if m.Type == quant.F32 {
		copy(dst, m.F32[r*m.Cols:(r+1)*m.Cols])
		return
	}
	n := len(m.Data) / m.Rows
	if err := quant.Dequantize(m.Type, m.Data[r*n:(r+1)*n], dst); err != nil {
		panic("llama: " + err.Error()) // shapes were checked when the matrix was read
	}
}

// readMatrix returns the matrix tensor name with dims [cols, rows] (ggml
// order). F32 goes through readF32 (a view of the mapping where aligned);
// every type with a matrix kernel stays as the file's bytes; any other type
// is an error naming the tensor and its type.
func readMatrix(f *gguf.File, name string, cols, rows int) (Matrix, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return Matrix{}, fmt.Errorf("llama: missing tensor %q", name)
	}
	m := Matrix{Type: quant.F32, Rows: rows, Cols: cols}
	qt := quant.Type(t.Type)
	if qt == quant.F32 {
		w, err := readF32(f, name, cols, rows)
		m.F32 = w
		return m, err
	}
	if !kernels.CanMatMul(qt) {
		return Matrix{}, fmt.Errorf("llama: tensor %q: type %s is not supported for matrices (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K…Q6_K)", name, t.Type)
	}
	if len(t.Dims) != 2 || t.Dims[0] != uint64(cols) || t.Dims[1] != uint64(rows) {
		return Matrix{}, fmt.Errorf("llama: tensor %q: dims %v, want [%d %d]", name, t.Dims, cols, rows)
	}
	if bs := qt.BlockSize(); cols%bs != 0 {
		return Matrix{}, fmt.Errorf("llama: tensor %q: type %s needs a row length that is a multiple of %d, have %d", name, t.Type, bs, cols)
	}
	// cols and rows are at most maxDim = 2^24: the product fits in 64 bits.
	want := uint64(rows) * uint64(cols/qt.BlockSize()) * uint64(qt.TypeSize())
	b, err := f.TensorBytes(name)
	if err != nil {
		return Matrix{}, fmt.Errorf("llama: %w", err)
	}
	if uint64(len(b)) != want {
		return Matrix{}, fmt.Errorf("llama: tensor %q: %d bytes, want %d", name, len(b), want)
	}
	m.Type, m.Data = qt, b
	return m, nil
}
