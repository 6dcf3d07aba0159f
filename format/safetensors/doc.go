// Package safetensors reads and writes the safetensors format of Hugging
// Face (https://github.com/huggingface/safetensors, the Rust reference
// crate's format description): an 8-byte little-endian header length N, N
// bytes of JSON header {"name": {"dtype", "shape", "data_offsets"},
// "__metadata__": {string: string}}, then the tensor data, whose offsets are
// relative to the end of the header.
//
// In the pipeline it sits beside format/gguf: model/llama loads
// LlamaForCausalLM checkpoints through it. Reading checks every tensor as the
// reference does (a known dtype, shape·dtype size equal to its byte span,
// spans contiguous, in order and exactly covering the data) before any
// tensor is used, caps the header at [MaxHeaderSize], and never allocates
// from an unchecked size. Open maps the file where it can (tensor bytes are
// views of the mapping) and falls back to ReadAt. OpenCheckpoint also reads
// sharded checkpoints through model.safetensors.index.json's weight_map.
// Write produces files the reference loads: header padded with spaces to a
// multiple of 8 bytes, tensors sorted by dtype (largest alignment first) then
// name, contiguous.
//
// It must not interpret tensors (no dtype conversion beyond exposing bytes):
// that belongs to tensor/ and the model packages.
package safetensors
