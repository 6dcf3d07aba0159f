// Package quant implements ggml's tensor storage types: the plain types F32,
// F16 and BF16 and the GGUF block-quantized types Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0, Q8_1 and the k-quants Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K.
//
// It follows ggml's reference C code (github.com/ggml-org/ggml):
// ggml/src/ggml-common.h for the block layouts, ggml/src/ggml-quants.c for
// dequantize_row_* and quantize_row_*_ref, and ggml/src/ggml-impl.h for the
// half-precision conversions (ggml_compute_fp32_to_fp16 and friends). The
// code here is a re-implementation in plain Go, written to give results
// bit-identical to that C compiled under ISO C floating-point rules (every
// operation rounded to float32, no fused multiply-add contraction); the
// tests hold it to bytes produced by independent tools. ggml built with FMA
// contraction (GCC's default -ffp-contract=fast with -march=native) gives
// different bytes from the Q2_K, Q4_K, Q5_K and Q6_K quantizers in a few
// percent of super-blocks; the dequantizers and the other quantizers do not
// depend on it.
//
// All multi-byte fields are little-endian, as GGUF stores them. A block of
// BlockSize elements takes TypeSize bytes; a row of n elements (n a multiple
// of BlockSize) takes RowSize(n) bytes.
//
// Float-to-integer conversions that are undefined in C for NaN or
// out-of-range values (possible only on non-finite input) are given the x86
// behaviour (cvttss2si: 0x80000000, then truncation to the narrower type), so
// Quantize is deterministic and never panics on any input.
package quant
