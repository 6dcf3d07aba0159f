//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// haveAVX2FMA reports whether the CPU and OS support AVX2 and FMA (x/sys/cpu
// checks the OS saves the YMM state too); without them the plain-Go
// reference runs.
var haveAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useAsm selects the assembly path; tests turn it off to reach the fallback.
var useAsm = haveAVX2FMA

// dotAVX2 returns Σ a[i]·b[i] for i < n: 8-wide FMA lanes in 4 ymm
// accumulators (32 elements a step), then 8-wide steps, a horizontal sum and
// a scalar FMA tail. It ends with VZEROUPPER. Implemented in dot_amd64.s.
//
//go:noescape
func dotAVX2(a, b *float32, n int) float32

// dotFast returns Σ a[i]·b[i] (len(a) == len(b), checked by the caller) with
// the assembly kernel where the CPU has AVX2 and FMA. The summation order
// differs from Dot's, so results agree to rounding, not bit for bit.
func dotFast(a, b []float32) float32 {
	if !useAsm || len(a) == 0 {
		return dotRef(a, b)
	}
	return dotAVX2(&a[0], &b[0], len(a))
}
