//go:build !amd64 || purego

package kernels

import (
	"fmt"

	"github.com/llmpipe/llmpipe/tensor"
)

// haveHalfAsm is false: this build has no assembly kernels, and F16/BF16
// matrix products use the references of halfdot.go.
const haveHalfAsm = false

// convertRowF16 sets dst to the little-endian binary16 encoding of x, as
// quant.Quantize(quant.F16, x, dst) does. len(dst) must be 2·len(x).
func convertRowF16(dst []byte, x []float32) {
	if len(dst) != 2*len(x) {
		panic(fmt.Sprintf("kernels: convertRowF16 of %d values into %d bytes", len(x), len(dst)))
	}
	for i, v := range x {
		h := tensor.F32ToF16(v)
		dst[2*i], dst[2*i+1] = byte(h), byte(h>>8)
	}
}

// f32ToF16Halves sets dst[i] = tensor.F32ToF16(x[i]) (len(dst) ≥ len(x)).
func f32ToF16Halves(dst []uint16, x []float32) {
	for i, v := range x {
		dst[i] = tensor.F32ToF16(v)
	}
}

// convertRowBF16 sets dst to the little-endian bfloat16 encoding of x, as
// quant.Quantize(quant.BF16, x, dst) does. len(dst) must be 2·len(x).
func convertRowBF16(dst []byte, x []float32) {
	if len(dst) != 2*len(x) {
		panic(fmt.Sprintf("kernels: convertRowBF16 of %d values into %d bytes", len(x), len(dst)))
	}
	for i, v := range x {
		h := tensor.F32ToBF16(v)
		dst[2*i], dst[2*i+1] = byte(h), byte(h>>8)
	}
}
