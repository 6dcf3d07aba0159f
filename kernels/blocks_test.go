package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/tensor"
)

// q8Block builds one block_q8_0 from a scale's fp16 bits and 32 quants.
func q8Block(d uint16, qs [32]int8) []byte {
	b := []byte{byte(d), byte(d >> 8)}
	for _, q := range qs {
		b = append(b, byte(q))
	}
	return b
}

func TestQuantizeRowQ8_0Hand(t *testing.T) {
	x := make([]float32, 32)
	x[0], x[1], x[2], x[3] = 127, -62.5, 0.5, -0.49
	b := make([]byte, Q8_0BlockBytes)
	QuantizeRowQ8_0(b, x)
	// amax 127 → d = 1 (fp16 0x3c00), id = 1; roundf: -62.5 → -63 (away from 0), 0.5 → 1, -0.49 → 0
	want := q8Block(0x3c00, [32]int8{127, -63, 1, 0})
	for i := range want {
		if b[i] != want[i] {
			t.Fatalf("byte %d = %#x, want %#x (%v)", i, b[i], want[i], b)
		}
	}
	// all zeros: d = 0, id = 0, every quant 0
	clear(x)
	QuantizeRowQ8_0(b, x)
	for i, v := range b {
		if v != 0 {
			t.Fatalf("zero block byte %d = %#x", i, v)
		}
	}
}

func TestDotQ8_0Hand(t *testing.T) {
	// w: d = 0.5 (0x3800), qs = 1..32; x: d = 2 (0x4000), qs = [1, -1, 1, -1, …]
	var qw, qx [32]int8
	for j := range qw {
		qw[j] = int8(j + 1)
		qx[j] = int8(1 - 2*(j%2))
	}
	w := q8Block(0x3800, qw)
	x := q8Block(0x4000, qx)
	// sumi = (1-2)+(3-4)+…+(31-32) = -16; sumf = -16·(0.5·2) = -16
	if got := DotQ8_0(w, x); got != -16 {
		t.Errorf("DotQ8_0 = %v, want -16", got)
	}
	// two blocks: second block w d = 1, qs all 127; x d = 1, qs all -128 → -127·128·32
	w2 := append(w, q8Block(0x3c00, [32]int8{127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127,
		127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127})...)
	var neg [32]int8
	for j := range neg {
		neg[j] = -128
	}
	x2 := append(x, q8Block(0x3c00, neg)...)
	if got, want := DotQ8_0(w2, x2), float32(-16-127*128*32); got != want {
		t.Errorf("DotQ8_0 two blocks = %v, want %v", got, want)
	}
}

func TestDotQ4_0Q8_0Hand(t *testing.T) {
	// w: d = 0.25 (0x3400), low nibbles 9 (value +1), high nibbles 6 (value -2)
	w := []byte{0x00, 0x34}
	for j := 0; j < 16; j++ {
		w = append(w, 0x69)
	}
	var qx [32]int8
	for j := range qx {
		qx[j] = int8(j) // 0..31
	}
	x := q8Block(0x4000, qx) // d = 2
	// sumi0 = Σ_{j<16} 1·j = 120; sumi1 = Σ_{j<16} -2·(j+16) = -752; sumi = -632
	// sumf = -632·0.25·2 = -316
	if got := DotQ4_0Q8_0(w, x); got != -316 {
		t.Errorf("DotQ4_0Q8_0 = %v, want -316", got)
	}
	y := make([]float32, 32)
	DequantizeRowQ4_0(y, w)
	if y[0] != 0.25 || y[16] != -0.5 {
		t.Errorf("DequantizeRowQ4_0: %v", y)
	}
}

func randRow(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// TestMatMulQ8_0VsFloat holds the quantized product to float math over the
// dequantized weights: the only extra error is the activations' rounding to
// Q8_0, at most d_x/2 per element.
func TestMatMulQ8_0VsFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, shape := range [][3]int{{1, 1, 32}, {3, 5, 64}, {2, 17, 288}} {
		nTok, rows, cols := shape[0], shape[1], shape[2]
		wf := randRow(r, rows*cols)
		wq := make([]byte, rows*cols/QK*Q8_0BlockBytes)
		QuantizeRowQ8_0(wq, wf)
		wd := make([]float32, rows*cols)
		DequantizeRowQ8_0(wd, wq)
		x := randRow(r, nTok*cols)
		got := make([]float32, nTok*rows)
		MatMulQ8_0(got, wq, x, nTok, rows, cols)
		want := make([]float32, nTok*rows)
		MatMul(want, wd, x, nTok, rows, cols)
		checkClose(t, "Q8_0", got, want, wd, x, rows, cols)

		// Q4_0 weights, built by hand from random nibbles and scales.
		w4 := make([]byte, rows*cols/QK*Q4_0BlockBytes)
		for i := 0; i < len(w4); i += Q4_0BlockBytes {
			h := tensor.F32ToF16(float32(r.Float64()*0.2 + 0.01))
			w4[i], w4[i+1] = byte(h), byte(h>>8)
			for j := 2; j < Q4_0BlockBytes; j++ {
				w4[i+j] = byte(r.IntN(256))
			}
		}
		DequantizeRowQ4_0(wd, w4)
		MatMulQ4_0(got, w4, x, nTok, rows, cols)
		MatMul(want, wd, x, nTok, rows, cols)
		checkClose(t, "Q4_0", got, want, wd, x, rows, cols)
	}
}

func checkClose(t *testing.T, name string, got, want, w, x []float32, rows, cols int) {
	t.Helper()
	for i := range got {
		tok, r := i/rows, i%rows
		var bound float64 // Σ |w|·(amax_x/127/2 + fp16 rounding of d) + float error
		for c := 0; c < cols; c++ {
			bound += math.Abs(float64(w[r*cols+c]))
		}
		var amax float64
		for _, v := range x[tok*cols : (tok+1)*cols] {
			amax = math.Max(amax, math.Abs(float64(v)))
		}
		bound = bound*amax/127*0.6 + 1e-4*math.Abs(float64(want[i])) + 1e-5
		if d := math.Abs(float64(got[i] - want[i])); d > bound {
			t.Errorf("%s [%d, %d] [tok %d row %d]: got %v, want %v (|Δ| %g > %g)", name, rows, cols, tok, r, got[i], want[i], d, bound)
		}
	}
}

func TestMatMulQ8_0Panics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for cols not a multiple of 32")
		}
	}()
	MatMulQ8_0(make([]float32, 1), make([]byte, 34), make([]float32, 33), 1, 1, 33)
}
