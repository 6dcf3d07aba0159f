//go:build linux

package llama

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/model"
)

// BenchmarkForwardBatch times one decode step of N sequences (each after a
// 32-token prompt) with ForwardBatch, on $LLMPIPE_BENCH_MODEL (skipped when
// unset). It reports generated tokens per second of wall time and of
// process CPU time (steadier on a shared machine); the context grows by one
// per op, so keep -benchtime small (e.g. 32x).
func BenchmarkForwardBatch(b *testing.B) {
	path := os.Getenv("LLMPIPE_BENCH_MODEL")
	if path == "" {
		b.Skip("LLMPIPE_BENCH_MODEL not set")
	}
	f, err := gguf.OpenMapped(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	m, err := Load(f)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 4, 8, 16} {
		b.Run(fmt.Sprintf("seqs=%d", n), func(b *testing.B) {
			seqs := make([]model.Sequence, n)
			ids := make([][]int, n)
			for i := range seqs {
				seqs[i] = m.NewSequence(model.SequenceOptions{})
				prompt := make([]int, 32)
				for j := range prompt {
					prompt[j] = 1 + (i*37+j)%500
				}
				if _, err := seqs[i].Forward(prompt, false); err != nil {
					b.Fatal(err)
				}
				ids[i] = []int{1 + i}
			}
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := m.ForwardBatch(seqs, ids); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tok/s")
			if d := cpuTime() - cpu0; d > 0 {
				b.ReportMetric(float64(n*b.N)/d.Seconds(), "tok/cpu-s")
			}
		})
	}
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
