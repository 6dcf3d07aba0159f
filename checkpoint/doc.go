// Package checkpoint saves and restores training state: named float32
// tensors (parameters, optimizer moments) with JSON metadata (the model
// config, step, RNG state, anything else) in one safetensors file
// (huggingface/safetensors format: an 8-byte header length, a JSON header,
// the tensor data; the JSON goes into the header's __metadata__).
//
// Saving is atomic: the file is written to a temporary file in the same
// folder, fsynced, renamed over the final name and the folder fsynced, so a
// crash or kill -9 at any moment leaves either the previous checkpoint or
// the new one under the final name, never a partial file (a save killed
// midway leaves only a hidden .NAME.tmp* file beside it, never read). Each file also
// records the sha256 of its tensor data, which Load checks, so a file
// damaged after the fact is an error and not silently wrong weights.
//
// Loading compares the stored config with the caller's and refuses a
// checkpoint of another configuration with an error naming the fields that
// differ.
//
// The package knows nothing of models or optimizers: callers decide the
// tensor names and what goes into the metadata.
package checkpoint
