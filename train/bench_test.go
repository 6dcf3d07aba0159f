package train

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/optim"
)

// BenchmarkTrainStep measures whole training steps (forward, backward,
// clipping, AdamW) of a ~10M-parameter Llama (dim 256, 8 layers, 8 heads,
// ffn 768, context 256, vocab 4096, untied head) and the GPT-2 of the same
// width (ffn 1024, tied), on 2 windows of 256 tokens per step, with 1 and 2
// kernel threads; and the 0.8M GPT-2 of nanoGPT's Shakespeare recipe
// (12 windows of 64 characters). GFLOP/s counts Config.StepFLOPs: 6·(parameters in matrix
// products)·tokens plus attention, 12·layers·dim·T per token; GFLOP/cpu-s
// divides by the process's CPU time instead (Linux), steadier on a shared
// machine.
//
//	go test -run '^$' -bench TrainStep -benchtime 5x ./train/
//	LLMPIPE_BENCH_GPT2_SMALL=1 go test -run '^$' -bench 'TrainStep/gpt2-124' -benchtime 2x ./train/
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range []struct {
		Config
		batch int
	}{
		{Config{Arch: ArchLlama, Layers: 8, Dim: 256, Heads: 8, FFN: 768, Ctx: 256, Vocab: 4096}, 2},
		{Config{Arch: ArchGPT2, Layers: 8, Dim: 256, Heads: 8, FFN: 1024, Ctx: 256, Vocab: 4096}, 2},
		{Config{Arch: ArchGPT2, Layers: 4, Dim: 128, Heads: 4, Ctx: 64, Vocab: 65}, 12}, // the Shakespeare recipe
		// GPT-2 small (124M: 12 layers, 768 wide, 12 heads, 50257 tokens),
		// 1 window of 1024 tokens per step: ~20 s a step, so only with
		// LLMPIPE_BENCH_GPT2_SMALL=1.
		{Config{Arch: ArchGPT2, Layers: 12, Dim: 768, Heads: 12, Ctx: 1024, Vocab: 50257}, 1},
	} {
		if c.Dim == 768 && os.Getenv("LLMPIPE_BENCH_GPT2_SMALL") == "" {
			continue
		}
		rng := rand.New(rand.NewPCG(1, 1))
		m, err := NewModel(c.Config, rng)
		if err != nil {
			b.Fatal(err)
		}
		batch := c.batch
		T := m.Config.Ctx
		data := make(Tokens, 100000)
		for i := range data {
			data[i] = int32(rng.IntN(c.Vocab))
		}
		ids, targets := make([]int, batch*T), make([]int, batch*T)
		flops := m.Config.StepFLOPs(batch*T, T)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s-%.1fM/threads=%d", c.Arch, float64(m.NumParams())/1e6, threads), func(b *testing.B) {
				b.ReportAllocs()
				kernels.SetThreads(threads)
				defer kernels.SetThreads(0)
				adam := optim.NewAdamW(m.Params(), 0.1, optim.DecayMatrices)
				tp := ag.NewTape()
				cpu0 := cpuSeconds()
				for b.Loop() {
					randomBatch(rng, data, ids, targets, batch, T)
					adam.ZeroGrad()
					if err := tp.Backward(m.Loss(tp, ids, targets, batch)); err != nil {
						b.Fatal(err)
					}
					optim.ClipGradNorm(m.Params(), 1)
					adam.Step(1e-4)
				}
				s := b.Elapsed().Seconds()
				b.ReportMetric(float64(b.N*batch*T)/s, "tok/s")
				b.ReportMetric(flops*float64(b.N)/s/1e9, "GFLOP/s")
				if cpu := cpuSeconds() - cpu0; cpu > 0 {
					// CPU time is not inflated by other processes' time
					// slices on a shared machine (but counts the pool's
					// polling workers with 2 threads)
					b.ReportMetric(flops*float64(b.N)/cpu/1e9, "GFLOP/cpu-s")
				}
			})
		}
	}
}
