package kernels

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
	"github.com/llmpipe/llmpipe/tensor"
)

// q4KRPBlocks returns n random block_q4_K: d and dmin finite fp16 in
// ±[2^-10, 2^2) (or the special values of ext: max, subnormal, +Inf),
// random scale and quant bytes (all 0xff scale bytes, every 6-bit scale
// and min 63, when ext).
func q4KRPBlocks(r *rand.Rand, n int, ext bool) []byte {
	b := make([]byte, n*q4KBlockBytes)
	special := []uint16{0x7bff, 0xfbff, 0x0001, 0x8001, 0x03ff, 0x7c00, 0}
	for i := 0; i < n; i++ {
		o := b[i*q4KBlockBytes:][:q4KBlockBytes]
		for k := 0; k < 2; k++ {
			h := tensor.F32ToF16(float32(math.Ldexp(1+r.Float64(), r.IntN(12)-10)))
			if r.IntN(2) == 0 {
				h |= 0x8000
			}
			if ext && r.IntN(3) == 0 {
				h = special[r.IntN(len(special))]
			}
			binary.LittleEndian.PutUint16(o[2*k:], h)
		}
		for j := 4; j < q4KBlockBytes; j++ {
			o[j] = byte(r.Uint32())
		}
		if ext && r.IntN(2) == 0 {
			for j := 4; j < 16; j++ {
				o[j] = 0xff
			}
		}
	}
	return b
}

// q8KRPBlocks returns n block_q8_K with random quants in [-127, 127] (all
// ±127 when ext, for some blocks), their bsums, and d finite in
// ±[2^-12, 2^-4).
func q8KRPBlocks(r *rand.Rand, n int, ext bool) []byte {
	b := make([]byte, n*q8KBlockBytes)
	for i := 0; i < n; i++ {
		o := b[i*q8KBlockBytes:][:q8KBlockBytes]
		d := float32(math.Ldexp(1+r.Float64(), r.IntN(8)-12))
		binary.LittleEndian.PutUint32(o, math.Float32bits(d))
		mode := 0
		if ext {
			mode = r.IntN(3)
		}
		for j := 0; j < 16; j++ {
			var s int32
			for l := 0; l < 16; l++ {
				q := int8(r.IntN(255) - 127)
				switch mode {
				case 1:
					q = 127
				case 2:
					q = -127
				}
				o[4+16*j+l] = byte(q)
				s += int32(q)
			}
			binary.LittleEndian.PutUint16(o[260+2*j:], uint16(int16(s)))
		}
	}
	return b
}

// checkQ4KRows runs the Q4_K Rows on rows [lo, hi) and holds every output
// to its definition: dotQ4KRPRef when rows%8 == 0, the kernel's Dot (the
// vec_dot order) otherwise, bit for bit.
func checkQ4KRows(t *testing.T, label string, w, xq []byte, nTok, rows, cols, lo, hi int) {
	t.Helper()
	k := LookupQKernel(quant.Q4_K)
	dot := k.Dot
	if dot == nil {
		dot = k.Ref
	}
	if repackedRows(rows) {
		dot = dotQ4KRPRef
	}
	nb := cols / qkK
	wb, xb := nb*q4KBlockBytes, nb*q8KBlockBytes
	out := make([]float32, nTok*rows)
	for i := range out {
		out[i] = -1234.5
	}
	k.Rows(out, w, xq, nTok, rows, cols, lo, hi)
	for tk := 0; tk < nTok; tk++ {
		for r := 0; r < rows; r++ {
			got := out[tk*rows+r]
			if r < lo || r >= hi {
				if got != -1234.5 {
					t.Fatalf("%s: nTok=%d rows=%d cols=%d [%d,%d): wrote row %d token %d outside the range", label, nTok, rows, cols, lo, hi, r, tk)
				}
				continue
			}
			want := dot(w[r*wb:(r+1)*wb], xq[tk*xb:(tk+1)*xb], cols)
			if !sameFloat(got, want) {
				t.Fatalf("%s: nTok=%d rows=%d cols=%d [%d,%d) row %d token %d: got %g (%#x), want %g (%#x)",
					label, nTok, rows, cols, lo, hi, r, tk, got, math.Float32bits(got), want, math.Float32bits(want))
			}
		}
	}
}

// q4KRowsShapes runs check over token counts 1..20, row counts 8..48
// (multiples of 8 and others), 256..4096 columns, whole and partial row
// ranges, random and extreme values.
func q4KRowsShapes(t *testing.T, label string, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	type shape struct{ rows, cols int }
	shapes := []shape{{8, 256}, {16, 512}, {24, 768}, {40, 256}, {48, 1024}, {32, 4096},
		{9, 256}, {17, 512}, {33, 768}, {12, 256}}
	for si, s := range shapes {
		nb := s.cols / qkK
		for nTok := 1; nTok <= 20; nTok++ {
			if s.cols >= 4096 && nTok%3 != 1 {
				continue
			}
			ext := (nTok+si)%3 == 0
			w := q4KRPBlocks(r, s.rows*nb, ext)
			xq := q8KRPBlocks(r, nTok*nb, ext)
			checkQ4KRows(t, label, w, xq, nTok, s.rows, s.cols, 0, s.rows)
			if nTok%4 == 1 {
				lo, hi := 3, s.rows-2
				checkQ4KRows(t, label, w, xq, nTok, s.rows, s.cols, lo, hi)
			}
		}
	}
}

// TestQ4KRowsRepackedOrder: Q4_K Rows gives dotQ4KRPRef's bits for
// matrices with rows%8 == 0 and Dot's for the others, for every token
// count (so one token and any batch agree), with and without the assembly.
func TestQ4KRowsRepackedOrder(t *testing.T) {
	defer func(a bool) { useAsm = a }(useAsm)
	q4KRowsShapes(t, "default", 1)
	useAsm = false
	q4KRowsShapes(t, "no asm", 2)
}

// TestDotQ4KRPRefDefinition checks dotQ4KRPRef on one block against the
// formula written out by hand from ggml_gemv_q4_K_8x8_q8_K: acc =
// fma(S, d·dx, 0), accmin = fma(M, dmin·dx, 0), result acc - accmin.
func TestDotQ4KRPRefDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for it := 0; it < 50; it++ {
		w := q4KRPBlocks(r, 1, false)
		x := q8KRPBlocks(r, 1, false)
		var q [256]int32
		for j := 0; j < 4; j++ {
			for l := 0; l < 32; l++ {
				q[64*j+l] = int32(w[16+32*j+l] & 0xF)
				q[64*j+32+l] = int32(w[16+32*j+l] >> 4)
			}
		}
		sc, mn := unpackScalesQ4K(w[4:16])
		var s, m int64
		for i := 0; i < 256; i++ {
			s += int64(sc[i/32]) * int64(q[i]) * int64(int8(x[4+i]))
		}
		for i := 0; i < 16; i++ {
			m += int64(mn[i/2]) * int64(q8KBsum(x, i))
		}
		dx := q8KScale(x)
		d, dmin := f16At(w[0:])*dx, f16At(w[2:])*dx
		want := float32(float64(float32(s))*float64(d)) - float32(float64(float32(m))*float64(dmin))
		if got := dotQ4KRPRef(w, x, 256); !sameFloat(got, want) {
			t.Fatalf("block %d: dotQ4KRPRef %g, formula %g", it, got, want)
		}
	}
}

// TestQ4KRowsRepackedModes runs the weight modes of randKWeights (NaN and
// Inf fp16 scales among them) and the activation modes of randQ8K
// through the Q4_K Rows of a 16-row matrix.
func TestQ4KRowsRepackedModes(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const rows, cols = 16, 768
	nb := cols / qkK
	for wm := 0; wm < 4; wm++ {
		for xm := 0; xm < 3; xm++ {
			for _, nTok := range []int{1, 2, 3, 4, 5, 8} {
				w, xq := make([]byte, rows*nb*q4KBlockBytes), make([]byte, nTok*nb*q8KBlockBytes)
				randKWeights(r, quant.Q4_K, w, rows*nb, wm)
				randQ8K(r, xq, nTok*nb, xm)
				checkQ4KRows(t, "modes", w, xq, nTok, rows, cols, 0, rows)
			}
		}
	}
}

// TestQ4KMatMulBatchInvariant: MatMulQ of a Q4_K matrix with rows%8 == 0
// gives each token the same bits alone and in batches of 2..9 tokens, on
// one thread and on three (ForwardBatch = Forward rests on it).
func TestQ4KMatMulBatchInvariant(t *testing.T) {
	defer SetThreads(Threads())
	r := rand.New(rand.NewPCG(21, 22))
	const rows, cols = 40, 512
	w := q4KRPBlocks(r, rows*cols/qkK, false)
	x := make([]float32, 9*cols)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	for _, th := range []int{1, 3} {
		SetThreads(th)
		one := make([]float32, 9*rows)
		for tk := 0; tk < 9; tk++ {
			MatMulQ(one[tk*rows:(tk+1)*rows], quant.Q4_K, w, x[tk*cols:(tk+1)*cols], 1, rows, cols)
		}
		for n := 2; n <= 9; n++ {
			got := make([]float32, n*rows)
			MatMulQ(got, quant.Q4_K, w, x[:n*cols], n, rows, cols)
			for i := range got {
				if !sameFloat(got[i], one[i]) {
					t.Fatalf("threads=%d nTok=%d: output %d is %g in the batch, %g alone", th, n, i, got[i], one[i])
				}
			}
		}
	}
}
