// Package ggufcheck holds only tests: it checks package quant against real
// GGUF files (../shared/data/models), which it reads with format/gguf, so that
// quant itself, tests included, imports nothing from the project.
//
// stories260K-q8_0.gguf was made from stories260K.gguf by
// ../shared/peers/make_bench_model.py, whose Q8_0 quantizer is byte-identical
// to ggml's quantize_row_q8_0_ref (ggml/src/ggml-quants.c).
package ggufcheck
