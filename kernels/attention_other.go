//go:build !amd64 || purego

package kernels

// haveF16C is false: this build has no assembly kernels.
const haveF16C = false

// The assembly attention kernels do not exist in this build; useAsm is
// false, so these are never called.

func attnScoresF32(sc, q, k *float32, stride, n, hd int, scale float32) float32 {
	panic("kernels: no assembly")
}

func attnScoresF16(sc, q *float32, k *uint16, stride, n, hd int, scale float32) float32 {
	panic("kernels: no assembly")
}

func attnAccumF32(out, w, v *float32, stride, n, hd int) { panic("kernels: no assembly") }

func attnAccumF16(out, w *float32, v *uint16, stride, n, hd int) { panic("kernels: no assembly") }

func attnExpSum(x *float32, n int, m float32) float64 { panic("kernels: no assembly") }

func swigluAVX2(out, gate, up *float32, n int) { panic("kernels: no assembly") }
