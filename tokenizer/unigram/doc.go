// Package unigram segments text with a unigram language model: among all
// ways to cut a piece of text into vocabulary pieces, it picks the one with
// the highest total score (log probability), by Viterbi over the lattice of
// pieces that start at each character (Kudo 2018, "Subword Regularization:
// Improving Neural Network Translation Models with Multiple Subword
// Candidates").
//
// The search follows SentencePiece's optimized encoder
// (unigram_model.cc, Model::EncodeOptimized) and HF tokenizers' Unigram model
// (models/unigram/model.rs, encode_optimized), which are the same algorithm:
// the best path ending at each byte position is kept, pieces are found with a
// trie, a character with no single-character piece becomes the unknown piece
// with score min_score - 10 (kUnkPenalty), and on equal scores the path
// whose last piece starts earliest wins.
//
// Two flavours differ in details, and [Options] selects them:
//
//   - HF tokenizers (Options.Types == nil): every vocabulary entry, special
//     tokens such as <pad>, </s> and <unk> included, is a candidate piece;
//     min_score is taken over the whole vocabulary; scores add up in float64;
//     a run of unknown characters is looked up again as a whole string (so
//     the text "<unk>" is the unk piece) and with byte fallback becomes one
//     <0xXX> piece per byte, each spanning the whole run.
//   - SentencePiece (Options.Types != nil): only NORMAL and USER_DEFINED
//     pieces are candidates (CONTROL, UNKNOWN, BYTE and UNUSED never come out
//     of segmentation); min_score is over NORMAL pieces; a user-defined piece
//     scores length*max_score - 0.1; scores add up in float32 as
//     SentencePiece's C++ does, so ties break the same way.
//
// HF's Unigram always fuses consecutive unknown characters into one unk
// token, and SentencePiece merges them too (sentencepiece_processor.cc) unless
// byte fallback splits them into bytes: set Options.FuseUnk to reproduce
// either.
package unigram
