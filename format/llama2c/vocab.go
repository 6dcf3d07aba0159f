package llama2c

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/llmpipe/llmpipe/tokenizer/spm"
)

// Token is one entry of a tokenizer file.
type Token struct {
	// Text is the token's bytes as stored: ' ' for a space, "<0xXX>" for a
	// byte-fallback piece.
	Text string
	// Score is the merge priority: higher merges first.
	Score float32
}

// Vocab is a llama2.c tokenizer file.
type Vocab struct {
	// MaxTokenLength is the header's max_token_length; no token is longer.
	MaxTokenLength int
	// Tokens are the entries; a token's id is its index.
	Tokens []Token
}

// Ids llama2.c's run.c hard-codes.
const (
	UnkID = 0 // <unk>
	BOSID = 1 // <s>, stored as "\n<s>\n"
	EOSID = 2 // </s>, stored as "\n</s>\n"
)

// OpenVocab reads the tokenizer file at path; vocabSize is the model's
// (the file does not store it), or 0 to read tokens up to the end of the file.
func OpenVocab(path string, vocabSize int) (*Vocab, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("llama2c: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("llama2c: %w", err)
	}
	v, err := ReadVocab(f, st.Size(), vocabSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// ReadVocab reads a tokenizer file of size bytes from r. With vocabSize > 0
// it reads exactly that many tokens (llama2.c reads the model's vocab_size
// and ignores the rest; here any rest is an error); with 0 it reads tokens up
// to the end of the file. Every length is checked against the bytes left
// and against max_token_length.
func ReadVocab(r io.ReaderAt, size int64, vocabSize int) (*Vocab, error) {
	if vocabSize < 0 || vocabSize > MaxDim {
		return nil, fmt.Errorf("llama2c: tokenizer: vocabulary size %d out of range [0, %d]", vocabSize, MaxDim)
	}
	if size < 4 || size > 1<<30 {
		return nil, fmt.Errorf("llama2c: tokenizer file of %d bytes (want 4 bytes to 1 GiB)", size)
	}
	b := make([]byte, size)
	if n, err := r.ReadAt(b, 0); n < len(b) {
		return nil, fmt.Errorf("llama2c: reading the tokenizer file: %w", err)
	}
	maxLen := int32(binary.LittleEndian.Uint32(b))
	if maxLen <= 0 {
		return nil, fmt.Errorf("llama2c: tokenizer: max_token_length = %d at offset 0 is not positive", maxLen)
	}
	if vocabSize > 0 && int64(vocabSize)*8 > size-4 {
		return nil, fmt.Errorf("llama2c: tokenizer: %d tokens need at least %d bytes after the header, the file has %d", vocabSize, int64(vocabSize)*8, size-4)
	}
	v := &Vocab{MaxTokenLength: int(maxLen)}
	if vocabSize > 0 {
		v.Tokens = make([]Token, 0, vocabSize)
	}
	off := 4
	for vocabSize == 0 && off < len(b) || len(v.Tokens) < vocabSize {
		id := len(v.Tokens)
		if len(b)-off < 8 {
			return nil, fmt.Errorf("llama2c: tokenizer: token %d at offset %d: %d bytes left, the score and length need 8", id, off, len(b)-off)
		}
		score := math.Float32frombits(binary.LittleEndian.Uint32(b[off:]))
		n := int32(binary.LittleEndian.Uint32(b[off+4:]))
		switch {
		case n < 0 || n > maxLen:
			return nil, fmt.Errorf("llama2c: tokenizer: token %d: length %d at offset %d is outside [0, max_token_length %d]", id, n, off+4, maxLen)
		case int(n) > len(b)-off-8:
			return nil, fmt.Errorf("llama2c: tokenizer: token %d: length %d at offset %d, but %d bytes are left", id, n, off+4, len(b)-off-8)
		}
		off += 8
		v.Tokens = append(v.Tokens, Token{Text: string(b[off : off+int(n)]), Score: score})
		off += int(n)
	}
	if off != len(b) {
		return nil, fmt.Errorf("llama2c: tokenizer: %d trailing bytes at offset %d after %d tokens", len(b)-off, off, len(v.Tokens))
	}
	return v, nil
}

// Pieces returns the SentencePiece vocabulary the file was exported from:
// ids 0, 1, 2 become <unk> (Unknown), <s> and </s> (Control), "<0xXX>" tokens
// Byte pieces, empty tokens Control, and in every other token ' ' becomes
// U+2581 (▁). This is what llama.cpp's convert_llama2c_to_ggml does.
func (v *Vocab) Pieces() []spm.Piece {
	pieces := make([]spm.Piece, len(v.Tokens))
	for i, t := range v.Tokens {
		p := spm.Piece{Text: t.Text, Score: t.Score, Type: spm.Normal}
		switch {
		case i == UnkID:
			p.Text, p.Type = "<unk>", spm.Unknown
		case i == BOSID:
			p.Text, p.Type = "<s>", spm.Control
		case i == EOSID:
			p.Text, p.Type = "</s>", spm.Control
		case t.Text == "":
			p.Type = spm.Control
		case isBytePiece(t.Text):
			p.Type = spm.Byte
		default:
			p.Text = strings.ReplaceAll(t.Text, " ", "\u2581")
		}
		pieces[i] = p
	}
	return pieces
}

// isBytePiece reports whether s is "<0xXX>" with upper-case hex digits.
func isBytePiece(s string) bool {
	if len(s) != 6 || s[:3] != "<0x" || s[5] != '>' {
		return false
	}
	for _, c := range []byte(s[3:5]) {
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Tokenizer builds a tokenizer that encodes like llama2.c's encode (and
// llama.cpp's SPM tokenizer on the converted GGUF): BPE by piece score over
// [Vocab.Pieces], a dummy space prefix, spaces escaped to ▁, byte fallback
// when all 256 byte pieces are present, BOS (id 1) added by
// EncodeOptions.AddSpecial, EOS id 2.
func (v *Vocab) Tokenizer() (*spm.Tokenizer, error) {
	if len(v.Tokens) <= EOSID {
		return nil, fmt.Errorf("llama2c: tokenizer: %d tokens; ids 0, 1, 2 (<unk>, <s>, </s>) are required", len(v.Tokens))
	}
	pieces := v.Pieces()
	nBytes := 0
	for _, p := range pieces {
		if p.Type == spm.Byte {
			nBytes++
		}
	}
	t, err := spm.New(pieces, spm.Options{
		Model:             spm.BPE,
		AddDummyPrefix:    true,
		EscapeWhitespaces: true,
		ByteFallback:      nBytes >= 256,
		AddBOS:            true,
		BOS:               BOSID,
		EOS:               EOSID,
		UNK:               UnkID,
		PAD:               -1,
	})
	if err != nil {
		return nil, fmt.Errorf("llama2c: tokenizer: %w", err)
	}
	return t, nil
}
