package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// Reviser is implemented by tokenizers whose Decode can change text it
// already produced for earlier ids once later ids arrive: llama.cpp's and
// HF transformers' clean_up_tokenization_spaces turns "i ' m" into "i'm"
// when the "m" comes. [StreamDecoder] holds back the text of the newest id
// for such tokenizers, so what it has emitted is never revised.
type Reviser interface {
	// RevisesText reports whether Decode may rewrite earlier text.
	RevisesText() bool
}

// StreamDecoder turns ids that arrive one at a time into text that never ends
// in the middle of a UTF-8 character: a token that carries only part of a
// character (byte-level BPE, byte fallback) is held back until the rest arrives.
//
// It decodes a short window of recent ids and emits the difference, as HF
// tokenizers' DecodeStream does, so tokenizers whose decoders look at context
// (SentencePiece's leading-space rule, WordPiece's "##") stream correctly too.
// For a [Reviser] it also holds back the newest id's text until the next id
// shows it will not change (its window then spans the whole stream: each Add
// decodes every id so far).
//
// If a decoder rewrites text that was already emitted all the same, the
// stream is not stalled and loses nothing: it starts a new window at the new
// ids, so only that rewrite (a clean-up of spaces) is missing from the output.
type StreamDecoder struct {
	tok    Tokenizer
	opts   DecodeOptions
	revise bool
	ids    []int
	// prefix indexes ids: the window ids[prefix:] is decoded as a whole, and
	// emitted is the part of its text already returned.
	prefix  int
	emitted string
}

// NewStreamDecoder returns a decoder over tok.
func NewStreamDecoder(tok Tokenizer, opts DecodeOptions) *StreamDecoder {
	r, ok := tok.(Reviser)
	return &StreamDecoder{tok: tok, opts: opts, revise: ok && r.RevisesText()}
}

// Add appends one id and returns the text that is now complete, possibly "".
func (d *StreamDecoder) Add(id int) (string, error) {
	d.ids = append(d.ids, id)
	cur, err := d.tok.Decode(d.ids[d.prefix:], d.opts)
	if err != nil {
		d.ids = d.ids[:len(d.ids)-1]
		return "", err
	}
	ready := cur
	if d.revise {
		// Only what the window without its newest id agrees on is final.
		before, err := d.tok.Decode(d.ids[d.prefix:len(d.ids)-1], d.opts)
		if err != nil {
			return "", err
		}
		ready = cur[:commonPrefix(cur, before)]
	}
	if !strings.HasPrefix(ready, d.emitted) {
		if d.revise && strings.HasPrefix(d.emitted, ready) {
			return "", nil // held back further than before; wait
		}
		// Emitted text was rewritten: restart the window at the newest id.
		d.prefix, d.emitted = len(d.ids)-1, ""
		return d.Add(d.pop())
	}
	if len(ready) == len(d.emitted) || incompleteTail(ready) {
		return "", nil
	}
	out := ready[len(d.emitted):]
	d.emitted = ready
	if !d.revise && len(ready) == len(cur) {
		d.slide()
	}
	return out, nil
}

// Prime feeds ids as context that has already been shown (a prompt): later
// Adds return only text that follows them. Text the decoder would still
// hold back (a [Reviser]'s newest id, whose text a later id could rewrite)
// counts as shown too, so none of the prompt comes out again with the first
// new id; should a later id rewrite it after all (a space clean-up), that
// rewrite alone is lost. A prompt that ends inside a UTF-8 character keeps
// the partial character pending, so the id that completes it emits it.
func (d *StreamDecoder) Prime(ids []int) error {
	for _, id := range ids {
		if _, err := d.Add(id); err != nil {
			return err
		}
	}
	cur, err := d.tok.Decode(d.ids[d.prefix:], d.opts)
	if err != nil {
		return err
	}
	if !incompleteTail(cur) && strings.HasPrefix(cur, d.emitted) {
		d.emitted = cur
	}
	return nil
}

// pop removes and returns the newest id.
func (d *StreamDecoder) pop() int {
	id := d.ids[len(d.ids)-1]
	d.ids = d.ids[:len(d.ids)-1]
	return id
}

// slide keeps the window short once all of it has been emitted: the next
// window starts at the newest id, with the ids since the last slide (at most
// a few) kept as context, as HF's prefix_offset/read_offset do.
func (d *StreamDecoder) slide() {
	keep := d.ids[d.prefix:]
	if len(keep) > 1 {
		keep = keep[len(keep)-1:]
	}
	ctx, err := d.tok.Decode(keep, d.opts)
	if err != nil || !strings.HasSuffix(d.emitted, ctx) {
		return // the context does not decode on its own the same way; keep the window
	}
	d.prefix = len(d.ids) - len(keep)
	d.emitted = ctx
	if d.prefix > 64 {
		d.ids = append(d.ids[:0], d.ids[d.prefix:]...)
		d.prefix = 0
	}
}

// Flush returns whatever is still held back (an incomplete character decodes
// to U+FFFD) and resets the decoder.
func (d *StreamDecoder) Flush() (string, error) {
	cur, err := d.tok.Decode(d.ids[d.prefix:], d.opts)
	if err != nil {
		return "", err
	}
	emitted := d.emitted
	d.ids, d.prefix, d.emitted = d.ids[:0], 0, ""
	if len(cur) > len(emitted) && strings.HasPrefix(cur, emitted) {
		return cur[len(emitted):], nil
	}
	return "", nil
}

// commonPrefix returns the length of the longest common prefix of a and b
// that ends on a character boundary of a.
func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	for n > 0 && n < len(a) && !utf8.RuneStart(a[n]) {
		n--
	}
	return n
}

// incompleteTail reports whether s ends in U+FFFD, the mark a decoder leaves
// for a character whose remaining bytes have not arrived yet.
func incompleteTail(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r == utf8.RuneError
}
