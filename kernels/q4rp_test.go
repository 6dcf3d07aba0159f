package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// q4RowsWant is what QKernel.Rows of Q4_0 must give for one weight row of
// a matrix of rows rows and one token: the repacked order's reference for
// rows%8 == 0, else Dot's bits.
func q4RowsWant(w, x []byte, rows int) float32 {
	if repackedRows(rows) {
		return dotQ4_0RPRef(w, x)
	}
	return DotQ4_0Q8_0(w, x)
}

// checkQ4Rows runs the registered Q4_0 Rows on rows [lo, hi) and holds
// every element to q4RowsWant bit for bit (NaNs as NaNs); the other
// elements must stay untouched.
func checkQ4Rows(t *testing.T, name string, w, xq []byte, nTok, rows, cols, lo, hi int) {
	t.Helper()
	k := LookupQKernel(quant.Q4_0)
	nb := cols / QK
	wb, xb := nb*Q4_0BlockBytes, nb*Q8_0BlockBytes
	const sentinel = float32(-12345.5)
	got := make([]float32, nTok*rows)
	for i := range got {
		got[i] = sentinel
	}
	k.Rows(got, w, xq, nTok, rows, cols, lo, hi)
	for tk := range nTok {
		for j := range rows {
			want := sentinel
			if j >= lo && j < hi {
				want = q4RowsWant(w[j*wb:(j+1)*wb], xq[tk*xb:(tk+1)*xb], rows)
			}
			if g := got[tk*rows+j]; !sameFloat(g, want) {
				t.Fatalf("%s: %d tokens × %d rows × %d cols, rows [%d,%d): token %d row %d: Rows %v (%#x), want %v (%#x)",
					name, nTok, rows, cols, lo, hi, tk, j, g, math.Float32bits(g), want, math.Float32bits(want))
			}
		}
	}
}

// TestDotQ4_0RPRefHand: the repacked order on a hand-computed row: per
// block S·(dw·dx) accumulated with one rounding each (fma), no lane sums.
func TestDotQ4_0RPRefHand(t *testing.T) {
	w := make([]byte, 2*Q4_0BlockBytes)
	x := make([]byte, 2*Q8_0BlockBytes)
	// block 0: dw = 1, nibbles all 9 (q-8 = 1); dx = 0.5, x_j = j-16 → S = Σ(j-16) = -16
	// block 1: dw = 2, nibbles all 0 (q-8 = -8); dx = 0.25, x_j = 1 → S = -256
	w[0], w[1] = 0x00, 0x3c
	w[18], w[19] = 0x00, 0x40
	for j := range 16 {
		w[2+j] = 0x99
		w[20+j] = 0x00
	}
	x[0], x[1] = 0x00, 0x38
	x[34], x[35] = 0x00, 0x34
	for j := range 32 {
		x[2+j] = byte(int8(j - 16))
		x[36+j] = 1
	}
	if got, want := dotQ4_0RPRef(w, x), float32(-16*0.5+-256*0.5); got != want {
		t.Errorf("dotQ4_0RPRef = %v, want %v", got, want)
	}
}

// TestQ4RowsRepackedOrder: Rows of Q4_0 gives the repacked reference's bits
// for rows%8 == 0 (and Dot's for the other row counts) for 1..20 tokens,
// 8..48 rows and 32..4096 columns, on every path this build has (useAsm
// off: plain Go).
func TestQ4RowsRepackedOrder(t *testing.T) {
	defer func(v bool) { useAsm = v }(useAsm)
	r := rand.New(rand.NewPCG(41, 42))
	type shape struct{ nTok, rows, cols int }
	var shapes []shape
	for nTok := 1; nTok <= 20; nTok++ {
		shapes = append(shapes, shape{nTok, 8 * (1 + nTok%6), 32 * (1 + nTok%5)})
	}
	for _, rows := range []int{5, 8, 12, 16, 17, 24, 32, 37, 40, 48} {
		shapes = append(shapes, shape{1 + rows%4, rows, 96}, shape{9, rows, 64})
	}
	shapes = append(shapes, shape{1, 16, 4096}, shape{3, 24, 4096}, shape{8, 32, 2048}, shape{11, 48, 768}, shape{2, 8, 768})
	for _, asm := range []bool{true, false} {
		useAsm = asm && haveAVX2FMA
		for _, s := range shapes {
			nb := s.cols / QK
			w := randBlocks(r, s.rows*nb, Q4_0BlockBytes, 8)
			xq := randBlocks(r, s.nTok*nb, Q8_0BlockBytes, 127)
			name := fmt.Sprintf("asm %v", useAsm)
			checkQ4Rows(t, name, w, xq, s.nTok, s.rows, s.cols, 0, s.rows)
			if s.rows > 8 {
				checkQ4Rows(t, name, w, xq, s.nTok, s.rows, s.cols, 3, s.rows-1)
				checkQ4Rows(t, name, w, xq, s.nTok, s.rows, s.cols, 8, s.rows)
			}
		}
	}
}

// q4Extremes returns Q4_0 weights and Q8_0 activations with extreme
// values: nibbles 0 and 15, activations ±127, fp16 scales at the largest
// finite, the smallest subnormal, ±Inf and NaN among ordinary ones.
func q4Extremes(r *rand.Rand, rows, nTok, nb int) (w, xq []byte) {
	scales := []uint16{0x7bff, 0xfbff, 0x0001, 0x8001, 0x7c00, 0xfc00, 0x7e00, 0x3c00, 0x0400, 0x2e66}
	w = make([]byte, rows*nb*Q4_0BlockBytes)
	for i := 0; i < len(w); i += Q4_0BlockBytes {
		h := scales[r.IntN(len(scales))]
		if r.IntN(3) > 0 {
			h = 0x3c00 + uint16(r.IntN(64))
		}
		w[i], w[i+1] = byte(h), byte(h>>8)
		for j := 2; j < Q4_0BlockBytes; j++ {
			w[i+j] = []byte{0x00, 0xff, 0x0f, 0xf0, byte(r.Uint32())}[r.IntN(5)]
		}
	}
	xq = make([]byte, nTok*nb*Q8_0BlockBytes)
	for i := 0; i < len(xq); i += Q8_0BlockBytes {
		h := scales[r.IntN(len(scales))]
		if r.IntN(3) > 0 {
			h = 0x3800 + uint16(r.IntN(64))
		}
		xq[i], xq[i+1] = byte(h), byte(h>>8)
		for j := 2; j < Q8_0BlockBytes; j++ {
			xq[i+j] = byte([]int8{127, -127, 127, -127, int8(r.IntN(255) - 127)}[r.IntN(5)])
		}
	}
	return w, xq
}

// TestQ4RowsExtremes: Rows of Q4_0 at extreme values (q4Extremes) keeps
// the reference's bits, NaN for NaN, on every path.
func TestQ4RowsExtremes(t *testing.T) {
	defer func(v bool) { useAsm = v }(useAsm)
	r := rand.New(rand.NewPCG(43, 44))
	for _, asm := range []bool{true, false} {
		useAsm = asm && haveAVX2FMA
		for _, s := range [][3]int{{1, 16, 64}, {3, 24, 256}, {8, 40, 128}, {13, 48, 96}, {2, 12, 128}, {5, 8, 4096}} {
			nTok, rows, cols := s[0], s[1], s[2]
			w, xq := q4Extremes(r, rows, nTok, cols/QK)
			checkQ4Rows(t, fmt.Sprintf("extremes, asm %v", useAsm), w, xq, nTok, rows, cols, 0, rows)
		}
	}
}

// TestQ4MatMulBatchInvariant: MatMulQ of a Q4_0 matrix (rows%8 == 0 and
// not) gives each token the bits it gets alone, whatever the batch.
func TestQ4MatMulBatchInvariant(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	for _, rows := range []int{64, 60} {
		cols := 256
		w := randBlocks(r, rows*cols/QK, Q4_0BlockBytes, 8)
		x := make([]float32, 9*cols)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		all := make([]float32, 9*rows)
		MatMulQ(all, quant.Q4_0, w, x, 9, rows, cols)
		one := make([]float32, rows)
		for tk := range 9 {
			MatMulQ(one, quant.Q4_0, w, x[tk*cols:(tk+1)*cols], 1, rows, cols)
			for j := range rows {
				if !sameFloat(one[j], all[tk*rows+j]) {
					t.Fatalf("%d rows: token %d row %d: alone %v, in a batch of 9 %v", rows, tk, j, one[j], all[tk*rows+j])
				}
			}
		}
	}
}
