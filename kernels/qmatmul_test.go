package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// registeredTypes lists the weight types with a kernel, in type order.
func registeredTypes() []quant.Type {
	qkMu.RLock()
	defer qkMu.RUnlock()
	var ts []quant.Type
	for t, k := range qkernel {
		if k.Ref != nil {
			ts = append(ts, t)
		}
	}
	slices.Sort(ts)
	return ts
}

// randQuantMatrix returns rows·cols random weights stored as type t
// (quantized with quant's reference quantizers) and their dequantized
// values.
func randQuantMatrix(t *testing.T, r *rand.Rand, typ quant.Type, rows, cols int) ([]byte, []float32) {
	t.Helper()
	f := make([]float32, rows*cols)
	for i := range f {
		f[i] = float32(r.NormFloat64()) * 0.5
	}
	wb := rowBytes(typ, cols)
	w := make([]byte, rows*wb)
	for i := 0; i < rows; i++ {
		if _, err := quant.Quantize(typ, f[i*cols:(i+1)*cols], w[i*wb:(i+1)*wb]); err != nil {
			t.Fatal(err)
		}
	}
	deq := make([]float32, rows*cols)
	if err := quant.Dequantize(typ, w, deq); err != nil {
		t.Fatal(err)
	}
	return w, deq
}

// TestQKernels holds every registered kernel to its definition: the
// reference dot equals the float64 dot of the dequantized weights and
// activations to float32 rounding; MatMulQ (fast Dot/Rows, worker pool)
// equals the reference within a summation-order bound; one token at a time
// gives the same bits as a batch; 1 and 2 threads give the same bits.
func TestQKernels(t *testing.T) {
	for _, typ := range registeredTypes() {
		k := LookupQKernel(typ)
		bs := max(typ.BlockSize(), k.Act.BlockSize())
		for _, shape := range [][3]int{{1, 1, bs}, {3, 7, bs * 2}, {5, 13, bs * 3}, {17, 40, bs * 8}} {
			nTok, rows, cols := shape[0], shape[1], shape[2]
			t.Run(fmt.Sprintf("%v/%dx%dx%d", typ, nTok, rows, cols), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(typ), uint64(cols)))
				w, wd := randQuantMatrix(t, r, typ, rows, cols)
				x := make([]float32, nTok*cols)
				for i := range x {
					x[i] = float32(r.NormFloat64())
				}
				xb := rowBytes(k.Act, cols)
				xd := make([]float32, nTok*cols)
				xq := make([]byte, xb)
				// A block_q8_1 also carries s = fp16(d·Σqs), which the Q4_1 and
				// Q5_1 dots use for their min term (x.m·y.s) instead of Σ of the
				// dequantized values: sErr[i][b] = s - d·Σqs is that difference.
				sErr := make([]float64, nTok*(cols/32))
				for i := 0; i < nTok; i++ {
					ConvertRow(k.Act, xq, x[i*cols:(i+1)*cols])
					if err := quant.Dequantize(k.Act, xq, xd[i*cols:(i+1)*cols]); err != nil {
						t.Fatal(err)
					}
					if k.Act == quant.Q8_1 {
						for b := 0; b < cols/32; b++ {
							var sum float64
							for c := 0; c < 32; c++ {
								sum += float64(xd[i*cols+32*b+c])
							}
							sErr[i*(cols/32)+b] = float64(blockScale(xq[36*b+2:])) - sum
						}
					}
				}
				ref := make([]float32, nTok*rows)
				matMulQRef(ref, typ, w, x, nTok, rows, cols)
				nb := float64(cols / bs)
				for i := 0; i < nTok; i++ {
					for j := 0; j < rows; j++ {
						var exact, abs float64
						for c := 0; c < cols; c++ {
							p := float64(wd[j*cols+c]) * float64(xd[i*cols+c])
							exact += p
							abs += math.Abs(p)
						}
						if k.Act == quant.Q8_1 { // Q4_1, Q5_1: the block's min m is the fp16 at bytes 2-3
							wb := rowBytes(typ, cols)
							for b := 0; b < cols/32; b++ {
								m := float64(blockScale(w[j*wb+b*typ.TypeSize()+2:]))
								exact += m * sErr[i*(cols/32)+b]
								abs += math.Abs(m * sErr[i*(cols/32)+b])
							}
						}
						if d := math.Abs(float64(ref[i*rows+j]) - exact); d > (nb+8)*1.2e-7*abs+1e-30 {
							t.Fatalf("ref [%d,%d] = %v, dequantized float64 dot %v (Σ|w·x| %v)", i, j, ref[i*rows+j], exact, abs)
						}
					}
				}
				var got [2][]float32
				for th := 1; th <= 2; th++ {
					withThreads(t, th, func() {
						got[th-1] = make([]float32, nTok*rows)
						MatMulQ(got[th-1], typ, w, x, nTok, rows, cols)
					})
				}
				if !slices.Equal(got[0], got[1]) {
					t.Fatalf("1 and 2 threads differ")
				}
				one := make([]float32, rows)
				for i := 0; i < nTok; i++ {
					MatMulQ(one, typ, w, x[i*cols:(i+1)*cols], 1, rows, cols)
					if !slices.Equal(one, got[0][i*rows:(i+1)*rows]) {
						t.Fatalf("token %d alone differs from the batch: %v vs %v", i, one, got[0][i*rows:(i+1)*rows])
					}
				}
				for i := 0; i < nTok; i++ {
					for j := 0; j < rows; j++ {
						var abs float64
						for c := 0; c < cols; c++ {
							abs += math.Abs(float64(wd[j*cols+c]) * float64(xd[i*cols+c]))
						}
						g, want := got[0][i*rows+j], ref[i*rows+j]
						if d := math.Abs(float64(g) - float64(want)); d > 2*(nb+8)*1.2e-7*abs+1e-30 {
							t.Fatalf("MatMulQ [%d,%d] = %v, reference %v", i, j, g, want)
						}
					}
				}
			})
		}
	}
}

// TestMatMulMany checks MatMulMany gives, for every matrix, the same bits
// as MatMulQ (MatMul for F32) called on its own: for Q/K/V-like and
// gate/up-like sets of one type, for F32, for sets mixing activation types
// (Q8_0 with F16 and Q4_K), for 1 and 3 threads, one token and batches,
// with the asm kernels and without.
func TestMatMulMany(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	const cols = 256
	sets := [][]quant.Type{
		{quant.Q8_0, quant.Q8_0, quant.Q8_0}, {quant.Q4_0, quant.Q4_0}, {quant.F16, quant.F16, quant.F16},
		{quant.F32, quant.F32}, {quant.Q8_0, quant.Q4_0}, {quant.Q8_0, quant.F16, quant.Q4_K}, {quant.Q4_K, quant.Q6_K},
		{quant.F32, quant.Q8_0},
	}
	for _, asm := range []bool{true, false} {
		if asm && !useAsm {
			continue
		}
		saved := useAsm
		useAsm = asm
		for _, types := range sets {
			for _, nTok := range []int{1, 2, 7} {
				rowsOf := []int{300, 64, 129}
				x := randF32(r, nTok*cols)
				ops := make([]MatMulOp, len(types))
				want := make([][]float32, len(types))
				for i, typ := range types {
					rows := rowsOf[i]
					ops[i] = MatMulOp{Type: typ, Rows: rows, Out: make([]float32, nTok*rows)}
					if typ == quant.F32 {
						ops[i].F32 = randF32(r, rows*cols)
					} else {
						ops[i].Data, _ = randQuantMatrix(t, r, typ, rows, cols)
					}
				}
				for _, th := range []int{1, 3} {
					withThreads(t, th, func() {
						for i, o := range ops {
							want[i] = make([]float32, nTok*o.Rows)
							if o.Type == quant.F32 {
								MatMul(want[i], o.F32, x, nTok, o.Rows, cols)
							} else {
								MatMulQ(want[i], o.Type, o.Data, x, nTok, o.Rows, cols)
							}
							clear(o.Out)
						}
						MatMulMany(ops, x, nTok, cols)
						for i, o := range ops {
							for j := range o.Out {
								if math.Float32bits(o.Out[j]) != math.Float32bits(want[i][j]) {
									t.Fatalf("asm %v types %v nTok %d threads %d: op %d element %d = %v, MatMulQ gives %v",
										asm, types, nTok, th, i, j, o.Out[j], want[i][j])
								}
							}
						}
					})
				}
			}
		}
		useAsm = saved
	}
}

// TestConvertRows checks ConvertRows equals ConvertRow row by row.
func TestConvertRows(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	for _, act := range []quant.Type{quant.Q8_0, quant.F16, quant.BF16, quant.Q8_K} {
		cols := max(act.BlockSize(), 32) * 2
		for _, nTok := range []int{0, 1, 5} {
			x := randF32(r, nTok*cols)
			xb := rowBytes(act, cols)
			got := make([]byte, nTok*xb)
			ConvertRows(act, got, x, nTok, cols)
			for i := 0; i < nTok; i++ {
				want := make([]byte, xb)
				ConvertRow(act, want, x[i*cols:(i+1)*cols])
				if !slices.Equal(got[i*xb:(i+1)*xb], want) {
					t.Fatalf("%v nTok %d: row %d differs from ConvertRow", act, nTok, i)
				}
			}
		}
	}
}
