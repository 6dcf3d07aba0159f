package quant

import "github.com/llmpipe/llmpipe/tensor"

// FP16ToFP32 converts IEEE binary16 bits to a float32 exactly, as ggml's
// ggml_compute_fp16_to_fp32; it is [tensor.F16ToF32], named as ggml names it.
func FP16ToFP32(h uint16) float32 { return tensor.F16ToF32(h) }

// FP32ToFP16 converts a float32 to binary16 bits as ggml's
// ggml_compute_fp32_to_fp16 (ties to even, NaN to 0x7E00); it is
// [tensor.F32ToF16].
func FP32ToFP16(f float32) uint16 { return tensor.F32ToF16(f) }

// BF16ToFP32 converts bfloat16 bits to a float32 exactly; it is
// [tensor.BF16ToF32].
func BF16ToFP32(h uint16) float32 { return tensor.BF16ToF32(h) }

// FP32ToBF16 converts a float32 to bfloat16 bits as ggml_compute_fp32_to_bf16;
// it is [tensor.F32ToBF16].
func FP32ToBF16(f float32) uint16 { return tensor.F32ToBF16(f) }
