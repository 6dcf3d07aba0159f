//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// haveF16C reports whether the CPU converts half floats (VCVTPH2PS); the
// f16 KV-cache kernels need it on top of AVX2 and FMA.
var haveF16C = cpu.X86.HasF16C

// attnScoresF32 sets sc[p] = scale·Σ_{i<hd} q[i]·k[p·stride+i] for p < n
// and returns the largest (NaNs may be skipped); hd is a positive multiple of
// 8. Implemented in attention_amd64.s.
//
//go:noescape
func attnScoresF32(sc, q, k *float32, stride, n, hd int, scale float32) float32

// attnScoresF16 is attnScoresF32 with half-float keys. Implemented in
// attention_amd64.s.
//
//go:noescape
func attnScoresF16(sc, q *float32, k *uint16, stride, n, hd int, scale float32) float32

// attnAccumF32 adds Σ_{p<n} w[p]·v[p·stride+i] to out[i] for i < hd (a
// positive multiple of 8), in order of p with FMA. Implemented in
// attention_amd64.s.
//
//go:noescape
func attnAccumF32(out, w, v *float32, stride, n, hd int)

// attnAccumF16 is attnAccumF32 with half-float values. Implemented in
// attention_amd64.s.
//
//go:noescape
func attnAccumF16(out, w *float32, v *uint16, stride, n, hd int)

// attnExpSum sets x[i] = exp(x[i]-m) for i < n (a multiple of 8) with an
// AVX2 polynomial exp (within a few ulp of math.Exp; 0 below exp(-87)) and
// returns Σ x[i] in float64. Implemented in attention_amd64.s.
//
//go:noescape
func attnExpSum(x *float32, n int, m float32) float64

// swigluAVX2 sets out[i] = SiLU(gate[i])·up[i] for i < n (a multiple of 8)
// with attnExpSum's exp. Implemented in attention_amd64.s.
//
//go:noescape
func swigluAVX2(out, gate, up *float32, n int)
