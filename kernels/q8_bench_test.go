package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
	"github.com/llmpipe/llmpipe/tensor"
)

// benchQBlocks returns rows·cols/32 random blocks of type typ (Q8_0 or
// Q4_0) with scales like those of real weights.
func benchQBlocks(r *rand.Rand, typ quant.Type, rows, cols int) []byte {
	bb := typ.TypeSize()
	b := make([]byte, rows*cols/QK*bb)
	for i := 0; i < len(b); i += bb {
		h := tensor.F32ToF16(float32(math.Ldexp(1+r.Float64(), -8)))
		b[i], b[i+1] = byte(h), byte(h>>8)
		for j := 2; j < bb; j++ {
			b[i+j] = byte(r.Uint32())
			if bb == Q8_0BlockBytes && b[i+j] == 0x80 {
				b[i+j] = 0x81
			}
		}
	}
	return b
}

// BenchmarkMatMulQ measures MatMulQ for Q8_0 and Q4_0 weights at decode
// (nTok = 1) on the matrix shapes of the 110M/1B benchmark models
// (rows×cols: 768x768 attention, 2048x768 and 768x2048 FFN, 32000x768
// output head, 5632x2048 1B FFN), prefill (nTok = 256) on 2048x768 and
// the server's batched decode of 8 sequences (nTok = 8) on 2048x768 and
// 32000x768,
// with 1 and 2 threads (SetThreads). It reports GOP/s (2·nTok·rows·cols
// per call; activation quantization included), GB/s of weights read (each
// weight byte once per call) and, with 1 thread on Linux, cpuGOP/s: the
// operations per second of the thread's own CPU time, which is what to
// compare on a busy shared machine.
func BenchmarkMatMulQ(b *testing.B) {
	defer SetThreads(0)
	type shape struct{ nTok, rows, cols int }
	shapes := []shape{{1, 768, 768}, {1, 2048, 768}, {1, 768, 2048}, {1, 32000, 768}, {1, 5632, 2048}, {256, 2048, 768}, {8, 2048, 768}, {8, 32000, 768}}
	for _, typ := range []quant.Type{quant.Q8_0, quant.Q4_0} {
		for _, s := range shapes {
			r := rand.New(rand.NewPCG(uint64(s.rows), uint64(s.cols)))
			w := benchQBlocks(r, typ, s.rows, s.cols)
			x := randF32(r, s.nTok*s.cols)
			out := make([]float32, s.nTok*s.rows)
			for _, th := range benchThreads {
				b.Run(fmt.Sprintf("%v/%dx%dx%d/threads=%d", typ, s.nTok, s.rows, s.cols, th), func(b *testing.B) {
					SetThreads(th)
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					cpu0, cpuOK := threadCPUTime()
					for b.Loop() {
						MatMulQ(out, typ, w, x, s.nTok, s.rows, s.cols)
					}
					ops := 2 * float64(s.nTok*s.rows*s.cols) * float64(b.N)
					sec := b.Elapsed().Seconds()
					b.ReportMetric(ops/sec/1e9, "GOP/s")
					b.ReportMetric(float64(len(w))*float64(b.N)/sec/1e9, "GB/s")
					// With one thread all the work runs on this goroutine's
					// thread: GOP per CPU-second is the speed the kernel
					// has when it gets the core, whatever else the machine
					// runs.
					if cpu1, ok := threadCPUTime(); cpuOK && ok && th == 1 && cpu1 > cpu0 {
						b.ReportMetric(ops/(cpu1-cpu0).Seconds()/1e9, "cpuGOP/s")
					}
				})
			}
		}
	}
}

// BenchmarkQuantizeRowQ8_0 measures the activation quantizer on a 2048
// row (GB/s of float32 input).
func BenchmarkQuantizeRowQ8_0(b *testing.B) {
	x := randF32(rand.New(rand.NewPCG(1, 2)), 2048)
	dst := make([]byte, len(x)/QK*Q8_0BlockBytes)
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		QuantizeRowQ8_0(dst, x)
	}
}
