package llama

import (
	"fmt"
	"sync"

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
// converted as a whole. A Q4_0 matrix that is multiplied may also have a
// packed copy (kernels.PackQ, made once at load by packWeights), which its
// products then read instead of Data; everything else (row, export) keeps
// using Data.
type Matrix struct {
	Type       quant.Type // quant.F32, or any type kernels.CanMatMul accepts
	Rows, Cols int
	F32        []float32 // [Rows·Cols] when Type is quant.F32
	Data       []byte    // Rows rows of Cols elements in Type's encoding otherwise
	Bias       []float32 // [Rows], added to every product when set
	// Packed, when set, is Data packed for the kernels' row-lane tiles:
	// mulT multiplies it (the same bits as Data).
	Packed *kernels.PackedQ
}

// mulT computes out = X·Wᵀ (+ bias) for a batch of nTok row vectors, with the kernel
// of m's storage type (non-F32 types convert X to the type's activation
// type first, as ggml).
//
//	W: [Rows, Cols]   X: [nTok, Cols]   → out: [nTok, Rows]
func (m *Matrix) mulT(out, x []float32, nTok int) {
	switch {
	case m.Type == quant.F32:
		kernels.MatMul(out, m.F32, x, nTok, m.Rows, m.Cols)
	case m.Packed != nil:
		kernels.MatMulPacked(out, m.Packed, x, nTok)
	default:
		kernels.MatMulQ(out, m.Type, m.Data, x, nTok, m.Rows, m.Cols)
	}
	m.addBias(out, nTok)
}

// addBias adds m's bias (if any) to each of the nTok rows of out.
func (m *Matrix) addBias(out []float32, nTok int) {
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

// packWeights packs, once after loading from f, every matrix of w that is
// multiplied and that kernels.PackQ packs (Q4_0 with rows%16 == 0, on
// CPUs with the AVX-512 VNNI tiles; llama.cpp repacks Q4_0 at load too):
// the attention and FFN matrices of every layer and the output matrix
// (token_embd only when it is also the output: its rows are looked up from
// Data). Only a memory-mapped file's matrices are packed: once a matrix is
// packed, the pages of its file bytes are released (gguf.File.Release; Data
// stays valid and re-faults from the file when read, by row or export),
// so the process holds about the file's size, not twice it. Matrices are
// packed one after the other, each in parallel on the kernels' pool.
func packWeights(f *gguf.File, w *Weights) {
	if !f.Mapped() {
		return
	}
	ms := []*Matrix{&w.Output}
	for il := range w.Layers {
		l := &w.Layers[il]
		ms = append(ms, &l.Query, &l.Key, &l.Value, &l.AttnOutput, &l.FFNGate, &l.FFNUp, &l.FFNDown)
	}
	var wg sync.WaitGroup
	for _, m := range ms {
		if m.Packed != nil || m.Type != quant.Q4_0 {
			continue
		}
		p, ok := kernels.PackQ(m.Type, m.Data, m.Rows, m.Cols)
		if !ok {
			continue
		}
		m.Packed = p
		// The pages go back to the OS in the background (the next
		// matrix packs meanwhile); a failure only keeps them resident.
		wg.Add(1)
		go func(b []byte) {
			defer wg.Done()
			_ = f.Release(b)
		}(m.Data)
	}
	wg.Wait()
}
