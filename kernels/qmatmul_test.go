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
