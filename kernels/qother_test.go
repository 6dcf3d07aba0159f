package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// otherqTypes are the weight types of qother.go.
var otherqTypes = []quant.Type{quant.Q4_1, quant.Q5_0, quant.Q5_1, quant.Q2_K, quant.Q3_K, quant.Q5_K}

// fp16 bit patterns used by the hand-made blocks (sign, 5-bit exponent
// biased by 15, 10-bit fraction).
const (
	oqH025  = 0x3400 // 0.25
	oqH05   = 0x3800 // 0.5
	oqH1    = 0x3C00 // 1
	oqH2    = 0x4000 // 2
	oqH3    = 0x4200 // 3
	oqHM1   = 0xBC00 // -1
	oqHInf  = 0x7C00 // +Inf
	oqHNaN  = 0x7E00 // a quiet NaN
	oqHNInf = 0xFC00 // -Inf
)

func oqPut16(b []byte, v uint16)   { binary.LittleEndian.PutUint16(b, v) }
func oqPutF32(b []byte, v float32) { binary.LittleEndian.PutUint32(b, math.Float32bits(v)) }

func oqFill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}

// oqHandBlocks returns, for each type, one weight block and one activation
// block built byte by byte, and the dot product worked out by hand from
// the formats (ggml-common.h), not from our code:
//
//	Q4_1: d=1, m=0.5, every qs byte 0x21 (low nibbles 1, high 2); Q8_1 d=0.5,
//	      s=2, qs all 1: (1·0.5)·(16·1+16·2) + 0.5·2 = 24 + 1 = 25.
//	Q5_0: d=2, qh=0x0000FFFF (elements 0-15 have the fifth bit), qs 0x53:
//	      elements 0-15 = (3|16)-16 = 3, 16-31 = 5-16 = -11; Q8_0 d=0.25,
//	      qs 2 (0-15) and -1 (16-31): 2·0.25·(16·3·2 + 16·11) = 0.5·272 = 136.
//	Q5_1: d=0.5, m=-1, qh=0xFFFF0000, qs 0x7F: elements 0-15 = 15, 16-31 =
//	      7|16 = 23; Q8_1 d=1, s=3, qs 1 (0-15) and 2 (16-31):
//	      0.5·(16·15 + 16·23·2) - 3 = 0.5·976 - 3 = 485.
//	Q2_K: scale bytes 0x12 (scale 2, min 1), qs bytes 0xE4 (the four 2-bit
//	      fields 0,1,2,3: each 32-element slice s holds q = s mod 4), d=0.5,
//	      dmin=0.25; Q8_K d=2, qs 1, bsums 16: y = 0.5·2·q - 0.25·1 summed
//	      times 2: 2·(2·32·(0+1+2+3) - 256·0.25) = 2·(384 - 64) = 640.
//	Q3_K: hmask bytes 0x0F (slices 0-3 keep q, slices 4-7 get q-4), qs 0xE4,
//	      all 16 scales 34 (low nibbles 0x22 in bytes 0-7, high bits 0b10 in
//	      every field of bytes 8-11: 0xAA), d=1; Q8_K d=0.5, qs 1:
//	      1·0.5·(34-32)·(32·(0+1+2+3) + 32·(-4-3-2-1)) = 192 - 320 = -128.
//	Q5_K: d=1, dmin=0.5, scale bytes 3,3,3,3,2,2,2,2,0x23,0x23,0x23,0x23
//	      (all 8 scales 3, all 8 mins 2), qh bytes 0x55 (the even groups
//	      get +16), qs 0x21: even groups 1+16 = 17, odd groups 2; Q8_K d=1,
//	      qs 1, bsums 16: 3·(4·32·17 + 4·32·2) - 0.5·(16·16·2) = 7296 - 256 = 7040.
func oqHandBlocks() map[quant.Type]struct {
	w, x []byte
	want float32
} {
	out := map[quant.Type]struct {
		w, x []byte
		want float32
	}{}

	w, x := make([]byte, 20), make([]byte, 36)
	oqPut16(w, oqH1)
	oqPut16(w[2:], oqH05)
	oqFill(w[4:], 0x21)
	oqPut16(x, oqH05)
	oqPut16(x[2:], oqH2)
	oqFill(x[4:], 1)
	out[quant.Q4_1] = struct {
		w, x []byte
		want float32
	}{w, x, 25}

	w, x = make([]byte, 22), make([]byte, 34)
	oqPut16(w, oqH2)
	binary.LittleEndian.PutUint32(w[2:], 0x0000FFFF)
	oqFill(w[6:], 0x53)
	oqPut16(x, oqH025)
	oqFill(x[2:18], 2)
	oqFill(x[18:], 0xFF) // -1
	out[quant.Q5_0] = struct {
		w, x []byte
		want float32
	}{w, x, 136}

	w, x = make([]byte, 24), make([]byte, 36)
	oqPut16(w, oqH05)
	oqPut16(w[2:], oqHM1)
	binary.LittleEndian.PutUint32(w[4:], 0xFFFF0000)
	oqFill(w[8:], 0x7F)
	oqPut16(x, oqH1)
	oqPut16(x[2:], oqH3)
	oqFill(x[4:20], 1)
	oqFill(x[20:], 2)
	out[quant.Q5_1] = struct {
		w, x []byte
		want float32
	}{w, x, 485}

	q8k := func(d float32) []byte {
		x := make([]byte, 292)
		oqPutF32(x, d)
		oqFill(x[4:260], 1)
		for j := 0; j < 16; j++ {
			oqPut16(x[260+2*j:], 16)
		}
		return x
	}

	w = make([]byte, 84)
	oqFill(w[0:16], 0x12)
	oqFill(w[16:80], 0xE4)
	oqPut16(w[80:], oqH05)
	oqPut16(w[82:], oqH025)
	out[quant.Q2_K] = struct {
		w, x []byte
		want float32
	}{w, q8k(2), 640}

	w = make([]byte, 110)
	oqFill(w[0:32], 0x0F)
	oqFill(w[32:96], 0xE4)
	oqFill(w[96:104], 0x22)
	oqFill(w[104:108], 0xAA)
	oqPut16(w[108:], oqH1)
	out[quant.Q3_K] = struct {
		w, x []byte
		want float32
	}{w, q8k(0.5), -128}

	w = make([]byte, 176)
	oqPut16(w, oqH1)
	oqPut16(w[2:], oqH05)
	copy(w[4:16], []byte{3, 3, 3, 3, 2, 2, 2, 2, 0x23, 0x23, 0x23, 0x23})
	oqFill(w[16:48], 0x55)
	oqFill(w[48:176], 0x21)
	out[quant.Q5_K] = struct {
		w, x []byte
		want float32
	}{w, q8k(1), 7040}
	return out
}

// otherqDot returns the registered fast Dot of t (Ref where none).
func otherqDot(t quant.Type) func(w, x []byte, n int) float32 {
	k := LookupQKernel(t)
	if k.Dot != nil {
		return k.Dot
	}
	return k.Ref
}

// TestOtherQHandBlocks checks every reference (and fast Dot) on one block
// whose dot product was worked out by hand, and that the dequantizer agrees
// on the weight values where the activations are plain integers.
func TestOtherQHandBlocks(t *testing.T) {
	for typ, c := range oqHandBlocks() {
		k := LookupQKernel(typ)
		if k == nil {
			t.Fatalf("%v: no kernel registered", typ)
		}
		if len(c.w) != typ.TypeSize() || len(c.x) != k.Act.TypeSize() {
			t.Fatalf("%v: hand block sizes %d, %d", typ, len(c.w), len(c.x))
		}
		n := typ.BlockSize()
		if got := k.Ref(c.w, c.x, n); got != c.want {
			t.Errorf("%v: Ref = %v, by hand %v", typ, got, c.want)
		}
		if got := otherqDot(typ)(c.w, c.x, n); got != c.want {
			t.Errorf("%v: Dot = %v, by hand %v", typ, got, c.want)
		}
	}
}

// otherqMagnitude returns Σ over the terms the dot product of one row adds
// up (the scaled integer sums and the min terms) of their absolute values,
// in float64: the quantity float32 rounding errors are relative to,
// whatever the order of summation. It decodes the blocks independently of
// the kernels (from quant's dequantizer for the weights' values).
func otherqMagnitude(t *testing.T, typ quant.Type, w, x []byte, n int) float64 {
	t.Helper()
	k := LookupQKernel(typ)
	wd := make([]float32, n)
	xd := make([]float32, n)
	if err := quant.Dequantize(typ, w, wd); err != nil {
		t.Fatal(err)
	}
	if err := quant.Dequantize(k.Act, x, xd); err != nil {
		t.Fatal(err)
	}
	// |w| ≤ |d·sc·q| + |dmin·m|; the min part of an element is the
	// dequantized value of a zero quant, so bound each product by
	// (|w| + 2|min part|)·|x|. Here min parts come from the block header.
	var mag float64
	bs, ts := typ.BlockSize(), typ.TypeSize()
	for b := 0; b < n/bs; b++ {
		blk := w[b*ts : (b+1)*ts]
		for e := 0; e < bs; e++ {
			i := b*bs + e
			mn := otherqMinPart(typ, blk, e)
			mag += (math.Abs(float64(wd[i])) + 2*mn) * math.Abs(float64(xd[i]))
		}
		if k.Act == quant.Q8_1 {
			xb := x[b*36:]
			mag += math.Abs(float64(otherqHalf(blk[2:])) * float64(otherqHalf(xb[2:])))
		}
	}
	return mag
}

// otherqMinPart returns |the offset| of element e of a weight block: the
// part of its value that does not scale with its quant (|m| for Q4_1/Q5_1,
// |dmin·min| for Q2_K/Q5_K, |16·d| or |4·d·scale| for the signed types).
func otherqMinPart(typ quant.Type, blk []byte, e int) float64 {
	switch typ {
	case quant.Q4_1, quant.Q5_1:
		return math.Abs(float64(otherqHalf(blk[2:])))
	case quant.Q5_0:
		return 16 * math.Abs(float64(otherqHalf(blk)))
	case quant.Q2_K:
		return math.Abs(float64(otherqHalf(blk[82:])) * float64(blk[e/16]>>4))
	case quant.Q3_K:
		sc := otherqScalesQ3K(blk[96:108])
		return 4 * math.Abs(float64(otherqHalf(blk[108:]))*float64(int(sc[e/16])-32))
	case quant.Q5_K:
		_, mn := otherqScalesMinsK4(blk[4:16])
		return math.Abs(float64(otherqHalf(blk[2:])) * float64(mn[e/32]))
	}
	panic("otherqMinPart: " + typ.String())
}

// oqRandBits fills b with random bytes.
func oqRandBits(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

// TestOtherQFastVsRef holds each fast Dot to its reference at every length
// up to 8192 elements, on quantized Gaussian weights and on weight blocks of
// random bits (anything a file may hold): both finite or both not, and
// within 2·γ_{nb+16} of the terms' magnitude. The reference order is one
// float32 order and the fast one another; the integer sums are exact in both.
func TestOtherQFastVsRef(t *testing.T) {
	t.Logf("assembly kernels in use: %v", useAsm)
	r := rand.New(rand.NewPCG(11, 12))
	for _, typ := range otherqTypes {
		k := LookupQKernel(typ)
		dot := otherqDot(typ)
		bs := typ.BlockSize()
		for n := bs; n <= 8192; n += bs {
			if bs == 32 && n > 512 && n%1024 != 0 {
				continue // every length to 512, then every 1024: the 32-element types
			}
			xf := make([]float32, n)
			for i := range xf {
				xf[i] = float32(r.NormFloat64())
			}
			x := make([]byte, rowBytes(k.Act, n))
			ConvertRow(k.Act, x, xf)
			w, _ := randQuantMatrix(t, r, typ, 1, n)
			wr := make([]byte, len(w))
			oqRandBits(r, wr)
			for _, c := range []struct {
				name string
				w    []byte
			}{{"quantized", w}, {"random bits", wr}} {
				ref, got := k.Ref(c.w, x, n), dot(c.w, x, n)
				rf, gf := !math.IsNaN(float64(ref)) && !math.IsInf(float64(ref), 0), !math.IsNaN(float64(got)) && !math.IsInf(float64(got), 0)
				if rf != gf {
					t.Fatalf("%v n=%d %s: Dot = %v, Ref = %v", typ, n, c.name, got, ref)
				}
				if !rf {
					continue
				}
				nb := float64(n/bs) + 16
				bound := 2 * nb * u / (1 - nb*u) * otherqMagnitude(t, typ, c.w, x, n)
				if d := math.Abs(float64(got) - float64(ref)); d > bound {
					t.Fatalf("%v n=%d %s: Dot = %v, Ref = %v, |Δ| %g > %g", typ, n, c.name, got, ref, d, bound)
				}
			}
		}
	}
}

// TestOtherQNonFinite sets a block's fp16 scale (or min scale) to ±Inf or
// NaN: the product becomes non-finite in the reference and the fast path
// alike, whatever the other blocks hold.
func TestOtherQNonFinite(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	scaleAt := map[quant.Type][]int{
		quant.Q4_1: {0, 2}, quant.Q5_0: {0}, quant.Q5_1: {0, 2},
		quant.Q2_K: {80, 82}, quant.Q3_K: {108}, quant.Q5_K: {0, 2},
	}
	for _, typ := range otherqTypes {
		k := LookupQKernel(typ)
		n := 4 * typ.BlockSize()
		w, _ := randQuantMatrix(t, r, typ, 1, n)
		xf := make([]float32, n)
		for i := range xf {
			xf[i] = float32(r.NormFloat64())
		}
		x := make([]byte, rowBytes(k.Act, n))
		ConvertRow(k.Act, x, xf)
		for _, off := range scaleAt[typ] {
			for _, bad := range []uint16{oqHInf, oqHNInf, oqHNaN} {
				wb := slices.Clone(w)
				oqPut16(wb[typ.TypeSize()+off:], bad) // the second block
				for name, f := range map[string]func(w, x []byte, n int) float32{"Ref": k.Ref, "Dot": otherqDot(typ)} {
					if got := f(wb, x, n); !math.IsNaN(float64(got)) && !math.IsInf(float64(got), 0) {
						t.Errorf("%v: %s with fp16 %#04x at byte %d of block 1 = %v, want non-finite", typ, name, bad, off, got)
					}
				}
			}
		}
	}
}

// TestOtherQRandomBitsNoPanic runs every kernel on weight and activation
// rows of random bits (MatMulQ never builds such activations, but nothing
// in the kernels depends on their values being a quantizer's).
func TestOtherQRandomBitsNoPanic(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, typ := range otherqTypes {
		k := LookupQKernel(typ)
		n := 3 * typ.BlockSize()
		w, x := make([]byte, rowBytes(typ, n)), make([]byte, rowBytes(k.Act, n))
		for range 50 {
			oqRandBits(r, w)
			oqRandBits(r, x)
			_ = k.Ref(w, x, n)
			_ = otherqDot(typ)(w, x, n)
		}
	}
}

// TestOtherQMatMulLong multiplies 8192-column matrices of every type with 1
// and 2 threads (rows split across the pool): bit-identical results, each
// token alone equal to the batch, and within the bound of the reference.
func TestOtherQMatMulLong(t *testing.T) {
	const cols, rows, nTok = 8192, 9, 3
	r := rand.New(rand.NewPCG(17, 18))
	x := make([]float32, nTok*cols)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	for _, typ := range otherqTypes {
		t.Run(typ.String(), func(t *testing.T) {
			k := LookupQKernel(typ)
			w, _ := randQuantMatrix(t, r, typ, rows, cols)
			ref := make([]float32, nTok*rows)
			matMulQRef(ref, typ, w, x, nTok, rows, cols)
			var got [2][]float32
			for th := 1; th <= 2; th++ {
				withThreads(t, th, func() {
					got[th-1] = make([]float32, nTok*rows)
					MatMulQ(got[th-1], typ, w, x, nTok, rows, cols)
				})
			}
			if !slices.Equal(got[0], got[1]) {
				t.Fatal("1 and 2 threads differ")
			}
			one := make([]float32, rows)
			xq := make([]byte, rowBytes(k.Act, cols))
			wb := rowBytes(typ, cols)
			for i := 0; i < nTok; i++ {
				MatMulQ(one, typ, w, x[i*cols:(i+1)*cols], 1, rows, cols)
				if !slices.Equal(one, got[0][i*rows:(i+1)*rows]) {
					t.Fatalf("token %d alone differs from the batch", i)
				}
				ConvertRow(k.Act, xq, x[i*cols:(i+1)*cols])
				for j := 0; j < rows; j++ {
					nb := float64(cols/typ.BlockSize()) + 16
					bound := 2 * nb * u / (1 - nb*u) * otherqMagnitude(t, typ, w[j*wb:(j+1)*wb], xq, cols)
					if d := math.Abs(float64(got[0][i*rows+j]) - float64(ref[i*rows+j])); d > bound {
						t.Fatalf("[%d,%d] = %v, reference %v, |Δ| %g > %g", i, j, got[0][i*rows+j], ref[i*rows+j], d, bound)
					}
				}
			}
		})
	}
}

// TestOtherQAsmToggle runs the fast Dot with the assembly on and off
// (useAsm): off, it is the reference bit for bit.
func TestOtherQAsmToggle(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	defer func(v bool) { useAsm = v }(useAsm)
	for _, typ := range otherqTypes {
		k := LookupQKernel(typ)
		n := 8 * typ.BlockSize()
		w, _ := randQuantMatrix(t, r, typ, 1, n)
		xf := make([]float32, n)
		for i := range xf {
			xf[i] = float32(r.NormFloat64())
		}
		x := make([]byte, rowBytes(k.Act, n))
		ConvertRow(k.Act, x, xf)
		useAsm = false
		if got, want := otherqDot(typ)(w, x, n), k.Ref(w, x, n); math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("%v: Dot without assembly = %v, Ref %v", typ, got, want)
		}
		useAsm = haveAVX2FMA
	}
}

// BenchmarkMatMulQOther measures MatMulQ at nTok=1 on a 2048×2048 matrix of
// each type, with the registered fast Dot and with the reference (useAsm
// off), 1 and 2 threads: GOP/s counts 2·rows·cols, GB/s the weight bytes
// read, both per wall-clock second; with 1 thread (MatMulQ then runs on the
// calling thread) cpuGOP/s is per second of that thread's CPU time, which a
// loaded host does not distort as much.
func BenchmarkMatMulQOther(b *testing.B) {
	defer SetThreads(0)
	defer func(v bool) { useAsm = v }(useAsm)
	const rows, cols = 2048, 2048
	for _, typ := range otherqTypes {
		for _, path := range []string{"fast", "ref"} {
			for _, th := range benchThreads {
				b.Run(fmt.Sprintf("%v/%s/threads=%d", typ, path, th), func(b *testing.B) {
					useAsm = path == "fast" && haveAVX2FMA
					SetThreads(th)
					r := rand.New(rand.NewPCG(1, 1))
					f := randF32(r, rows*cols)
					w := make([]byte, rowBytes(typ, cols)*rows)
					if _, err := quant.Quantize(typ, f, w); err != nil {
						b.Fatal(err)
					}
					x, out := randF32(r, cols), make([]float32, rows)
					b.SetBytes(int64(len(w)))
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					c0, cpuOK := threadCPUTime()
					for b.Loop() {
						MatMulQ(out, typ, w, x, 1, rows, cols)
					}
					c1, _ := threadCPUTime()
					s := b.Elapsed().Seconds() / float64(b.N)
					b.ReportMetric(2*rows*cols/s/1e9, "GOP/s")
					b.ReportMetric(float64(len(w))/s/1e9, "GB/s")
					if cpuOK && th == 1 && c1 > c0 { // 1 thread runs inline: its CPU time is the work's
						b.ReportMetric(2*rows*cols*float64(b.N)/(c1-c0).Seconds()/1e9, "cpuGOP/s")
					}
				})
			}
		}
	}
}

// TestOtherQRowsBitIdentical holds every registered Rows kernel to its Dot
// bit for bit, for token counts around the tile sizes, sub-ranges of rows
// and up to 8192 columns (with the assembly on, and off).
func TestOtherQRowsBitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	defer func(v bool) { useAsm = v }(useAsm)
	for _, typ := range otherqTypes {
		k := LookupQKernel(typ)
		if k.Rows == nil {
			continue
		}
		for _, asm := range []bool{true, false} {
			useAsm = asm && haveAVX2FMA
			for _, s := range [][3]int{{1, 3, 1}, {4, 5, 2}, {7, 9, 8}, {9, 33, 32}, {3, 2, 1}} {
				nTok, rows, nb := s[0], s[1], s[2]
				cols := nb * typ.BlockSize()
				w, _ := randQuantMatrix(t, r, typ, rows, cols)
				xf := make([]float32, nTok*cols)
				for i := range xf {
					xf[i] = float32(r.NormFloat64())
				}
				xb := rowBytes(k.Act, cols)
				xq := make([]byte, nTok*xb)
				for i := 0; i < nTok; i++ {
					ConvertRow(k.Act, xq[i*xb:(i+1)*xb], xf[i*cols:(i+1)*cols])
				}
				wb := rowBytes(typ, cols)
				for _, span := range [][2]int{{0, rows}, {rows / 3, rows - rows/4}} {
					out := make([]float32, nTok*rows)
					for i := range out {
						out[i] = -7 // untouched outside [lo, hi)
					}
					k.Rows(out, w, xq, nTok, rows, cols, span[0], span[1])
					for i := 0; i < nTok; i++ {
						for j := 0; j < rows; j++ {
							want := float32(-7)
							if j >= span[0] && j < span[1] {
								want = otherqDot(typ)(w[j*wb:(j+1)*wb], xq[i*xb:(i+1)*xb], cols)
							}
							if got := out[i*rows+j]; math.Float32bits(got) != math.Float32bits(want) {
								t.Fatalf("%v asm=%v %v rows %v: [%d,%d] = %v, Dot %v", typ, useAsm, s, span, i, j, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// BenchmarkMatMulQOtherPrompt measures prompt-shaped products (64 tokens
// against 2048×2048) per type, with the registered Rows kernel and with a
// plain loop over Dot (Rows removed for the run): GOP/s counts
// 2·nTok·rows·cols.
func BenchmarkMatMulQOtherPrompt(b *testing.B) {
	defer SetThreads(0)
	const nTok, rows, cols = 64, 2048, 2048
	for _, typ := range otherqTypes {
		for _, path := range []string{"rows", "dot"} {
			for _, th := range benchThreads {
				b.Run(fmt.Sprintf("%v/%s/threads=%d", typ, path, th), func(b *testing.B) {
					qkMu.Lock()
					saved := qkernel[typ]
					if path == "dot" {
						k := *saved
						k.Rows = nil
						qkernel[typ] = &k
					} else if saved.Rows == nil {
						qkMu.Unlock()
						b.Skip("no Rows kernel")
					}
					qkMu.Unlock()
					defer func() { qkMu.Lock(); qkernel[typ] = saved; qkMu.Unlock() }()
					SetThreads(th)
					r := rand.New(rand.NewPCG(1, 1))
					w := make([]byte, rowBytes(typ, cols)*rows)
					if _, err := quant.Quantize(typ, randF32(r, rows*cols), w); err != nil {
						b.Fatal(err)
					}
					x, out := randF32(r, nTok*cols), make([]float32, nTok*rows)
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					c0, cpuOK := threadCPUTime()
					for b.Loop() {
						MatMulQ(out, typ, w, x, nTok, rows, cols)
					}
					c1, _ := threadCPUTime()
					b.ReportMetric(2*nTok*rows*cols*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
					if cpuOK && th == 1 && c1 > c0 {
						b.ReportMetric(2*nTok*rows*cols*float64(b.N)/(c1-c0).Seconds()/1e9, "cpuGOP/s")
					}
				})
			}
		}
	}
}

// TestOtherQGGMLVecDot holds every reference to ggml's own generic vec_dot
// bit for bit (and the fast Dot to it within the rounding bound), on the
// rows of testdata/qother_vecdot.bin, written by testdata/qother_vecdot.c
// linked with ggml's unmodified ggml-cpu/quants.c (see its header):
// quantized and random-bit weight rows of 1-16 blocks, ggml-quantized
// activations.
func TestOtherQGGMLVecDot(t *testing.T) {
	b, err := os.ReadFile("testdata/qother_vecdot.bin")
	if err != nil {
		t.Fatal(err)
	}
	u32 := func() uint32 {
		if len(b) < 4 {
			t.Fatal("qother_vecdot.bin: truncated")
		}
		v := binary.LittleEndian.Uint32(b)
		b = b[4:]
		return v
	}
	take := func(n int) []byte {
		if n < 0 || len(b) < n {
			t.Fatal("qother_vecdot.bin: truncated")
		}
		v := b[:n]
		b = b[n:]
		return v
	}
	seen := map[quant.Type]int{}
	for len(b) > 0 {
		typ := quant.Type(u32())
		k := LookupQKernel(typ)
		if k == nil {
			t.Fatalf("qother_vecdot.bin: type %v has no kernel", typ)
		}
		nc := int(u32())
		for c := 0; c < nc; c++ {
			n := int(u32())
			w := take(rowBytes(typ, n))
			x := take(rowBytes(k.Act, n))
			want := math.Float32frombits(u32())
			got := k.Ref(w, x, n)
			if math.Float32bits(got) != math.Float32bits(want) && !(math.IsNaN(float64(got)) && math.IsNaN(float64(want))) {
				t.Errorf("%v case %d (n=%d): Ref = %v (%#08x), ggml %v (%#08x)", typ, c, n, got, math.Float32bits(got), want, math.Float32bits(want))
			}
			fast := otherqDot(typ)(w, x, n)
			wf := !math.IsNaN(float64(want)) && !math.IsInf(float64(want), 0)
			ff := !math.IsNaN(float64(fast)) && !math.IsInf(float64(fast), 0)
			if wf != ff {
				t.Errorf("%v case %d: Dot = %v, ggml %v", typ, c, fast, want)
			} else if wf {
				nb := float64(n/typ.BlockSize()) + 16
				bound := 2 * nb * u / (1 - nb*u) * otherqMagnitude(t, typ, w, x, n)
				if d := math.Abs(float64(fast) - float64(want)); d > bound {
					t.Errorf("%v case %d: Dot = %v, ggml %v, |Δ| %g > %g", typ, c, fast, want, d, bound)
				}
			}
			seen[typ]++
		}
	}
	for _, typ := range otherqTypes {
		if seen[typ] == 0 {
			t.Errorf("qother_vecdot.bin has no %v rows", typ)
		}
	}
	t.Logf("rows checked: %v", seen)
}

// TestOtherQZeroColumns multiplies matrices of zero columns: every output
// is 0 (an empty sum), with or without tokens, and nothing panics.
func TestOtherQZeroColumns(t *testing.T) {
	for _, typ := range otherqTypes {
		for _, nTok := range []int{0, 1, 5} {
			out := make([]float32, nTok*3)
			for i := range out {
				out[i] = 1
			}
			MatMulQ(out, typ, nil, nil, nTok, 3, 0)
			for i, v := range out {
				if v != 0 {
					t.Fatalf("%v nTok=%d: out[%d] = %v, want 0", typ, nTok, i, v)
				}
			}
		}
	}
}
