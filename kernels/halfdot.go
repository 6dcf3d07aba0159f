package kernels

import (
	"encoding/binary"

	"github.com/llmpipe/llmpipe/quant"
	"github.com/llmpipe/llmpipe/tensor"
)

// dotF16Ref is ggml's generic ggml_vec_dot_f16: each product of two fp16
// values is formed in float32, and the products are summed in float64
// (ggml_float) in index order.
//
//	w, x: [n] fp16, little-endian
func dotF16Ref(w, x []byte, n int) float32 {
	var sum float64
	for i := 0; i < n; i++ {
		a := tensor.F16ToF32(binary.LittleEndian.Uint16(w[2*i:]))
		b := tensor.F16ToF32(binary.LittleEndian.Uint16(x[2*i:]))
		sum += float64(a * b)
	}
	return float32(sum)
}

// dotBF16Ref is ggml's generic ggml_vec_dot_bf16: the products of two bf16
// values, formed in float32, summed in float64 in index order.
//
//	w, x: [n] bf16, little-endian
func dotBF16Ref(w, x []byte, n int) float32 {
	var sum float64
	for i := 0; i < n; i++ {
		a := tensor.BF16ToF32(binary.LittleEndian.Uint16(w[2*i:]))
		b := tensor.BF16ToF32(binary.LittleEndian.Uint16(x[2*i:]))
		sum += float64(a * b)
	}
	return float32(sum)
}

func init() {
	// ggml converts the activations of an F16 (BF16) matrix product to F16
	// (BF16) first: type_traits_cpu[GGML_TYPE_F16].vec_dot_type.
	RegisterQKernel(quant.F16, QKernel{Act: quant.F16, Ref: dotF16Ref})
	RegisterQKernel(quant.BF16, QKernel{Act: quant.BF16, Ref: dotBF16Ref})
}
