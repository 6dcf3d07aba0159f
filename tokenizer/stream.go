package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// StreamDecoder turns ids that arrive one at a time into text that never ends
// in the middle of a UTF-8 character: a token that carries only part of a
// character (byte-level BPE, byte fallback) is held back until the rest arrives.
//
// It decodes a short window of recent ids and emits the difference, as HF
// tokenizers' DecodeStream does, so tokenizers whose decoders look at context
// (SentencePiece's leading-space rule, WordPiece's "##") stream correctly too.
type StreamDecoder struct {
	tok  Tokenizer
	opts DecodeOptions
	ids  []int
	// prefix and read index ids: ids[prefix:read] were already emitted and
	// serve as context for what follows.
	prefix, read int
}

// NewStreamDecoder returns a decoder over tok.
func NewStreamDecoder(tok Tokenizer, opts DecodeOptions) *StreamDecoder {
	return &StreamDecoder{tok: tok, opts: opts}
}

// Add appends one id and returns the text that is now complete, possibly "".
func (d *StreamDecoder) Add(id int) (string, error) {
	d.ids = append(d.ids, id)
	prev, err := d.tok.Decode(d.ids[d.prefix:d.read], d.opts)
	if err != nil {
		return "", err
	}
	cur, err := d.tok.Decode(d.ids[d.prefix:], d.opts)
	if err != nil {
		return "", err
	}
	if len(cur) <= len(prev) || !strings.HasPrefix(cur, prev) || incompleteTail(cur) {
		return "", nil
	}
	out := cur[len(prev):]
	d.prefix, d.read = d.read, len(d.ids)
	// Keep the window short: drop ids that no longer serve as context.
	if d.prefix > 64 {
		d.ids = append(d.ids[:0], d.ids[d.prefix:]...)
		d.read -= d.prefix
		d.prefix = 0
	}
	return out, nil
}

// Flush returns whatever is still held back (an incomplete character decodes
// to U+FFFD) and resets the decoder.
func (d *StreamDecoder) Flush() (string, error) {
	prev, err := d.tok.Decode(d.ids[d.prefix:d.read], d.opts)
	if err != nil {
		return "", err
	}
	cur, err := d.tok.Decode(d.ids[d.prefix:], d.opts)
	if err != nil {
		return "", err
	}
	d.ids, d.prefix, d.read = d.ids[:0], 0, 0
	if len(cur) > len(prev) && strings.HasPrefix(cur, prev) {
		return cur[len(prev):], nil
	}
	return "", nil
}

// incompleteTail reports whether s ends in U+FFFD, the mark a decoder leaves
// for a character whose remaining bytes have not arrived yet.
func incompleteTail(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r == utf8.RuneError
}
