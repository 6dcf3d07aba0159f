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

// dot3AVX2 sets out[i] = Σ_{j<n} w[i·stride+j]·x[j] for i = 0, 1, 2, each
// row bit-identical to dotAVX2 (same order), loading x once for three rows.
// Implemented in dot3_amd64.s.
//
//go:noescape
func dot3AVX2(w *float32, stride int, x *float32, n int, out *float32)

// dotRows sets out[r] = dotFast(row r of w, x) for the len(out) rows of w
// ([len(out), len(x)]), three rows per assembly call where it can. Each
// element is bit-identical to dotFast, however rows are grouped.
func dotRows(out, w, x []float32) {
	cols := len(x)
	if len(w) != len(out)*cols {
		panic("kernels: dotRows: shape mismatch")
	}
	r := 0
	if useAsm && cols > 0 {
		for ; r+3 <= len(out); r += 3 {
			dot3AVX2(&w[r*cols], cols, &x[0], cols, &out[r])
		}
	}
	for ; r < len(out); r++ {
		out[r] = dotFast(w[r*cols:(r+1)*cols], x)
	}
}
