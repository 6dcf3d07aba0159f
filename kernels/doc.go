// Package kernels is the math at the bottom of the runtime: plain loops over
// []float32 that a transformer's forward pass is made of.
//
// Every kernel starts as the reference version: the obvious loop, written to
// be read and to define the result. Fast versions sit next to it and are
// tested against it. So far: MatVec and MatMul run each row's dot product in
// Go assembly (dot_amd64.s: AVX2+FMA, 8-wide lanes in 4 accumulators, ggml's
// ggml_vec_dot_f32 order and reduction) where golang.org/x/sys/cpu reports
// AVX2 and FMA, and the plain-Go reference otherwise (other GOARCHes, or
// -tags purego); they agree with the reference within float32 rounding
// (Higham's γ_{n+1}·Σ|a·b| bound). MatVec, MatMul, MatMulQ8_0 and MatMulQ4_0
// split their output rows across one process-wide pool of persistent worker
// goroutines (SetThreads; default GOMAXPROCS); each row is computed whole by
// one goroutine, so results are bit-for-bit the same for any thread count. Kernels work on flat slices
// in row-major order with the shapes given in each doc comment; a slice of the
// wrong length is a programmer error and panics with the shapes.
//
// The formulas follow the papers and ggml's CPU backend (ggml-cpu/ops.cpp):
// RMSNorm (Zhang & Sennrich 2019), rotary position embedding (Su et al. 2021,
// "RoFormer"), SiLU/SwiGLU (Shazeer 2020, "GLU Variants Improve Transformer"),
// scaled dot-product attention with grouped KV heads (Vaswani et al. 2017;
// Ainslie et al. 2023, "GQA"). Sums that ggml accumulates in double (RMSNorm's
// mean square, softmax's denominator) are accumulated in float64 here too.
//
// Block-quantized matrices (blocks.go) follow ggml's formats (ggml-common.h)
// and reference kernels (ggml-quants.c quantize_row_q8_0_ref, ggml-cpu's
// ggml_vec_dot_q8_0_q8_0 and ggml_vec_dot_q4_0_q8_0 generic versions): the
// activation row is quantized to Q8_0, each block's integer dot product is
// exact, and the per-block results are scaled and summed in float32 in block
// order. The code is kept byte-identical to package quant by a test in
// cmd/llmpipe (the import table keeps kernels free of project imports).
//
// Names of dimensions: nTok (tokens in a batch), nCtx (positions in the KV
// cache), dim, headDim, nHeads, nKVHeads, rows/cols of a weight matrix.
package kernels
