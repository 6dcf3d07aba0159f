//go:build !amd64 || purego

package kernels

// haveAVX2FMA is false: this build has no assembly kernels.
const haveAVX2FMA = false

// useAsm is false: this build has no assembly kernels.
var useAsm = false

// dotFast is the plain-Go reference where no assembly kernel exists.
func dotFast(a, b []float32) float32 { return dotRef(a, b) }
