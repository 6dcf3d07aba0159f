// Package gguf reads and writes the metadata and tensor index of GGUF files,
// the single-file model format of ggml and llama.cpp.
//
// It follows the format as specified in ggml's docs/gguf.md
// (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md) and as
// implemented by ggml/src/gguf.cpp: a little-endian header (magic "GGUF",
// version 2 or 3, tensor count, metadata count), the metadata key/value pairs
// (13 value types, arrays of any type including nested arrays), the tensor
// infos (name, dimensions, ggml type, offset relative to the data section)
// and the data section, which starts at the next multiple of
// general.alignment (32 when the key is absent).
//
// Read parses everything but the tensor data. The returned [File] keeps the
// io.ReaderAt it read from, so a later layer can memory-map or read a tensor
// from [File.DataOffset] + [TensorInfo.Offset] without parsing again.
//
// Every count and length in the file is checked against the bytes that are
// left before anything is allocated, so a hostile or truncated file fails
// fast with an error naming the key or tensor and the offset; Read never
// panics. Version 1 files (32-bit counts) and big-endian files are rejected
// with a clear error.
//
// [OpenMapped] memory-maps the file (linux; a plain read elsewhere) and
// [File.TensorBytes] returns a tensor's bytes by name, its extent checked
// against the file size again, so the runtime reads weights without copying.
//
// [Write] produces the header, metadata and tensor infos (and the padding up
// to the data section) of a v3 file that llama.cpp loads; the caller appends
// the tensor data.
//
// This package is a leaf: it imports only the standard library, and knows
// nothing about models or tokenizers.
package gguf
