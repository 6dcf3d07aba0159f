// Package builtin is llmpipe's own tokenizer: a byte-level BPE (GPT-2
// alphabet and split pattern, vocabulary 4096 including "<|endoftext|>")
// trained by tokenizer/bpetrain on TinyShakespeare plus the first MiB of a
// TinyStories sample. It is the tokenizer our pretraining uses and the
// default of `llmpipe tokenize`.
//
// The tokenizer.json is embedded in the binary and loaded through
// tokenizer/hf, so it behaves exactly as Hugging Face tokenizers does with
// the same file. gen.go regenerates it (`go generate ./tokenizer/builtin`);
// testdata/PROVENANCE.md records the corpora, their sha256 and the command.
//
// References: Radford et al. 2019 (GPT-2 byte-level BPE); Sennrich et al.
// 2016 (BPE); Hugging Face tokenizers' tokenizer.json format.
package builtin
