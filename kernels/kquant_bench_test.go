package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// BenchmarkMatMulQK measures MatMulQ on Q4_K and Q6_K weights (random
// bits with finite scales) in the shapes of a 1B Llama (2048 wide, 5632 FFN,
// 32000 vocabulary): decode (nTok=1) and a 256-token prompt. It reports
// GOP/s (2·nTok·rows·cols per call, the activation quantization included)
// and GB/s of weights read (once per call), with the reference kernel
// (impl=ref, the assembly turned off), the AVX2 one (impl=avx2, the
// AVX-512 kernels turned off) and the fastest (impl=fast), on 1
// and 2 threads. With one thread it also reports GOP per CPU-second of
// the process, which time taken by other tenants of a shared machine does
// not dilute (their cache and memory traffic still does).
func BenchmarkMatMulQK(b *testing.B) {
	defer SetThreads(0)
	shapes := []struct{ nTok, rows, cols int }{{1, 2048, 2048}, {1, 5632, 2048}, {1, 32000, 2048}, {256, 2048, 2048}}
	for _, typ := range kqTypes {
		for _, s := range shapes {
			wb := rowBytes(typ, s.cols)
			r := rand.New(rand.NewPCG(1, 1))
			w := make([]byte, s.rows*wb)
			randKWeights(r, typ, w, s.rows*s.cols/qkK, 0)
			x, out := randF32(r, s.nTok*s.cols), make([]float32, s.nTok*s.rows)
			for _, impl := range []string{"ref", "avx2", "fast"} {
				for _, th := range benchThreads {
					b.Run(fmt.Sprintf("%v/%dx%dx%d/%s/threads=%d", typ, s.nTok, s.rows, s.cols, impl, th), func(b *testing.B) {
						switch impl {
						case "ref":
							old := useAsm
							useAsm = false
							defer func() { useAsm = old }()
						case "avx2":
							old := useKQuant512
							useKQuant512 = false
							defer func() { useKQuant512 = old }()
						}
						SetThreads(th)
						b.SetBytes(int64(len(w)))
						cpu0 := processCPU()
						for b.Loop() {
							MatMulQ(out, typ, w, x, s.nTok, s.rows, s.cols)
						}
						ops := 2 * float64(s.nTok*s.rows*s.cols) * float64(b.N)
						sec := b.Elapsed().Seconds()
						b.ReportMetric(ops/sec/1e9, "GOP/s")
						b.ReportMetric(float64(len(w))*float64(b.N)/sec/1e9, "GB/s")
						if cpu := (processCPU() - cpu0).Seconds(); cpu > 0 && th == 1 {
							b.ReportMetric(ops/cpu/1e9, "GOP/cpu-s")
						}
					})
				}
			}
		}
	}
}

// BenchmarkQuantizeQ8K measures the activation conversion MatMulQ does for
// k-quant weights (quant.Quantize to Q8_K) on one 2048-wide token.
func BenchmarkQuantizeQ8K(b *testing.B) {
	x := randF32(rand.New(rand.NewPCG(1, 1)), 2048)
	dst := make([]byte, rowBytes(quant.Q8_K, len(x)))
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		ConvertRow(quant.Q8_K, dst, x)
	}
}

// BenchmarkDotQK measures the Dot kernels alone on one cache-resident row
// pair of 4096 columns (16 blocks) and reports ns per block.
func BenchmarkDotQK(b *testing.B) {
	for _, typ := range kqTypes {
		b.Run(typ.String(), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			const nb = 16
			w, x := make([]byte, nb*kqBlockBytes(typ)), make([]byte, nb*q8KBlockBytes)
			randKWeights(r, typ, w, nb, 0)
			randQ8K(r, x, nb, 0)
			k := LookupQKernel(typ)
			dot := k.Dot
			if dot == nil {
				dot = k.Ref
			}
			var s float32
			for b.Loop() {
				s += dot(w, x, nb*qkK)
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N*nb), "ns/block")
			_ = s
		})
	}
}
