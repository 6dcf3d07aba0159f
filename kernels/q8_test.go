package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
	"github.com/llmpipe/llmpipe/tensor"
)

// hsum8 is ggml's hsum_float_8: (a0+a4 + a2+a6) + (a1+a5 + a3+a7).
func hsum8(a *[8]float32) float32 {
	r0, r1, r2, r3 := a[0]+a[4], a[1]+a[5], a[2]+a[6], a[3]+a[7]
	return (r0 + r2) + (r1 + r3)
}

func sat16(v int32) int32 { return min(max(v, math.MinInt16), math.MaxInt16) }

// dotQ8_0AVX2Go is ggml's AVX2 ggml_vec_dot_q8_0_q8_0 written out in Go,
// instruction by instruction (VPSIGNB wrap-around and VPMADDUBSW
// saturation included): what the assembly must equal bit for bit.
func dotQ8_0AVX2Go(w, x []byte) float32 {
	var acc [8]float32
	for i := 0; i < len(w); i += Q8_0BlockBytes {
		bw, bx := w[i:i+Q8_0BlockBytes], x[i:i+Q8_0BlockBytes]
		d := blockScale(bw) * blockScale(bx)
		for k := 0; k < 8; k++ {
			var lane int32
			for p := 0; p < 2; p++ {
				var pair int32
				for j := 4*k + 2*p; j < 4*k+2*p+2; j++ {
					wv, xv := int8(bw[2+j]), int8(bx[2+j])
					ax := int32(uint8(wv)) // VPSIGNB(w, w): |w|, read unsigned (|-128| = 128)
					if wv < 0 {
						ax = int32(uint8(-wv))
					}
					var sy int8 // VPSIGNB(x, w), wrapping
					switch {
					case wv < 0:
						sy = -xv
					case wv > 0:
						sy = xv
					}
					pair += ax * int32(sy)
				}
				lane += sat16(pair)
			}
			acc[k] = fma32(d, float32(lane), acc[k])
		}
	}
	return hsum8(&acc)
}

// dotQ4_0AVX2Go is the Q4_0×Q8_0 kernel in Go: ggml's AVX2 order with
// exact integer lanes (lane k: bytes 4k..4k+3 of the 32 values, low
// nibbles first).
func dotQ4_0AVX2Go(w, x []byte) float32 {
	var acc [8]float32
	for b := 0; b < len(w)/Q4_0BlockBytes; b++ {
		bw, bx := w[b*Q4_0BlockBytes:(b+1)*Q4_0BlockBytes], x[b*Q8_0BlockBytes:(b+1)*Q8_0BlockBytes]
		d := blockScale(bw) * blockScale(bx)
		for k := 0; k < 8; k++ {
			var lane int32
			for j := 4 * k; j < 4*k+4; j++ {
				q := int32(bw[2+j%16] & 15)
				if j >= 16 {
					q = int32(bw[2+j%16] >> 4)
				}
				lane += (q - 8) * int32(int8(bx[2+j]))
			}
			acc[k] = fma32(d, float32(lane), acc[k])
		}
	}
	return hsum8(&acc)
}

func sameFloat(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// randBlocks returns n random blocks of type bb bytes (Q8_0: 34, Q4_0: 18)
// with finite fp16 scales in [2^-10, 2^2) and random quants; Q8_0 quants
// in [-lim, lim-1] (lim 128 includes -128).
func randBlocks(r *rand.Rand, n, bb int, lim int) []byte {
	b := make([]byte, n*bb)
	for i := 0; i < len(b); i += bb {
		h := tensor.F32ToF16(float32(math.Ldexp(1+r.Float64(), r.IntN(12)-10)))
		if r.IntN(2) == 0 {
			h |= 0x8000
		}
		b[i], b[i+1] = byte(h), byte(h>>8)
		for j := 2; j < bb; j++ {
			if bb == Q8_0BlockBytes {
				b[i+j] = byte(int8(r.IntN(2*lim) - lim))
			} else {
				b[i+j] = byte(r.Uint32())
			}
		}
	}
	return b
}

// dotQBound bounds |result - exact| for a Q8_0/Q4_0 dot product summed
// in blocks (the generic reference: terms float32(sumi)·d) or in 8 lanes
// of 4 products (the AVX2 order): the rounding of d and of a summation
// tree at most nb+4 deep (Higham's γ), relative to the sum of |lane
// terms|, which is at least the sum of |block terms|.
func dotQBound(w, x []byte, bb int) (exact, bound float64) {
	var abs float64
	nb := len(x) / Q8_0BlockBytes
	for b := 0; b < nb; b++ {
		bw, bx := w[b*bb:(b+1)*bb], x[b*Q8_0BlockBytes:(b+1)*Q8_0BlockBytes]
		d := float64(blockScale(bw)) * float64(blockScale(bx))
		for k := 0; k < 8; k++ {
			var lane int64
			for j := 4 * k; j < 4*k+4; j++ {
				var q int64
				if bb == Q8_0BlockBytes {
					q = int64(int8(bw[2+j]))
				} else if j < 16 {
					q = int64(bw[2+j]&15) - 8
				} else {
					q = int64(bw[2+j-16]>>4) - 8
				}
				lane += q * int64(int8(bx[2+j]))
			}
			exact += float64(lane) * d
			abs += math.Abs(float64(lane) * d)
		}
	}
	k := float64(nb + 4)
	return exact, k * u / (1 - k*u) * abs
}

// TestQ8DotVsRef holds the Q8_0×Q8_0 and Q4_0×Q8_0 dot products (assembly
// where available) to ggml's AVX2 order written in Go, bit for bit, and
// to the generic reference and the exact sum within float32 rounding, at
// every length 32..4096 (step 32) and odd sub-slice offsets.
func TestQ8DotVsRef(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const maxNB = 4096 / QK
	for _, bb := range []int{Q8_0BlockBytes, Q4_0BlockBytes} {
		wbuf := randBlocks(r, maxNB+1, bb, 128)
		xbuf := randBlocks(r, maxNB+1, Q8_0BlockBytes, 127)
		for nb := 1; nb <= maxNB; nb++ {
			for _, off := range []int{0, 1, 7} {
				w := wbuf[off : off+nb*bb]
				x := xbuf[2*off+1 : 2*off+1+nb*Q8_0BlockBytes]
				var got, emu, ref float32
				if bb == Q8_0BlockBytes {
					got, emu, ref = DotQ8_0(w, x), dotQ8_0AVX2Go(w, x), dotQ8_0Ref(w, x)
				} else {
					got, emu, ref = DotQ4_0Q8_0(w, x), dotQ4_0AVX2Go(w, x), dotQ4_0Ref(w, x)
				}
				if useAsm && !sameFloat(got, emu) {
					t.Fatalf("bb=%d nb=%d off=%d: assembly %v, ggml AVX2 order %v", bb, nb, off, got, emu)
				}
				if !useAsm && !sameFloat(got, ref) {
					t.Fatalf("bb=%d nb=%d off=%d: fallback %v, reference %v", bb, nb, off, got, ref)
				}
				exact, bound := dotQBound(w, x, bb)
				for _, v := range []float32{got, emu, ref} {
					if d := math.Abs(float64(v) - exact); d > bound {
						t.Fatalf("bb=%d nb=%d off=%d: %v vs exact %v: |Δ| %g > %g", bb, nb, off, v, exact, d, bound)
					}
				}
			}
		}
	}
}

// TestQ8DotEdgeCases: NaN/Inf/zero/subnormal scales, all-zero blocks,
// extreme quants (weights -128 and 127 against activations ±127), and the
// documented activation -128 case.
func TestQ8DotEdgeCases(t *testing.T) {
	mk := func(d uint16, q int8, bb int) []byte {
		b := make([]byte, bb)
		b[0], b[1] = byte(d), byte(d>>8)
		for j := 2; j < bb; j++ {
			b[j] = byte(q)
		}
		return b
	}
	scales := []uint16{0x3c00, 0x0000, 0x8000, 0x0001, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0xfe01}
	quants := []int8{0, 1, -1, 127, -127, -128, 0x77, -0x78}
	for _, bb := range []int{Q8_0BlockBytes, Q4_0BlockBytes} {
		for _, dw := range scales {
			for _, dx := range scales {
				for _, qw := range quants {
					for _, qx := range []int8{0, 1, -1, 127, -127} {
						// three blocks: the edge block between two ordinary ones
						w := slices.Concat(mk(0x3c00, 3, bb), mk(dw, qw, bb), mk(0x3800, -5, bb))
						x := slices.Concat(mk(0x3c00, 7, Q8_0BlockBytes), mk(dx, qx, Q8_0BlockBytes), mk(0x4000, 9, Q8_0BlockBytes))
						var got, emu, ref float32
						if bb == Q8_0BlockBytes {
							got, emu, ref = DotQ8_0(w, x), dotQ8_0AVX2Go(w, x), dotQ8_0Ref(w, x)
						} else {
							got, emu, ref = DotQ4_0Q8_0(w, x), dotQ4_0AVX2Go(w, x), dotQ4_0Ref(w, x)
						}
						if useAsm && !sameFloat(got, emu) {
							t.Fatalf("bb=%d d %#x·%#x q %d·%d: assembly %v, ggml AVX2 order %v", bb, dw, dx, qw, qx, got, emu)
						}
						// Non-finite wherever the reference is (Inf in one
						// order can be Inf-Inf = NaN in the other); finite
						// results agree with it to rounding.
						finite := func(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }
						if finite(ref) != finite(got) {
							t.Fatalf("bb=%d d %#x·%#x q %d·%d: %v, reference %v", bb, dw, dx, qw, qx, got, ref)
						}
						if exact, bound := dotQBound(w, x, bb); !math.IsInf(exact, 0) && !math.IsNaN(exact) &&
							math.Abs(float64(got)-exact) > bound {
							t.Fatalf("bb=%d d %#x·%#x q %d·%d: %v vs exact %v (bound %g)", bb, dw, dx, qw, qx, got, exact, bound)
						}
					}
				}
			}
		}
	}
	// Activation -128 (never made by QuantizeRowQ8_0): against a positive
	// Q8_0 weight it is exact; against a negative weight w, VPSIGNB negates
	// -128 to itself, so each product comes out as |w|·(-128) instead of
	// +|w|·128: the sign is wrong, exactly as in ggml's AVX2 kernel. Q4_0's
	// kernel (VPMADDUBSW of unsigned nibbles) is exact for any activation.
	w, x := mk(0x3c00, 2, Q8_0BlockBytes), mk(0x3c00, -128, Q8_0BlockBytes)
	if got := DotQ8_0(w, x); got != -2*128*32 {
		t.Errorf("w=2, x=-128: %v, want %v", got, -2*128*32)
	}
	if useAsm {
		w = mk(0x3c00, -2, Q8_0BlockBytes)
		if got, emu := DotQ8_0(w, x), dotQ8_0AVX2Go(w, x); got != emu || got != -2*128*32 {
			t.Errorf("w=-2, x=-128: %v, ggml AVX2 %v (both should be %v, the wrapped sign)", got, emu, -2*128*32)
		}
	}
	w4 := mk(0x3c00, 0x00, Q4_0BlockBytes) // every nibble 0: value -8
	if got := DotQ4_0Q8_0(w4, x); got != 8*128*32 {
		t.Errorf("Q4_0 -8 × -128: %v, want %v", got, 8*128*32)
	}
}

// TestQ8Rows holds the row-tiled kernels to the single-row Dot bit for
// bit (Q4_0 matrices of rows%8 == 0: to the repacked order's reference), for every token count 1..7, row ranges [lo, hi) that start and end
// anywhere, and shapes big enough to split tokens into chunks; rows
// outside [lo, hi) are left alone.
func TestQ8Rows(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, typ := range []quant.Type{quant.Q8_0, quant.Q4_0} {
		k := LookupQKernel(typ)
		if k.Rows == nil {
			t.Skipf("%v: no Rows kernel in this build (MatMulQ loops over Dot)", typ)
		}
		bb := typ.TypeSize()
		dot := DotQ8_0
		if typ == quant.Q4_0 {
			dot = DotQ4_0Q8_0
		}
		for _, s := range [][3]int{{1, 1, 32}, {2, 4, 64}, {3, 9, 96}, {5, 13, 256}, {7, 6, 32}, {4, 8, 1024}, {67, 5, 4096}, {61, 9, 4096}} {
			nTok, rows, cols := s[0], s[1], s[2]
			nb := cols / QK
			w := randBlocks(r, rows*nb, bb, 128)
			xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
			want := make([]float32, nTok*rows)
			for tk := 0; tk < nTok; tk++ {
				for j := 0; j < rows; j++ {
					wr, xt := w[j*nb*bb:(j+1)*nb*bb], xq[tk*nb*Q8_0BlockBytes:(tk+1)*nb*Q8_0BlockBytes]
					if typ == quant.Q4_0 {
						want[tk*rows+j] = q4RowsWant(wr, xt, rows) // the repacked order for rows%8 == 0
					} else {
						want[tk*rows+j] = dot(wr, xt)
					}
				}
			}
			for lo := 0; lo < min(rows, 3); lo++ {
				for hi := lo; hi <= rows; hi++ {
					got := make([]float32, nTok*rows)
					for i := range got {
						got[i] = -1
					}
					k.Rows(got, w, xq, nTok, rows, cols, lo, hi)
					for tk := 0; tk < nTok; tk++ {
						for j := 0; j < rows; j++ {
							g, wt := got[tk*rows+j], want[tk*rows+j]
							if j < lo || j >= hi {
								wt = -1
							}
							if !sameFloat(g, wt) {
								t.Fatalf("%v %v rows [%d,%d) [tok %d row %d] = %v, Dot %v", typ, s, lo, hi, tk, j, g, wt)
							}
						}
					}
				}
			}
		}
	}
}

// TestQ8MatMulThreads: MatMulQ on shapes the pool splits gives the same
// bits with 1 and 2 threads and per token alone, and equals the Dot of
// each row and token.
func TestQ8MatMulThreads(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, typ := range []quant.Type{quant.Q8_0, quant.Q4_0} {
		const nTok, rows, cols = 5, 203, 768
		w, _ := randQuantMatrix(t, r, typ, rows, cols)
		x := randRow(r, nTok*cols)
		var got [2][]float32
		for th := 1; th <= 2; th++ {
			withThreads(t, th, func() {
				got[th-1] = make([]float32, nTok*rows)
				MatMulQ(got[th-1], typ, w, x, nTok, rows, cols)
			})
		}
		if !slices.EqualFunc(got[0], got[1], sameFloat) {
			t.Fatalf("%v: 1 and 2 threads differ", typ)
		}
		one := make([]float32, rows)
		xq := make([]byte, cols/QK*Q8_0BlockBytes)
		wb := rowBytes(typ, cols)
		for tk := 0; tk < nTok; tk++ {
			MatMulQ(one, typ, w, x[tk*cols:(tk+1)*cols], 1, rows, cols)
			if !slices.EqualFunc(one, got[0][tk*rows:(tk+1)*rows], sameFloat) {
				t.Fatalf("%v: token %d alone differs from the batch", typ, tk)
			}
			QuantizeRowQ8_0(xq, x[tk*cols:(tk+1)*cols])
			for j := 0; j < rows; j++ {
				var d float32
				if typ == quant.Q8_0 {
					d = DotQ8_0(w[j*wb:(j+1)*wb], xq)
				} else {
					d = DotQ4_0Q8_0(w[j*wb:(j+1)*wb], xq)
				}
				if !sameFloat(d, got[0][tk*rows+j]) {
					t.Fatalf("%v [%d,%d] = %v, Dot %v", typ, tk, j, got[0][tk*rows+j], d)
				}
			}
		}
	}
}

// TestQ8Fallback: with the assembly turned off, MatMulQ8_0/MatMulQ4_0 are
// the generic reference bit for bit, and agree with the assembly results
// to rounding.
func TestQ8Fallback(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const nTok, rows, cols = 3, 21, 320
	for _, typ := range []quant.Type{quant.Q8_0, quant.Q4_0} {
		w, _ := randQuantMatrix(t, r, typ, rows, cols)
		x := randRow(r, nTok*cols)
		fast, slow, ref := make([]float32, nTok*rows), make([]float32, nTok*rows), make([]float32, nTok*rows)
		if typ == quant.Q8_0 {
			MatMulQ8_0(fast, w, x, nTok, rows, cols)
		} else {
			MatMulQ4_0(fast, w, x, nTok, rows, cols)
		}
		saved := useAsm
		useAsm = false
		if typ == quant.Q8_0 {
			MatMulQ8_0(slow, w, x, nTok, rows, cols)
		} else {
			MatMulQ4_0(slow, w, x, nTok, rows, cols)
		}
		matMulQRef(ref, typ, w, x, nTok, rows, cols)
		useAsm = saved
		xq := make([]byte, cols/QK*Q8_0BlockBytes)
		wb := rowBytes(typ, cols)
		for tk := 0; tk < nTok; tk++ {
			quantizeRowQ8_0Ref(xq, x[tk*cols:(tk+1)*cols])
			for j := 0; j < rows; j++ {
				i := tk*rows + j
				var want float32
				if typ == quant.Q8_0 {
					want = dotQ8_0Ref(w[j*wb:(j+1)*wb], xq)
				} else {
					want = dotQ4_0Ref(w[j*wb:(j+1)*wb], xq)
				}
				if slow[i] != want || ref[i] != want {
					t.Fatalf("%v [%d,%d]: fallback %v, matMulQRef %v, generic reference %v", typ, tk, j, slow[i], ref[i], want)
				}
				exact, bound := dotQBound(w[j*wb:(j+1)*wb], xq, typ.TypeSize())
				if math.Abs(float64(fast[i])-exact) > bound {
					t.Fatalf("%v [%d,%d]: %v, exact %v (bound %g)", typ, tk, j, fast[i], exact, bound)
				}
			}
		}
	}
}

// TestQuantizeRowQ8_0VsRef holds the activation quantizer byte for byte to
// quant's reference on random rows of many scales, exact .5 ties, zeros
// and -0, subnormals, huge values, ±Inf and NaN, at every length that is
// a multiple of 32 up to 1024 and odd sub-slice offsets.
func TestQuantizeRowQ8_0VsRef(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	special := []float32{0, float32(math.Copysign(0, -1)), 0.5, -0.5, 1.5, -2.5, 127, -127, 63.5,
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 1e-40, 1.5e-43,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e30, 6e4, 65504, 65520, 1e-7}
	gen := func(n int, kind int) []float32 {
		x := make([]float32, n)
		scale := float32(math.Ldexp(1, r.IntN(60)-30))
		for i := range x {
			switch kind {
			case 0: // normal
				x[i] = float32(r.NormFloat64()) * scale
			case 1: // exact ties: integers + 0.5 with amax 127 (d = 1, id = 1)
				x[i] = float32(r.IntN(253)-126) + 0.5
				if i%32 == 0 {
					x[i] = 127
				}
			case 2: // mostly special
				if r.IntN(3) == 0 {
					x[i] = special[r.IntN(len(special))]
				} else {
					x[i] = float32(r.NormFloat64()) * scale
				}
			case 3: // all-zero blocks and tiny subnormals
				if r.IntN(2) == 0 {
					x[i] = float32(r.IntN(5)-2) * math.SmallestNonzeroFloat32
				}
			case 4: // ties at other scales: k/2 · 2^e with amax 127·2^e
				e := r.IntN(20) - 10
				x[i] = float32(math.Ldexp(float64(r.IntN(255)-127)/2, e))
				if i%32 == 5 {
					x[i] = float32(math.Ldexp(-127, e))
				}
			}
		}
		return x
	}
	buf := make([]float32, 1024+8)
	for n := QK; n <= 1024; n += QK {
		for kind := 0; kind < 5; kind++ {
			off := (n/QK + kind) % 8
			x := buf[off : off+n]
			copy(x, gen(n, kind))
			got, want := make([]byte, n/QK*Q8_0BlockBytes), make([]byte, n/QK*Q8_0BlockBytes)
			QuantizeRowQ8_0(got, x)
			quantizeRowQ8_0Ref(want, x)
			if !slices.Equal(got, want) {
				for i := range got {
					if got[i] != want[i] {
						b := i / Q8_0BlockBytes
						t.Fatalf("n=%d kind %d: byte %d (block %d) = %#x, reference %#x; block values %v",
							n, kind, i, b, got[i], want[i], x[b*QK:(b+1)*QK])
					}
				}
			}
		}
	}
	// Every special value alone in a block, and with each other.
	for _, a := range special {
		for _, b := range special {
			x := make([]float32, 64)
			for i := range x {
				x[i] = float32(i%7-3) * 0.25
			}
			x[3], x[40] = a, b
			x[35] = a
			got, want := make([]byte, 68), make([]byte, 68)
			QuantizeRowQ8_0(got, x)
			quantizeRowQ8_0Ref(want, x)
			if !slices.Equal(got, want) {
				t.Fatalf("specials %v, %v: %v, reference %v", a, b, got, want)
			}
		}
	}
}

// TestQ8KernelsRegistered checks the fast kernels are in MatMulQ's table
// where the CPU has them.
func TestQ8KernelsRegistered(t *testing.T) {
	for _, typ := range []quant.Type{quant.Q8_0, quant.Q4_0} {
		k := LookupQKernel(typ)
		if k == nil || k.Act != quant.Q8_0 {
			t.Fatalf("%v: kernel %+v", typ, k)
		}
		if haveAVX2FMA != (k.Rows != nil && k.Dot != nil) {
			t.Errorf("%v: AVX2+FMA %v, Rows/Dot registered %v/%v", typ, haveAVX2FMA, k.Rows != nil, k.Dot != nil)
		}
	}
	t.Logf("assembly: %v", useAsm)
}
