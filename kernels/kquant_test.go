package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// kqTypes are the k-quant weight types with kernels in kquant.go.
var kqTypes = []quant.Type{quant.Q4_K, quant.Q6_K}

func kqBlockBytes(t quant.Type) int {
	if t == quant.Q4_K {
		return q4KBlockBytes
	}
	return q6KBlockBytes
}

// kqExact returns the exact value (float64, from the integer quants) of
// what the Q4_K/Q6_K kernels compute for weight row w and Q8_K row x,
// with each block's scales d = fp16(w.d)·x.d and dmin rounded to float32
// as the kernels round them, and a mass that bounds every partial sum any
// of the kernels forms (Σ|d|·Σ|integer terms|, including the -32·bsums
// correction of the Q6_K assembly). It also reports whether every block
// scale is finite.
func kqExact(typ quant.Type, w, x []byte, nb int) (exact, mass float64, finite bool) {
	finite = true
	wb := kqBlockBytes(typ)
	for i := 0; i < nb; i++ {
		bw, bx := w[i*wb:(i+1)*wb], x[i*q8KBlockBytes:(i+1)*q8KBlockBytes]
		yd := q8KScale(bx)
		var S, A, M, AM int64
		if typ == quant.Q4_K {
			scales, mins := unpackScalesQ4K(bw[4:16])
			for e := 0; e < qkK; e++ {
				c, l := e/64, e%64
				q := int64(bw[16+32*c+l%32] & 0xF)
				if l >= 32 {
					q = int64(bw[16+32*c+l%32] >> 4)
				}
				p := int64(scales[e/32]) * q * int64(int8(bx[4+e]))
				S += p
				A += abs64(p)
			}
			for j := 0; j < 16; j++ {
				p := int64(q8KBsum(bx, j)) * int64(mins[j/2])
				M += p
				AM += abs64(p)
			}
			d, dmin := float32(f16At(bw)*yd), float32(f16At(bw[2:])*yd)
			exact += float64(d)*float64(S) - float64(dmin)*float64(M)
			mass += math.Abs(float64(d))*float64(A) + math.Abs(float64(dmin))*float64(AM)
			finite = finite && !isInfNaN(d) && !isInfNaN(dmin)
			continue
		}
		deq := make([]float32, qkK)
		// The quants of a block_q6_K with d = 1 and every scale 1 are q-32.
		tmp := slices.Clone(bw)
		binary.LittleEndian.PutUint16(tmp[208:], 0x3c00)
		for g := 0; g < 16; g++ {
			tmp[192+g] = 1
		}
		if err := quant.Dequantize(quant.Q6_K, tmp, deq); err != nil {
			panic(err)
		}
		for e := 0; e < qkK; e++ {
			sc, q8 := int64(int8(bw[192+e/16])), int64(int8(bx[4+e]))
			q := int64(deq[e])
			S += sc * q * q8
			A += abs64(sc*q*q8) + abs64(sc*(q+32)*q8) + 32*abs64(sc*q8)
		}
		d := float32(f16At(bw[208:]) * yd)
		exact += float64(d) * float64(S)
		mass += math.Abs(float64(d)) * float64(A)
		finite = finite && !isInfNaN(d)
	}
	return exact, mass, finite
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func isInfNaN(f float32) bool { return math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) }

// randQ8K fills x with nb block_q8_K: quantized from random floats of a
// random magnitude (mode 0), raw random quants with a random finite scale
// and consistent bsums (mode 1), or extreme quants (mode 2: all -128, all
// 127, or alternating).
func randQ8K(r *rand.Rand, x []byte, nb, mode int) {
	for i := 0; i < nb; i++ {
		b := x[i*q8KBlockBytes : (i+1)*q8KBlockBytes]
		switch mode {
		case 0:
			f := make([]float32, qkK)
			scale := math.Pow(10, r.Float64()*8-4)
			for j := range f {
				f[j] = float32(r.NormFloat64() * scale)
			}
			if _, err := quant.Quantize(quant.Q8_K, f, b); err != nil {
				panic(err)
			}
			continue
		case 1:
			for j := 4; j < 260; j++ {
				b[j] = byte(r.Uint32())
			}
		default:
			v := [3]byte{0x80, 0x7f, 0}[r.IntN(3)]
			for j := 4; j < 260; j++ {
				b[j] = v
				if v == 0 {
					b[j] = byte(0x80 ^ (j & 1 * 0xff))
				}
			}
		}
		binary.LittleEndian.PutUint32(b, math.Float32bits(float32(r.NormFloat64()*math.Pow(10, r.Float64()*6-3))))
		for j := 0; j < 16; j++ {
			var s int32
			for k := 0; k < 16; k++ {
				s += int32(int8(b[4+16*j+k]))
			}
			binary.LittleEndian.PutUint16(b[260+2*j:], uint16(int16(s)))
		}
	}
}

// randKWeights fills w with nb weight blocks of type typ: random bits with
// finite fp16 scales (mode 0), random bits as they come, NaN and Inf
// scales included (mode 1), quantizer output (mode 2), or extreme blocks
// (mode 3: largest fp16 scales, all-63 6-bit scales and mins or int8
// scales -128/127, all-largest or all-zero quants, subnormal scales).
func randKWeights(r *rand.Rand, typ quant.Type, w []byte, nb, mode int) {
	wb := kqBlockBytes(typ)
	for i := 0; i < nb; i++ {
		b := w[i*wb : (i+1)*wb]
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		finiteHalf := func() uint16 {
			for {
				h := uint16(r.Uint32())
				if h&0x7c00 != 0x7c00 {
					return h
				}
			}
		}
		switch mode {
		case 0:
			if typ == quant.Q4_K {
				binary.LittleEndian.PutUint16(b, finiteHalf())
				binary.LittleEndian.PutUint16(b[2:], finiteHalf())
			} else {
				binary.LittleEndian.PutUint16(b[208:], finiteHalf())
			}
		case 2:
			f := make([]float32, qkK)
			for j := range f {
				f[j] = float32(r.NormFloat64() * 0.1)
			}
			if _, err := quant.Quantize(typ, f, b); err != nil {
				panic(err)
			}
		case 3:
			h := []uint16{0x7bff, 0xfbff, 0x0001, 0x8001, 0x3c00}
			q := []byte{0xff, 0x00, 0x0f, 0xf0}[r.IntN(4)]
			if typ == quant.Q4_K {
				binary.LittleEndian.PutUint16(b, h[r.IntN(len(h))])
				binary.LittleEndian.PutUint16(b[2:], h[r.IntN(len(h))])
				sc := []byte{0xff, 0x3f, 0xc0, 0x00}[r.IntN(4)]
				for j := 4; j < 16; j++ {
					b[j] = sc
				}
				for j := 16; j < 144; j++ {
					b[j] = q
				}
			} else {
				binary.LittleEndian.PutUint16(b[208:], h[r.IntN(len(h))])
				sc := []byte{0x80, 0x7f, 0x00, 0xff}[r.IntN(4)]
				for j := 192; j < 208; j++ {
					b[j] = sc
				}
				for j := 0; j < 192; j++ {
					b[j] = q
				}
			}
		}
	}
}

// checkKQ holds got (a kernel's result) to the exact value of the row pair:
// within 2·(nb+12)·u of the mass when every block scale is finite (any
// float32 order of the block sums obeys that), and non-finite exactly when
// the reference is.
func checkKQ(t *testing.T, what string, typ quant.Type, w, x []byte, nb int, got, ref float32) {
	t.Helper()
	exact, mass, finite := kqExact(typ, w, x, nb)
	if !finite || isInfNaN(ref) {
		if isInfNaN(got) != isInfNaN(ref) || (math.IsNaN(float64(ref)) && !math.IsNaN(float64(got))) {
			t.Fatalf("%s %v nb=%d: %v, reference %v (scales finite: %v)", what, typ, nb, got, ref, finite)
		}
		return
	}
	bound := 2*float64(nb+12)*u*mass + 1e-38
	if d := math.Abs(float64(got) - exact); d > bound {
		t.Fatalf("%s %v nb=%d: %v, exact %v, |Δ| %g > bound %g (reference %v)", what, typ, nb, got, exact, d, bound, ref)
	}
}

// TestKQuantRefExact holds the references to the exact integer-derived
// value on random, raw-bit and extreme blocks, with NaN/Inf scales
// propagating rather than panicking.
func TestKQuantRefExact(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, typ := range kqTypes {
		for nb := 1; nb <= 8; nb++ {
			for wm := 0; wm < 4; wm++ {
				for xm := 0; xm < 3; xm++ {
					w, x := make([]byte, nb*kqBlockBytes(typ)), make([]byte, nb*q8KBlockBytes)
					randKWeights(r, typ, w, nb, wm)
					randQ8K(r, x, nb, xm)
					ref := LookupQKernel(typ).Ref(w, x, nb*qkK)
					checkKQ(t, "Ref", typ, w, x, nb, ref, ref)
				}
			}
		}
	}
}

// TestKQuantFastVsRef holds the fast Dot (assembly where the CPU has it)
// to the reference and to the exact value at every length 256..8192, on
// quantizer output, raw random bits (NaN/Inf fp16 scales included) and
// extreme blocks; with the assembly off, Dot must be the reference bit for
// bit.
func TestKQuantFastVsRef(t *testing.T) {
	t.Logf("k-quant assembly in use: %v", useAsm && haveKQuantAsm)
	r := rand.New(rand.NewPCG(23, 24))
	for _, typ := range kqTypes {
		k := LookupQKernel(typ)
		dot := k.Dot
		if dot == nil {
			dot = k.Ref
		}
		for nb := 1; nb <= 32; nb++ {
			for wm := 0; wm < 4; wm++ {
				for xm := 0; xm < 3; xm++ {
					w, x := make([]byte, nb*kqBlockBytes(typ)), make([]byte, nb*q8KBlockBytes)
					randKWeights(r, typ, w, nb, wm)
					randQ8K(r, x, nb, xm)
					ref := k.Ref(w, x, nb*qkK)
					got := dot(w, x, nb*qkK)
					checkKQ(t, fmt.Sprintf("Dot (weights mode %d, activations mode %d)", wm, xm), typ, w, x, nb, got, ref)
					old := useAsm
					useAsm = false
					plain := dot(w, x, nb*qkK)
					useAsm = old
					if math.Float32bits(plain) != math.Float32bits(ref) {
						t.Fatalf("%v nb=%d: Dot without assembly %v, reference %v", typ, nb, plain, ref)
					}
				}
			}
		}
	}
}

// TestKQuantMatMul multiplies random-bit k-quant matrices (finite scales)
// by random activations with MatMulQ: every element agrees with the
// reference and the exact value, 1 and 2 threads and every batch size give
// the same bits, and odd row counts cover the tiling's edges.
func TestKQuantMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, typ := range kqTypes {
		for _, shape := range [][3]int{{1, 37, 512}, {4, 9, 256}, {7, 33, 1024}, {13, 5, 768}, {5, 3, 0}} {
			nTok, rows, cols := shape[0], shape[1], shape[2]
			nb, wb := cols/qkK, rowBytes(typ, cols)
			w := make([]byte, rows*wb)
			randKWeights(r, typ, w, rows*nb, 0)
			x := make([]float32, nTok*cols)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			var got [2][]float32
			for th := 1; th <= 2; th++ {
				withThreads(t, th, func() {
					got[th-1] = make([]float32, nTok*rows)
					MatMulQ(got[th-1], typ, w, x, nTok, rows, cols)
				})
			}
			if !slices.Equal(got[0], got[1]) {
				t.Fatalf("%v %v: 1 and 2 threads differ", typ, shape)
			}
			ref := make([]float32, nTok*rows)
			matMulQRef(ref, typ, w, x, nTok, rows, cols)
			xq := make([]byte, nb*q8KBlockBytes)
			one := make([]float32, rows)
			for i := 0; i < nTok; i++ {
				ConvertRow(quant.Q8_K, xq, x[i*cols:(i+1)*cols])
				for j := 0; j < rows; j++ {
					checkKQ(t, "MatMulQ", typ, w[j*wb:(j+1)*wb], xq, nb, got[0][i*rows+j], ref[i*rows+j])
				}
				MatMulQ(one, typ, w, x[i*cols:(i+1)*cols], 1, rows, cols)
				if !slices.Equal(one, got[0][i*rows:(i+1)*rows]) {
					t.Fatalf("%v %v: token %d alone differs from the batch", typ, shape, i)
				}
			}
		}
	}
}

// TestKQuantQuantizedWeights quantizes random float weights with quant's
// Q4_K/Q6_K quantizers (as a GGUF writer would) and checks MatMulQ against
// the float64 product of the dequantized weights and the unquantized
// activations: the only difference is the Q8_K rounding of the activations
// (≤ d/2 per element, d = max|x|/127), so |Δ| ≤ Σ|w|·max|x|/254 plus
// float32 rounding.
func TestKQuantQuantizedWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	for _, typ := range kqTypes {
		rows, cols, nTok := 24, 1024, 3
		w, wd := randQuantMatrix(t, r, typ, rows, cols)
		x := make([]float32, nTok*cols)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		out := make([]float32, nTok*rows)
		MatMulQ(out, typ, w, x, nTok, rows, cols)
		for i := 0; i < nTok; i++ {
			xs := x[i*cols : (i+1)*cols]
			for j := 0; j < rows; j++ {
				var exact, sumW, sumP float64
				for c := 0; c < cols; c++ {
					exact += float64(wd[j*cols+c]) * float64(xs[c])
					sumW += math.Abs(float64(wd[j*cols+c]))
					sumP += math.Abs(float64(wd[j*cols+c]) * float64(xs[c]))
				}
				var amax float64
				for b := 0; b < cols; b += qkK {
					for _, v := range xs[b : b+qkK] {
						amax = max(amax, math.Abs(float64(v)))
					}
				}
				bound := sumW*amax/254*1.001 + 1e-5*sumP
				if d := math.Abs(float64(out[i*rows+j]) - exact); d > bound {
					t.Fatalf("%v [%d,%d] = %v, float64 %v, |Δ| %g > %g", typ, i, j, out[i*rows+j], exact, d, bound)
				}
			}
		}
	}
}

// TestKQuantRowsBitIdentical holds the Rows kernels (four tokens per
// assembly call where the CPU has it) to Dot bit for bit, for 0..9 tokens,
// sub-ranges of rows and every weight mode, NaN/Inf scales included.
func TestKQuantRowsBitIdentical(t *testing.T) {
	for _, z := range []bool{true, false} {
		old := useKQuant512
		useKQuant512 = z && old
		t.Run(fmt.Sprintf("avx512=%v", useKQuant512), testKQuantRowsBitIdentical)
		useKQuant512 = old
		if !old {
			break
		}
	}
}

func testKQuantRowsBitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(29, 30))
	for _, typ := range kqTypes {
		k := LookupQKernel(typ)
		if k.Rows == nil {
			t.Skipf("%v: no Rows kernel in this build", typ)
		}
		for _, cols := range []int{256, 768, 2048} {
			for _, nTok := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 16, 19} {
				asm := useAsm
				if nTok == 5 {
					useAsm = false // the fallback loop: Rows is the reference too
				}
				rows, nb := 37, cols/qkK
				wb, xb := rowBytes(typ, cols), nb*q8KBlockBytes
				w, xq := make([]byte, rows*wb), make([]byte, nTok*xb)
				randKWeights(r, typ, w, rows*nb, nTok%4)
				randQ8K(r, xq, nTok*nb, nTok%3)
				out := make([]float32, nTok*rows)
				for i := range out {
					out[i] = -7
				}
				lo, hi := 3, 3+r.IntN(rows-3)+1
				k.Rows(out, w, xq, nTok, rows, cols, lo, hi)
				for ti := 0; ti < nTok; ti++ {
					for j := 0; j < rows; j++ {
						got := out[ti*rows+j]
						if j < lo || j >= hi {
							if got != -7 {
								t.Fatalf("%v cols=%d nTok=%d: row %d outside [%d,%d) written", typ, cols, nTok, j, lo, hi)
							}
							continue
						}
						want := k.Dot(w[j*wb:(j+1)*wb], xq[ti*xb:(ti+1)*xb], cols)
						if math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("%v cols=%d nTok=%d [%d,%d]: Rows %v, Dot %v", typ, cols, nTok, ti, j, got, want)
						}
					}
				}
				useAsm = asm
			}
		}
	}
}
