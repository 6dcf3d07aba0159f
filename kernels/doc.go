// Package kernels is the math at the bottom of the runtime: the loops over
// []float32 (and ggml's block-quantized bytes) that a transformer's forward
// pass is made of.
//
// Every kernel starts as the reference version: the obvious loop, written to
// be read and to define the result. Fast versions sit next to it, in Go
// assembly for amd64 with AVX2+FMA (+F16C where halves are converted),
// selected at run time with golang.org/x/sys/cpu, and tests hold each one to
// its reference at many lengths, odd offsets, NaN/Inf and extreme values.
// Other GOARCHes, CPUs without AVX2, and builds with -tags purego run the
// references. Every assembly function ends with VZEROUPPER.
//
// # Matrix products
//
// MatVec and MatMul (f32) run in assembly with one 8-lane accumulator per
// output element and a fixed pairwise reduction, so that MatVec's 8-row
// kernel and MatMul's 4-row × 3-token register tile give the same bits; on
// AVX-512VL CPUs batches of 2-16 tokens (a server's decode step) run 3-row ×
// 8-token and 6-row × 4-token tiles of 24 accumulators that read each chunk
// of weights once per token group, in the same order (f32tile_amd64.s; F16
// weights converted as they are loaded); on AVX2-only CPUs such batches of
// F32, F16 and BF16 (BF16 on every CPU) run 3×4, 4×3 and 6×2 tiles of 12
// ymm accumulators, again in that order (f16tile_avx2_amd64.s). MatMulQ multiplies a matrix stored in any
// ggml type by a batch of activation rows the way ggml's CPU backend does
// (ggml-cpu.c type_traits_cpu): each activation row is first converted to
// the type's vec_dot_type (ConvertRow: Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for
// Q4_1/Q5_1, Q8_K for the k-quants, F16/BF16 for F16/BF16), then every
// output element is one vec_dot. Each weight type registers a QKernel
// (RegisterQKernel): Ref, ggml's generic vec_dot (ggml-cpu/quants.c, same
// integer and float order; checked bit for bit against ggml's own code in
// testdata/qother_vecdot.bin for Q4_1…Q5_K), and on amd64 a fast Dot that
// sums in ggml's AVX2 order (ggml-cpu/arch/x86/quants.c) plus Rows, register
// tiles of several weight rows × tokens for prompt processing whose every
// element is bit-identical to Dot. So a result depends neither on the batch
// size, nor on the tiling, nor on the thread count. On CPUs with AVX-512
// VNNI (AVX512VL) Q8_0 and Q4_0 use VPDPBUSD, whose int32 lanes equal
// ggml's VPMADDUBSW+VPMADDWD lanes, so they keep the same bits too: from 2
// tokens on, row-lane tiles with 16 weight rows in a zmm register's lanes,
// so that one scale multiply and no shuffle serve 16 rows (q8il_amd64.s).
// Without VNNI, Q8_0 batches of 2+ tokens run 2-row × 4-token tiles that
// form each of ggml's int32 lanes from two VPMADDWD of the sign-extended
// even and odd bytes (the same integers, so the same bits, for activations
// in [-127, 127], all that Q8_0 quantization makes; q8tile_avx2_amd64.s).
// Q4_K and Q6_K have AVX-512 8-token prompt kernels (VPDPWSSD) that are
// bit-identical to their AVX2 Dot.
//
// Two exceptions to "Rows = Dot", both what llama.cpp itself computes on
// x86: ggml's CPU backend repacks every Q4_0 and Q4_K weight matrix whose
// row count is a multiple of 8 (repack.cpp: block_q4_0x8, block_q4_Kx8)
// and multiplies a token with ggml_gemv_q4_0_8x8_q8_0 /
// ggml_gemv_q4_K_8x8_q8_K, which sum each block (super-block) exactly in
// int32 and then take one FMA per block: acc = fma(float32(S), dw·dx, acc),
// no horizontal sum (Q4_K: a second accumulator for the mins, subtracted at
// the end); its 4-token Q4_K gemm takes an FMA per 64 values instead, so
// llama.cpp's own Q4_K results depend on a token's place in a batch. Such
// matrices are multiplied in the gemv order here, for every token count and on
// every path (plain Go; AVX-512 VNNI row-lane tiles and 1-token kernels;
// AVX2 kernels, with row-lane tiles for batches of 2-4 tokens a call:
// 16 rows for Q4_0, q4rp_avx2_amd64.s; 8 rows for Q4_K, q4krp_avx2_amd64.s), so batched and single results still agree bit for bit
// (q4rp.go, q4krp.go). Like llama.cpp, a loaded model packs such a Q4_0
// matrix once (PackQ, on VNNI CPUs: 16-row groups, the file's size; the
// model then releases the file pages), and MatMulPacked multiplies the
// packed copy with the same bits and no per-call pack (q4pack.go). Other row counts and QKernel.Dot keep vec_dot's
// order. K-quant activations
// are quantized to Q8_K by an AVX2 quantizer byte-identical to quant's
// reference (hooked in with quant.RegisterFastQuantizer).
//
// All matrix products split their output rows across one process-wide pool
// of persistent worker goroutines (SetThreads; default GOMAXPROCS); each
// element is computed whole by one goroutine.
//
// # Attention, RoPE and the rest
//
// AttentionCached runs causal scaled dot-product attention with grouped KV
// heads (Vaswani et al. 2017; Ainslie et al. 2023, "GQA") for a batch of
// queries over a KVCache, which stores keys and values in chunks of 128
// positions, in float32 or as real fp16 halves (llama.cpp's default cache
// type), allocated as positions are used. Scores, the online softmax (its
// denominator summed in float64) and the weighted sum of V run in AVX2 with
// a polynomial exp within a few ulp of math.Exp; tokens × heads are split
// over the pool. RoPE (Su et al. 2021, "RoFormer"; normal and NeoX
// pairings, linear scaling, rope_freqs factors) takes its angles in ggml's
// order (ggml_rope_cache_init); RoPETable computes them once per forward
// pass. RMSNorm (Zhang & Sennrich 2019) and softmax accumulate in float64
// as ggml does; SwiGLU (Shazeer 2020) has an AVX2 path on the same exp.
//
// Kernels work on flat slices in row-major order with the shapes given in
// each doc comment; a slice of the wrong length is a programmer error and
// panics with the shapes. Names of dimensions: nTok (tokens in a batch),
// nCtx (positions in the KV cache), dim, headDim, nHeads, nKVHeads,
// rows/cols of a weight matrix.
package kernels
