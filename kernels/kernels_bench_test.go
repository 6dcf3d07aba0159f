package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/quant"
)

func randF32(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// reportRates reports GFLOP/s (and GB/s when bytes > 0) of b's loop, by wall
// time and per second of process CPU time since cpu0 (processCPU before the
// loop; "GFLOP/cpu-s", omitted where CPU time is not available). On a shared
// machine the wall-time rate drops whenever other processes take the cores;
// the CPU-time rate does not (with 2 threads it counts both threads, so it
// is a per-core rate, and polling workers count as busy).
func reportRates(b *testing.B, cpu0 time.Duration, flops, bytes float64) {
	n, wall := float64(b.N), b.Elapsed().Seconds()
	b.ReportMetric(flops*n/wall/1e9, "GFLOP/s")
	if bytes > 0 {
		b.ReportMetric(bytes*n/wall/1e9, "GB/s")
	}
	if cpu := (processCPU() - cpu0).Seconds(); cpu0 > 0 && cpu > 0 {
		b.ReportMetric(flops*n/cpu/1e9, "GFLOP/cpu-s")
	}
}

// benchThreads are the worker-pool sizes the matrix benchmarks run with. They
// are set with SetThreads, not `go test -cpu`: with b.Loop, Go 1.26 measures
// the whole loop before applying -cpu's GOMAXPROCS.
var benchThreads = []int{1, 2}

// BenchmarkMatVec sweeps real shapes (stories260K's 64, llama2.c 15M's 288,
// 7B's 4096) and reports GFLOP/s (2·rows·cols per call).
func BenchmarkMatVec(b *testing.B) {
	defer SetThreads(0)
	for _, s := range []struct{ rows, cols int }{{64, 64}, {288, 288}, {768, 288}, {4096, 4096}} {
		for _, th := range benchThreads {
			b.Run(fmt.Sprintf("%dx%d/threads=%d", s.rows, s.cols, th), func(b *testing.B) {
				SetThreads(th)
				rng := rand.New(rand.NewPCG(1, 1))
				w, x, out := randF32(rng, s.rows*s.cols), randF32(rng, s.cols), make([]float32, s.rows)
				cpu0 := processCPU()
				for b.Loop() {
					MatVec(out, w, x)
				}
				reportRates(b, cpu0, 2*float64(s.rows*s.cols), 4*float64(s.rows*s.cols))
			})
		}
	}
}

// BenchmarkMatMul measures prompt-shaped products (nTok tokens against a
// weight matrix) and reports GFLOP/s (2·nTok·rows·cols per call).
func BenchmarkMatMul(b *testing.B) {
	defer SetThreads(0)
	for _, s := range []struct{ nTok, rows, cols int }{{64, 768, 288}, {64, 2048, 2048}, {256, 2048, 768}, {256, 768, 2048}} {
		for _, th := range benchThreads {
			b.Run(fmt.Sprintf("%dx%dx%d/threads=%d", s.nTok, s.rows, s.cols, th), func(b *testing.B) {
				SetThreads(th)
				rng := rand.New(rand.NewPCG(1, 1))
				w, x, out := randF32(rng, s.rows*s.cols), randF32(rng, s.nTok*s.cols), make([]float32, s.nTok*s.rows)
				cpu0 := processCPU()
				for b.Loop() {
					MatMul(out, w, x, s.nTok, s.rows, s.cols)
				}
				reportRates(b, cpu0, 2*float64(s.nTok*s.rows*s.cols), 0)
			})
		}
	}
}

// BenchmarkMatMulHalf measures MatMulQ with F16 (and BF16) weights on the
// bench-110m shapes (rows x cols: FFN 2048x768 and 768x2048, output head
// 32000x768) for one token (decode; GB/s of weights read) and a 256-token
// prompt (GFLOP/s), with the assembly ("fast") and with the plain-Go
// reference ("ref"; ~0.2 GB/s for F16, so only for one token).
func BenchmarkMatMulHalf(b *testing.B) {
	defer SetThreads(0)
	for _, s := range []struct {
		typ              quant.Type
		nTok, rows, cols int
	}{
		{quant.F16, 1, 2048, 768}, {quant.F16, 1, 768, 2048}, {quant.F16, 1, 32000, 768},
		{quant.F16, 256, 2048, 768}, {quant.F16, 256, 768, 2048}, {quant.F16, 256, 32000, 768},
		{quant.BF16, 1, 2048, 768}, {quant.BF16, 256, 2048, 768},
	} {
		for _, impl := range []string{"fast", "ref"} {
			if impl == "ref" && s.nTok > 1 {
				continue
			}
			for _, th := range benchThreads {
				b.Run(fmt.Sprintf("%v/%dx%dx%d/%s/threads=%d", s.typ, s.nTok, s.rows, s.cols, impl, th), func(b *testing.B) {
					SetThreads(th)
					old := useAsm
					useAsm = impl == "fast"
					defer func() { useAsm = old }()
					rng := rand.New(rand.NewPCG(1, 1))
					wf := randF32(rng, s.rows*s.cols)
					w := make([]byte, 2*len(wf))
					if _, err := quant.Quantize(s.typ, wf, w); err != nil {
						b.Fatal(err)
					}
					x, out := randF32(rng, s.nTok*s.cols), make([]float32, s.nTok*s.rows)
					cpu0 := processCPU()
					for b.Loop() {
						MatMulQ(out, s.typ, w, x, s.nTok, s.rows, s.cols)
					}
					reportRates(b, cpu0, 2*float64(s.nTok*s.rows*s.cols), float64(len(w)))
				})
			}
		}
	}
}

// BenchmarkConvertRowHalf compares the activation conversion MatMulQ does
// for F16/BF16 weights today (ConvertRow: quant.Quantize, one value at a
// time) with the assembly conversion (convertRowF16/convertRowBF16, the
// same bytes), on one 768-wide token.
func BenchmarkConvertRowHalf(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := randF32(rng, 768)
	dst := make([]byte, 2*len(x))
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"F16/ConvertRow", func() { ConvertRow(quant.F16, dst, x) }},
		{"F16/convertRowF16", func() { convertRowF16(dst, x) }},
		{"BF16/ConvertRow", func() { ConvertRow(quant.BF16, dst, x) }},
		{"BF16/convertRowBF16", func() { convertRowBF16(dst, x) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.f()
			}
			b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gvalues/s")
		})
	}
}
