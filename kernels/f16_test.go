package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
	"github.com/llmpipe/llmpipe/tensor"
)

// halfType is one 16-bit weight type under test.
type halfType struct {
	t       quant.Type
	toF32   func(uint16) float32
	convert func(dst []byte, x []float32) // the fast activation conversion
	nan     []uint16
	inf     uint16
	denorm  uint16 // smallest positive subnormal
}

var halfTypes = []halfType{
	{quant.F16, tensor.F16ToF32, convertRowF16, []uint16{0x7e00, 0x7c01, 0xfe00, 0x7fff}, 0x7c00, 0x0001},
	{quant.BF16, tensor.BF16ToF32, convertRowBF16, []uint16{0x7fc0, 0x7f81, 0xffc0, 0x7fff}, 0x7f80, 0x0001},
}

// kernelDot returns the kernel's fast Dot (its Ref where none is registered,
// as with -tags purego or a CPU without the features).
func kernelDot(k *QKernel) func(w, x []byte, n int) float32 {
	if k.Dot != nil {
		return k.Dot
	}
	return k.Ref
}

// randHalves returns n random 16-bit values of type h: mostly N(0,1)
// numbers, and with special set also subnormals, zeros of both signs and
// values near the type's largest.
func randHalves(rng *rand.Rand, h halfType, n int, special bool) []byte {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	b := make([]byte, 2*n)
	quant.Quantize(h.t, x, b)
	if special {
		for i := 0; i < n; i++ {
			var v uint16
			switch rng.IntN(16) {
			case 0:
				v = uint16(rng.IntN(0x3ff) + 1) // F16 subnormal; BF16 tiny normal/subnormal
			case 1:
				v = 0x8000 | uint16(rng.IntN(0x7f)+1) // negative subnormal (both types)
			case 2:
				v = 0x8000 // -0
			case 3:
				v = h.inf - 1 - uint16(rng.IntN(4)) // near the largest finite
			default:
				continue
			}
			binary.LittleEndian.PutUint16(b[2*i:], v)
		}
	}
	return b
}

// halfDotExact returns the float64 dot product of two 16-bit rows (exact
// products, float64 sum) and Σ|w_i·x_i|.
func halfDotExact(h halfType, w, x []byte, n int) (exact, abs float64) {
	for i := 0; i < n; i++ {
		p := float64(h.toF32(binary.LittleEndian.Uint16(w[2*i:]))) * float64(h.toF32(binary.LittleEndian.Uint16(x[2*i:])))
		exact += p
		abs += math.Abs(p)
	}
	return exact, abs
}

// fastHalfBound is the error bound of the fast dot products against the
// exact sum: each of the 8 lanes adds ceil(n/8) exact products with one
// rounding per FMA, then 3 levels of pairwise adds join the lanes, so every
// product passes through at most k = ceil(n/8)+3 roundings and the error is
// at most γ_k·Σ|w_i·x_i|, γ_k = k·u/(1-k·u) (Higham §3.1). The float64 sum
// of the exact products is itself off by at most n·2⁻⁵³·Σ|w_i·x_i|.
func fastHalfBound(n int, abs float64) float64 {
	k := float64((n+7)/8 + 3)
	return k*u/(1-k*u)*abs + float64(n)*0x1p-53*abs
}

// sameBitsOrNaN reports whether a and b have the same bits, or are both NaN.
func sameBitsOrNaN(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// TestHalfDotFastVsRef holds the fast F16/BF16 dot products to the exact
// result (fastHalfBound) and the ggml reference to float32 rounding of it,
// at every length 0..300 and at long lengths, at element and odd byte
// offsets, with and without subnormals and near-overflow values.
func TestHalfDotFastVsRef(t *testing.T) {
	t.Logf("AVX2+FMA %v, F16C %v", haveAVX2FMA, haveHalfAsm)
	for _, h := range halfTypes {
		t.Run(h.t.String(), func(t *testing.T) {
			k := LookupQKernel(h.t)
			dot := kernelDot(k)
			rng := rand.New(rand.NewPCG(21, uint64(h.t)))
			lengths := []int{511, 1000, 2048, 4099, 8192}
			for n := 0; n <= 300; n++ {
				lengths = append(lengths, n)
			}
			for _, n := range lengths {
				for _, special := range []bool{false, true} {
					bw, bx := randHalves(rng, h, n+9, special), randHalves(rng, h, n+9, special)
					// Element offsets 0..7 and one odd byte offset.
					for _, off := range [][2]int{{0, 0}, {2, 14}, {6, 2}, {14, 10}, {1, 3}, {3, 0}} {
						w, x := bw[off[0]:off[0]+2*n], bx[off[1]:off[1]+2*n]
						exact, abs := halfDotExact(h, w, x, n)
						if abs > math.MaxFloat32/2 {
							continue // float32 partial sums may overflow (BF16 near its largest)
						}
						got, ref := dot(w, x, n), k.Ref(w, x, n)
						if d := math.Abs(float64(got) - exact); d > fastHalfBound(n, abs) {
							t.Fatalf("n=%d special=%v offsets %v: Dot %v exact %v |Δ| %g > bound %g",
								n, special, off, got, exact, d, fastHalfBound(n, abs))
						}
						// The reference sums in float64 and rounds once.
						if d := math.Abs(float64(ref) - exact); d > u*math.Abs(exact)+float64(n)*0x1p-52*abs+0x1p-149 {
							t.Fatalf("n=%d special=%v offsets %v: Ref %v exact %v", n, special, off, ref, exact)
						}
					}
				}
			}
		})
	}
}

// TestHalfDotSpecial puts NaN and ±Inf halves at every position of several
// lengths (whole chunks, the zero-padded last chunk, rows shorter than one
// chunk) and checks the fast dot propagates them as IEEE arithmetic and
// the reference do: NaN → NaN, Inf·finite → ±Inf, +Inf and -Inf → NaN,
// Inf·0 → NaN; and that products of subnormals are exact.
func TestHalfDotSpecial(t *testing.T) {
	for _, h := range halfTypes {
		k := LookupQKernel(h.t)
		dot := kernelDot(k)
		one, half, zero := uint16(0x3c00), uint16(0x3800), uint16(0)
		if h.t == quant.BF16 {
			one, half = 0x3f80, 0x3f00
		}
		for _, n := range []int{1, 5, 7, 8, 9, 15, 16, 17, 33, 71} {
			for p := 0; p < n; p++ {
				w, x := make([]byte, 2*n), make([]byte, 2*n)
				set := func(b []byte, i int, v uint16) { binary.LittleEndian.PutUint16(b[2*i:], v) }
				for i := 0; i < n; i++ {
					set(w, i, one)
					set(x, i, half)
				}
				check := func(what string, want func(float64) bool) {
					t.Helper()
					for _, f := range []struct {
						name string
						v    float32
					}{{"Dot", dot(w, x, n)}, {"Ref", k.Ref(w, x, n)}} {
						if !want(float64(f.v)) {
							t.Fatalf("%v n=%d p=%d %s: %s = %v", h.t, n, p, what, f.name, f.v)
						}
					}
				}
				for _, nan := range h.nan {
					set(w, p, nan)
					check(fmt.Sprintf("NaN %#04x", nan), math.IsNaN)
				}
				set(w, p, h.inf)
				check("+Inf", func(v float64) bool { return math.IsInf(v, 1) })
				set(x, p, 0x8000|one)
				check("+Inf·-1", func(v float64) bool { return math.IsInf(v, -1) })
				set(x, p, zero)
				check("Inf·0", math.IsNaN)
				set(x, p, half)
				if q := (p + 1 + n/2) % n; q != p {
					set(w, q, 0x8000|h.inf)
					check("+Inf and -Inf", math.IsNaN)
				}
			}
			// Subnormal weights times small integers: exact in any order.
			w, x := make([]byte, 2*n), make([]byte, 2*n)
			var want float64
			for i := 0; i < n; i++ {
				wv, xv := h.denorm+uint16(i%5), []uint16{zero, one, 0x8000 | one}[i%3]
				binary.LittleEndian.PutUint16(w[2*i:], wv)
				binary.LittleEndian.PutUint16(x[2*i:], xv)
				want += float64(h.toF32(wv)) * float64(h.toF32(xv))
			}
			if got, ref := dot(w, x, n), k.Ref(w, x, n); float64(got) != want || float64(ref) != want {
				t.Fatalf("%v n=%d subnormals: Dot %v Ref %v, want %v", h.t, n, got, ref, want)
			}
		}
	}
}

// TestHalfRowsBitIdentical checks the kernels' Rows give every element
// exactly the bits of Dot for that row and token, for many shapes, token
// counts and row ranges, with NaN and Inf among the weights.
func TestHalfRowsBitIdentical(t *testing.T) {
	for _, h := range halfTypes {
		k := LookupQKernel(h.t)
		if k.Rows == nil {
			t.Logf("%v: no Rows (reference build)", h.t)
			continue
		}
		rng := rand.New(rand.NewPCG(31, uint64(h.t)))
		colsList := []int{1, 3, 7, 8, 9, 15, 16, 17, 31, 40, 63, 64, 65, 100, 257, 300, 771}
		for _, cols := range colsList {
			for _, s := range [][2]int{{1, 1}, {5, 1}, {9, 2}, {13, 3}, {4, 5}, {23, 7}, {6, 101}} {
				rows, nTok := s[0], s[1]
				w, xq := randHalves(rng, h, rows*cols, true), randHalves(rng, h, nTok*cols, true)
				if cols > 2 {
					binary.LittleEndian.PutUint16(w[2*(rng.IntN(rows*cols)):], h.nan[0])
					binary.LittleEndian.PutUint16(w[2*(rng.IntN(rows*cols)):], h.inf)
				}
				lo, hi := rng.IntN(rows/2+1), rows-rng.IntN(rows/3+1)
				out := make([]float32, nTok*rows)
				for i := range out {
					out[i] = -7
				}
				k.Rows(out, w, xq, nTok, rows, cols, lo, hi)
				for tk := 0; tk < nTok; tk++ {
					for r := 0; r < rows; r++ {
						got := out[tk*rows+r]
						if r < lo || r >= hi {
							if got != -7 {
								t.Fatalf("%v cols=%d rows=%d nTok=%d [%d,%d): row %d outside written", h.t, cols, rows, nTok, lo, hi, r)
							}
							continue
						}
						want := k.Dot(w[2*r*cols:2*(r+1)*cols], xq[2*tk*cols:2*(tk+1)*cols], cols)
						if !sameBitsOrNaN(got, want) {
							t.Fatalf("%v cols=%d rows=%d nTok=%d token %d row %d: Rows %v (%#x), Dot %v (%#x)",
								h.t, cols, rows, nTok, tk, r, got, math.Float32bits(got), want, math.Float32bits(want))
						}
					}
				}
			}
		}
	}
}

// TestHalfMatMulThreads checks F16/BF16 MatMulQ gives the same bits with 1
// and 2 threads, for one token and a batch, on a shape the pool splits,
// and that each element is the kernel's Dot.
func TestHalfMatMulThreads(t *testing.T) {
	const rows, cols = 301, 1030
	for _, h := range halfTypes {
		rng := rand.New(rand.NewPCG(41, uint64(h.t)))
		k := LookupQKernel(h.t)
		w := randHalves(rng, h, rows*cols, false)
		for _, nTok := range []int{1, 5} {
			x := randF32(rng, nTok*cols)
			var got [2][]float32
			for th := 1; th <= 2; th++ {
				withThreads(t, th, func() {
					got[th-1] = make([]float32, nTok*rows)
					MatMulQ(got[th-1], h.t, w, x, nTok, rows, cols)
				})
			}
			if !slices.Equal(got[0], got[1]) {
				t.Fatalf("%v nTok=%d: 1 and 2 threads differ", h.t, nTok)
			}
			xq := make([]byte, 2*cols)
			for tk := 0; tk < nTok; tk++ {
				ConvertRow(h.t, xq, x[tk*cols:(tk+1)*cols])
				for r := 0; r < rows; r += 37 {
					if want := kernelDot(k)(w[2*r*cols:2*(r+1)*cols], xq, cols); got[0][tk*rows+r] != want {
						t.Fatalf("%v nTok=%d [%d,%d] = %v, Dot %v", h.t, nTok, tk, r, got[0][tk*rows+r], want)
					}
				}
			}
		}
	}
}

// TestHalfFallbackIsRef turns the assembly off: Dot must then be the
// reference bit for bit, and Rows must still agree with Dot.
func TestHalfFallbackIsRef(t *testing.T) {
	old := useAsm
	useAsm = false
	defer func() { useAsm = old }()
	rng := rand.New(rand.NewPCG(51, 52))
	for _, h := range halfTypes {
		k := LookupQKernel(h.t)
		for _, n := range []int{0, 1, 9, 64, 301} {
			w, x := randHalves(rng, h, n, true), randHalves(rng, h, n, true)
			if got, want := kernelDot(k)(w, x, n), k.Ref(w, x, n); !sameBitsOrNaN(got, want) {
				t.Fatalf("%v n=%d: Dot %v, Ref %v", h.t, n, got, want)
			}
		}
		if k.Rows != nil {
			w, x := randHalves(rng, h, 7*33, false), randHalves(rng, h, 2*33, false)
			out := make([]float32, 2*7)
			k.Rows(out, w, x, 2, 7, 33, 0, 7)
			for i, v := range out {
				if want := k.Ref(w[2*(i%7)*33:2*(i%7+1)*33], x[2*(i/7)*33:2*(i/7+1)*33], 33); v != want {
					t.Fatalf("%v fallback Rows [%d] = %v, Ref %v", h.t, i, v, want)
				}
			}
		}
	}
}

// halfConvertInputs returns float32 values that exercise a conversion to a
// 16-bit type whose kept bits are the top 16+keep of a float32: every
// combination of sign, exponent and the kept mantissa bits, each with
// low bits that round down, tie, round up, and random; plus NaNs with
// payloads, ±Inf, ±0 and float32 subnormals.
func halfConvertInputs(rng *rand.Rand, keep uint) []float32 {
	drop := 13 + (3 - keep) // bits below the kept ones
	if keep == 0 {
		drop = 16
	}
	half := uint32(1) << (drop - 1)
	var xs []float32
	for top := uint32(0); top < 1<<(32-drop); top++ {
		base := top << drop
		for _, low := range []uint32{0, 1, half - 1, half, half + 1, 2*half - 1, rng.Uint32() & (2*half - 1)} {
			xs = append(xs, math.Float32frombits(base|low))
		}
	}
	for _, b := range []uint32{0x7fc00000, 0x7f800001, 0x7fffffff, 0xffc00001, 0x7fa00000, 0xff800000, 0x7f800000, 0x80000000, 0, 1, 0x807fffff} {
		xs = append(xs, math.Float32frombits(b))
	}
	return xs
}

// TestConvertRowHalf holds the fast F32→F16 and F32→BF16 activation
// conversions byte for byte to quant's (ggml's) reference conversion, on
// every sign/exponent/kept-mantissa combination with rounding-critical low
// bits (ties to even, overflow to Inf, subnormal results, NaN payloads), in
// rows of every length 0..40 so each tail is covered.
func TestConvertRowHalf(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for _, h := range halfTypes {
		keep := uint(3) // F16 keeps 10 mantissa bits: drop 13
		if h.t == quant.BF16 {
			keep = 0 // BF16 keeps 7: drop 16
		}
		xs := halfConvertInputs(rng, keep)
		got, want := make([]byte, 2*len(xs)), make([]byte, 2*len(xs))
		h.convert(got, xs)
		if _, err := quant.Quantize(h.t, xs, want); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(xs); i++ {
			if got[2*i] != want[2*i] || got[2*i+1] != want[2*i+1] {
				t.Fatalf("%v: %v (%#08x) → %#04x, reference %#04x", h.t, xs[i], math.Float32bits(xs[i]),
					binary.LittleEndian.Uint16(got[2*i:]), binary.LittleEndian.Uint16(want[2*i:]))
			}
		}
		for n := 0; n <= 40; n++ {
			x := xs[1000+n*7 : 1000+n*8]
			g, w := make([]byte, 2*n), make([]byte, 2*n)
			h.convert(g, x)
			quant.Quantize(h.t, x, w)
			if !slices.Equal(g, w) {
				t.Fatalf("%v n=%d: %x, reference %x", h.t, n, g, w)
			}
		}
	}
}
