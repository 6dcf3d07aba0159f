// Package wordpiece splits one pre-tokenized word into WordPiece tokens
// with greedy longest-match-first search, as BERT does (Schuster & Nakajima
// 2012, "Japanese and Korean Voice Search"; Devlin et al. 2019, BERT; Wu et
// al. 2016, GNMT), following HF tokenizers' WordPiece model
// (models/wordpiece/mod.rs) exactly:
//
//   - from the current position, the longest prefix of the rest of the word
//     that is in the vocabulary is taken; pieces after the first are looked
//     up with the continuing-subword prefix ("##") in front;
//   - if at some position no prefix matches, the whole word becomes the
//     unknown token (one token, covering the word);
//   - a word of more than MaxInputCharsPerWord characters (Unicode code
//     points, not bytes) is the unknown token without being searched.
package wordpiece
