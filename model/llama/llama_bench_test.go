package llama

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/model"
)

// BenchmarkDecode measures one-token decode steps on stories260K.gguf with
// the reference kernels, restarting the sequence when the context is full.
func BenchmarkDecode(b *testing.B) {
	m := loadModel(b, "models/stories260K.gguf")
	seq := m.NewSequence(model.SequenceOptions{})
	n := 0
	for b.Loop() {
		if seq.Len() == m.ContextLength() {
			seq = m.NewSequence(model.SequenceOptions{})
		}
		if _, err := seq.Forward([]int{1 + n%100}, false); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tok/s")
}

// BenchmarkPrefill measures a 256-token batched prompt on stories260K.gguf.
func BenchmarkPrefill(b *testing.B) {
	m := loadModel(b, "models/stories260K.gguf")
	ids := make([]int, 256)
	for i := range ids {
		ids[i] = 1 + i%500
	}
	n := 0
	for b.Loop() {
		if _, err := m.NewSequence(model.SequenceOptions{}).Forward(ids, false); err != nil {
			b.Fatal(err)
		}
		n += len(ids)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tok/s")
}

// BenchmarkDecodeFile measures decode steps of the GGUF model named by
// $LLMPIPE_BENCH_MODEL (e.g. a benchmark model of ../shared/peers/BENCH.md;
// skipped when unset) after a prompt of 256 and 1024 tokens, with the KV
// cache in f32 and f16. Each op is one token; the context grows by one per
// op, so keep -benchtime small (e.g. 32x).
func BenchmarkDecodeFile(b *testing.B) {
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
	for _, ctx := range []int{256, 1024} {
		for _, f16 := range []bool{false, true} {
			b.Run(fmt.Sprintf("ctx=%d/kvf16=%v", ctx, f16), func(b *testing.B) {
				ids := make([]int, ctx)
				for i := range ids {
					ids[i] = 1 + i%500
				}
				seq := m.NewSequence(model.SequenceOptions{KVF16: f16})
				if _, err := seq.Forward(ids, false); err != nil {
					b.Fatal(err)
				}
				n := 0
				for b.Loop() {
					if seq.Len() == m.ContextLength() {
						b.Fatal("context full: use a smaller -benchtime")
					}
					if _, err := seq.Forward([]int{1 + n%100}, false); err != nil {
						b.Fatal(err)
					}
					n++
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tok/s")
			})
		}
	}
}

// BenchmarkBenchModels times a 256-token prefill (pp256) and single-token
// decode steps after it (tg) on each benchmark model of
// ../shared/peers/BENCH.md found in $LLMPIPE_BENCHMODELS (f16 KV cache, as
// llama.cpp), reporting tok/s and the process CPU time per token
// (cpu-ms/tok), and for decode the median step (p50-ms/tok): on a shared, loaded machine the CPU time of a 1-thread run
// is the steadier figure. Select models with -bench
// 'BenchModels/110m-q8_0' and threads with GOMAXPROCS or LLMPIPE_THREADS.
func BenchmarkBenchModels(b *testing.B) {
	dir := os.Getenv(benchModelsEnv)
	if dir == "" {
		b.Skipf("%s is not set", benchModelsEnv)
	}
	if s := os.Getenv("LLMPIPE_THREADS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		kernels.SetThreads(n)
		defer kernels.SetThreads(0)
	}
	for _, name := range []string{"110m-f32", "110m-f16", "110m-q8_0", "110m-q4_0", "gqa-1b-q8_0", "gqa-1b-q4_0"} {
		b.Run(name, func(b *testing.B) {
			f, err := gguf.OpenMapped(filepath.Join(dir, "bench-"+name+".gguf"))
			if err != nil {
				b.Skip(err)
			}
			defer f.Close()
			m, err := Load(f)
			if err != nil {
				b.Fatal(err)
			}
			prompt := make([]int, 256)
			for i := range prompt {
				prompt[i] = 1000 + 37*i
			}
			b.Run("pp256", func(b *testing.B) {
				c0 := cpuTime()
				for b.Loop() {
					if _, err := m.NewSequence(model.SequenceOptions{KVF16: true}).Forward(prompt, false); err != nil {
						b.Fatal(err)
					}
				}
				n := float64(len(prompt) * b.N)
				b.ReportMetric(n/b.Elapsed().Seconds(), "tok/s")
				b.ReportMetric((cpuTime()-c0).Seconds()*1e3/n, "cpu-ms/tok")
			})
			b.Run("tg", func(b *testing.B) {
				seq := m.NewSequence(model.SequenceOptions{KVF16: true})
				if _, err := seq.Forward(prompt, false); err != nil {
					b.Fatal(err)
				}
				c0 := cpuTime()
				var steps []float64
				for b.Loop() {
					if seq.Len() == m.ContextLength() {
						b.Fatal("context full: use a smaller -benchtime")
					}
					t0 := time.Now()
					if _, err := seq.Forward([]int{prompt[seq.Len()%len(prompt)]}, false); err != nil {
						b.Fatal(err)
					}
					steps = append(steps, time.Since(t0).Seconds()*1e3)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
				b.ReportMetric((cpuTime()-c0).Seconds()*1e3/float64(b.N), "cpu-ms/tok")
				// The median step is steadier than the mean when other
				// processes take the CPU now and then.
				slices.Sort(steps)
				b.ReportMetric(steps[len(steps)/2], "p50-ms/tok")
			})
		})
	}
}

// cpuTime returns the CPU time (user + system) this process has used, read
// from /proc/self/stat (clock ticks of 10 ms); 0 where that file is absent.
func cpuTime() time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)  // utime: field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // stime: field 15
	return time.Duration(u+st) * 10 * time.Millisecond
}

// TestForwardThreadsBitIdentical checks that Forward gives the same logits,
// bit for bit, with 1, 2 and 3 pool threads: a 48-token prompt (big enough
// for the pool to split the matrices) and 4 decode steps on stories260K in
// F32 and Q8_0 (f32 and f16 KV caches).
func TestForwardThreadsBitIdentical(t *testing.T) {
	defer kernels.SetThreads(0)
	ids := make([]int, 48)
	for i := range ids {
		ids[i] = 1 + (i*37)%500
	}
	for _, rel := range []string{"models/stories260K.gguf", "models/stories260K-q8_0.gguf"} {
		m := loadModel(t, rel)
		for _, f16 := range []bool{false, true} {
			var want []float32
			for _, th := range []int{1, 2, 3} {
				kernels.SetThreads(th)
				seq := m.NewSequence(model.SequenceOptions{KVF16: f16})
				logits, err := seq.Forward(ids, true)
				if err != nil {
					t.Fatal(err)
				}
				got := slices.Clone(logits)
				for s := 0; s < 4; s++ {
					l, err := seq.Forward([]int{ids[s]}, false)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, l...)
				}
				if want == nil {
					want = got
					continue
				}
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s kvf16=%v: %d threads: logit %d = %v, 1 thread gives %v", rel, f16, th, i, got[i], want[i])
					}
				}
			}
		}
	}
}
