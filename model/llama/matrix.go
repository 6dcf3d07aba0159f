package llama

import (
	"fmt"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/kernels"
)

// Matrix is a weight matrix [Rows, Cols] (row-major; a GGUF tensor with dims
// [Cols, Rows]) in the storage type of the file. F32, F16 and BF16 tensors
// are held as float32 in F32 (aligned F32 data is a view of the mapped
// file); Q8_0 and Q4_0 tensors stay ggml blocks in Blocks, a view of the
// mapped file (or a copy read from an unmapped one), never dequantized as a
// whole.
type Matrix struct {
	Type       gguf.GGMLType // gguf.TypeF32 (also for converted F16/BF16), TypeQ8_0 or TypeQ4_0
	Rows, Cols int
	F32        []float32 // [Rows·Cols] when Type is TypeF32
	Blocks     []byte    // Rows·Cols/32 blocks when Type is TypeQ8_0 or TypeQ4_0
}

// blockBytes is the size of one 32-element block of a quantized type.
func blockBytes(t gguf.GGMLType) int {
	switch t {
	case gguf.TypeQ8_0:
		return kernels.Q8_0BlockBytes
	case gguf.TypeQ4_0:
		return kernels.Q4_0BlockBytes
	}
	return 0
}

// mulT computes out = X·Wᵀ for a batch of nTok row vectors, with the kernel
// of m's storage type (quantized types quantize X to Q8_0 first, as ggml).
//
//	W: [Rows, Cols]   X: [nTok, Cols]   → out: [nTok, Rows]
func (m *Matrix) mulT(out, x []float32, nTok int) {
	switch m.Type {
	case gguf.TypeQ8_0:
		kernels.MatMulQ8_0(out, m.Blocks, x, nTok, m.Rows, m.Cols)
	case gguf.TypeQ4_0:
		kernels.MatMulQ4_0(out, m.Blocks, x, nTok, m.Rows, m.Cols)
	default:
		kernels.MatMul(out, m.F32, x, nTok, m.Rows, m.Cols)
	}
}

// row writes row r of m into dst ([Cols]), dequantizing it if needed (the
// embedding lookup, ggml's get_rows).
func (m *Matrix) row(dst []float32, r int) {
	switch m.Type {
	case gguf.TypeQ8_0:
		n := m.Cols / kernels.QK * kernels.Q8_0BlockBytes
		kernels.DequantizeRowQ8_0(dst, m.Blocks[r*n:(r+1)*n])
	case gguf.TypeQ4_0:
		n := m.Cols / kernels.QK * kernels.Q4_0BlockBytes
		kernels.DequantizeRowQ4_0(dst, m.Blocks[r*n:(r+1)*n])
	default:
		copy(dst, m.F32[r*m.Cols:(r+1)*m.Cols])
	}
}

// readMatrix returns the matrix tensor name with dims [cols, rows] (ggml
// order). Q8_0 and Q4_0 stay blocks; F32, F16 and BF16 go through readF32;
// any other type is an error naming the tensor and its type.
func readMatrix(f *gguf.File, name string, cols, rows int) (Matrix, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return Matrix{}, fmt.Errorf("llama: missing tensor %q", name)
	}
	m := Matrix{Type: gguf.TypeF32, Rows: rows, Cols: cols}
	bb := blockBytes(t.Type)
	if bb == 0 {
		w, err := readF32(f, name, cols, rows)
		m.F32 = w
		return m, err
	}
	if len(t.Dims) != 2 || t.Dims[0] != uint64(cols) || t.Dims[1] != uint64(rows) {
		return Matrix{}, fmt.Errorf("llama: tensor %q: dims %v, want [%d %d]", name, t.Dims, cols, rows)
	}
	if cols%kernels.QK != 0 {
		return Matrix{}, fmt.Errorf("llama: tensor %q: type %s needs a row length that is a multiple of %d, have %d", name, t.Type, kernels.QK, cols)
	}
	// cols and rows are at most maxDim = 2^24: the product fits in 64 bits.
	want := uint64(rows) * uint64(cols/kernels.QK) * uint64(bb)
	b, err := f.TensorBytes(name)
	if err != nil {
		return Matrix{}, fmt.Errorf("llama: %w", err)
	}
	if uint64(len(b)) != want {
		return Matrix{}, fmt.Errorf("llama: tensor %q: %d bytes, want %d", name, len(b), want)
	}
	m.Type, m.Blocks = t.Type, b
	return m, nil
}
