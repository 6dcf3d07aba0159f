package train

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// ByteTokenizer maps every byte to its own id (256 ids, no specials).
type ByteTokenizer struct{}

// Encode implements tokenizer.Tokenizer.
func (ByteTokenizer) Encode(text string, _ tokenizer.EncodeOptions) ([]int, error) {
	ids := make([]int, len(text))
	for i := 0; i < len(text); i++ {
		ids[i] = int(text[i])
	}
	return ids, nil
}

// Decode implements tokenizer.Tokenizer.
func (ByteTokenizer) Decode(ids []int, _ tokenizer.DecodeOptions) (string, error) {
	b := make([]byte, len(ids))
	for i, id := range ids {
		if id < 0 || id > 255 {
			return "", fmt.Errorf("train: byte id %d: %w", id, tokenizer.ErrUnknownID)
		}
		b[i] = byte(id)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

// VocabSize implements tokenizer.Tokenizer.
func (ByteTokenizer) VocabSize() int { return 256 }

// Specials implements tokenizer.Tokenizer.
func (ByteTokenizer) Specials() tokenizer.Specials { return tokenizer.NoSpecials() }

// CharTokenizer is nanoGPT's character-level vocabulary
// (data/shakespeare_char/prepare.py): the sorted distinct characters of the
// corpus, id = index.
type CharTokenizer struct {
	Chars []rune
	index map[rune]int
}

// NewCharTokenizer returns the vocabulary of the characters of texts.
func NewCharTokenizer(texts ...string) *CharTokenizer {
	seen := map[rune]bool{}
	for _, t := range texts {
		for _, r := range t {
			seen[r] = true
		}
	}
	chars := make([]rune, 0, len(seen))
	for r := range seen {
		chars = append(chars, r)
	}
	slices.Sort(chars)
	return CharTokenizerOf(chars)
}

// CharTokenizerOf returns the tokenizer of a saved vocabulary.
func CharTokenizerOf(chars []rune) *CharTokenizer {
	t := &CharTokenizer{Chars: chars, index: make(map[rune]int, len(chars))}
	for i, r := range chars {
		t.index[r] = i
	}
	return t
}

// Encode implements tokenizer.Tokenizer; a character outside the vocabulary
// is an error.
func (t *CharTokenizer) Encode(text string, _ tokenizer.EncodeOptions) ([]int, error) {
	ids := make([]int, 0, utf8.RuneCountInString(text))
	for i, r := range text {
		id, ok := t.index[r]
		if !ok {
			return nil, fmt.Errorf("train: character %q at byte %d is not in the %d-character vocabulary", r, i, len(t.Chars))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// Decode implements tokenizer.Tokenizer.
func (t *CharTokenizer) Decode(ids []int, _ tokenizer.DecodeOptions) (string, error) {
	var sb strings.Builder
	for _, id := range ids {
		if id < 0 || id >= len(t.Chars) {
			return "", fmt.Errorf("train: char id %d: %w", id, tokenizer.ErrUnknownID)
		}
		sb.WriteRune(t.Chars[id])
	}
	return sb.String(), nil
}

// VocabSize implements tokenizer.Tokenizer.
func (t *CharTokenizer) VocabSize() int { return len(t.Chars) }

// Specials implements tokenizer.Tokenizer.
func (t *CharTokenizer) Specials() tokenizer.Specials { return tokenizer.NoSpecials() }

// Encode tokenizes texts (one per corpus file) one after another into a
// token stream, checking every id against the tokenizer's vocabulary.
func Encode(tok tokenizer.Tokenizer, texts ...string) (Tokens, error) {
	var out Tokens
	v := tok.VocabSize()
	for i, t := range texts {
		ids, err := tok.Encode(t, tokenizer.EncodeOptions{})
		if err != nil {
			return nil, fmt.Errorf("train: tokenizing corpus %d: %w", i, err)
		}
		for _, id := range ids {
			if id < 0 || id >= v {
				return nil, fmt.Errorf("train: tokenizer returned id %d outside its vocabulary [0, %d)", id, v)
			}
			out = append(out, int32(id))
		}
	}
	return out, nil
}
