// Package tensor holds the element types of model weights and activations
// and their conversions, at the bottom of the runtime.
//
// Today it has decoders of little-endian f32/f16/bf16 bytes, a zero-copy
// float32 view of aligned bytes, and IEEE 754 binary16 conversions as ggml's
// ggml_fp16_to_fp32 / ggml_fp32_to_fp16 do them (round to nearest even,
// NaN and Inf kept). Shapes, strides and views come later; the math lives in
// package kernels, block-quantized formats in package quant.
//
// Reference: IEEE 754-2008, section 3.6 (binary16).
package tensor
