package autograd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/kernels"
)

// BenchmarkTrainStep measures one forward+backward pass (no optimizer) of
// a ~10M-parameter Llama-shaped and GPT-2-shaped model (dim 256, 8 layers,
// 8 heads, context 256, vocab 4096; ffn 768 for Llama's SwiGLU, 1024 for
// GPT-2's GELU MLP with the output tied to the embedding) on 2 sequences of 256 tokens,
// with 1 and 2 kernel threads. GFLOP/s counts 6·(parameters in matrix
// products)·tokens plus attention, 12·layers·dim·T per token (PaLM's
// accounting, the full T×T products that Attention computes). GFLOP/cpu-s
// divides by the process's CPU time instead of wall time (Linux), which
// other processes on a shared machine do not inflate.
//
//	go test -run '^$' -bench TrainStep -benchtime 3x ./autograd/
func BenchmarkTrainStep(b *testing.B) {
	for _, gpt2 := range []bool{false, true} {
		m, name := newTestModel(false, 4096, 256, 8, 8, 8, 768, 256, 2), "llama"
		if gpt2 { // GPT-2's MLP is 4·dim wide
			m, name = newTestModel(true, 4096, 256, 8, 8, 8, 1024, 256, 2), "gpt2"
		}
		rng := rand.New(rand.NewPCG(1, 1))
		p := m.params(rng, 1)
		ids, targets := randomBatch(rng, m)
		nParams := 0
		for _, v := range p {
			nParams += len(v.Data)
		}
		tokens := m.batch * m.T
		flops := 6*float64(m.countMatMulParams())*float64(tokens) + 12*float64(m.layers*m.dim*m.T)*float64(tokens)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s-%.1fM/threads=%d", name, float64(nParams)/1e6, threads), func(b *testing.B) {
				b.ReportAllocs()
				kernels.SetThreads(threads)
				defer kernels.SetThreads(0)
				tp := NewTape()
				steps, cpu0 := 0, cpuSeconds()
				for b.Loop() {
					loss := modelLoss[*Var](agOps{tp}, m, p, ids, targets)
					if err := tp.Backward(loss); err != nil {
						b.Fatal(err)
					}
					steps++
				}
				s := b.Elapsed().Seconds()
				b.ReportMetric(float64(steps*tokens)/s, "tok/s")
				b.ReportMetric(flops*float64(steps)/s/1e9, "GFLOP/s")
				if cpu := cpuSeconds() - cpu0; cpu > 0 {
					// on a shared machine, wall time counts other processes'
					// time slices; CPU time does not (but includes the pool's
					// polling workers when threads > 1)
					b.ReportMetric(flops*float64(steps)/cpu/1e9, "GFLOP/cpu-s")
				}
			})
		}
	}
}
