// Package llama2c reads the files of Andrej Karpathy's llama2.c: the legacy
// (version 0) model checkpoint (.bin) written by export.py's legacy_export,
// and the tokenizer file (tokNNN.bin) written by tokenizer.py's export.
//
// Checkpoint layout, as run.c's read_checkpoint and memory_map_weights read
// it (all little-endian): a header of 7 int32 — dim, hidden_dim, n_layers,
// n_heads, n_kv_heads, vocab_size (negative when the classifier is not shared
// with the token embedding), seq_len — then float32 arrays in this order:
// token_embedding [vocab, dim], rms_att [layers, dim], wq [layers, dim, dim],
// wk and wv [layers, kvDim, dim], wo [layers, dim, dim], rms_ffn
// [layers, dim], w1 [layers, hidden, dim], w2 [layers, dim, hidden], w3
// [layers, hidden, dim], rms_final [dim], the unused freq_cis_real and
// freq_cis_imag [seq_len, head_size/2] each (skipped), and wcls [vocab, dim]
// when not shared. Matrices are row-major [out, in].
//
// Tokenizer layout (run.c's build_tokenizer): max_token_length int32, then
// per token a float32 score, an int32 byte length and the bytes. The file
// does not store the token count: it is the model's vocab_size. Spaces are
// stored as ' ' (tokenizer.py replaces SentencePiece's U+2581), the
// byte-fallback pieces as "<0xXX>", and ids 0, 1, 2 are <unk>, "\n<s>\n" and
// "\n</s>\n". [Vocab.Tokenizer] turns the file back into the SentencePiece
// BPE vocabulary it was exported from and tokenizes with tokenizer/spm, which
// encodes as llama2.c's encode and llama.cpp's SPM tokenizer do: a dummy space
// in front, characters looked up one by one with <0xXX> byte fallback, then
// repeated merging of the adjacent pair whose concatenation has the best
// score.
//
// Every size read from a file is checked against the bytes that are left
// before anything is allocated: a hostile or truncated file gives an error
// naming the field and its offset, never a panic or a huge allocation.
//
// Reference: github.com/karpathy/llama2.c run.c, export.py (legacy_export)
// and tokenizer.py.
package llama2c
