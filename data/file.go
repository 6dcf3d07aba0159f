package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/llmpipe/llmpipe/internal/mmap"
)

// Magic is the first 8 bytes of a token file.
const Magic = "LLMPTOK\x00"

// Version is the token file format version this package reads and writes.
const Version = 1

// HeaderSize is the size of a token file's header in bytes.
const HeaderSize = 32

// maxVocab bounds the vocabulary size a header may claim.
const maxVocab = 1 << 31

// ErrCorrupt is wrapped by every error about a malformed token file.
var ErrCorrupt = errors.New("corrupt token file")

// Header is a token file's header.
type Header struct {
	Width int   // bytes per id: 2 (uint16) or 4 (uint32)
	Vocab int   // vocabulary size: every id is < Vocab
	Count int64 // number of ids
}

// WidthFor returns the id width a vocabulary of size vocab needs: 2 bytes
// up to 65536 ids, else 4.
func WidthFor(vocab int) int {
	if vocab <= 1<<16 {
		return 2
	}
	return 4
}

// ParseHeader decodes and checks the header at the start of b (at least
// HeaderSize bytes). It does not look at the ids.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("data: %w: %d bytes, shorter than the %d-byte header", ErrCorrupt, len(b), HeaderSize)
	}
	if string(b[:8]) != Magic {
		return Header{}, fmt.Errorf("data: %w: magic %q, want %q", ErrCorrupt, b[:8], Magic)
	}
	le := binary.LittleEndian
	if v := le.Uint32(b[8:]); v != Version {
		return Header{}, fmt.Errorf("data: %w: version %d, this build reads version %d", ErrCorrupt, v, Version)
	}
	w := le.Uint32(b[12:])
	if w != 2 && w != 4 {
		return Header{}, fmt.Errorf("data: %w: id width %d bytes, want 2 or 4", ErrCorrupt, w)
	}
	v := le.Uint32(b[16:])
	if v == 0 || v > maxVocab || (w == 2 && v > 1<<16) {
		return Header{}, fmt.Errorf("data: %w: vocabulary size %d does not fit %d-byte ids", ErrCorrupt, v, w)
	}
	if r := le.Uint32(b[20:]); r != 0 {
		return Header{}, fmt.Errorf("data: %w: reserved field is %d, want 0", ErrCorrupt, r)
	}
	n := le.Uint64(b[24:])
	if n > 1<<62/uint64(w) {
		return Header{}, fmt.Errorf("data: %w: count %d is too large", ErrCorrupt, n)
	}
	return Header{Width: int(w), Vocab: int(v), Count: int64(n)}, nil
}

// appendHeader appends h's encoding to b.
func appendHeader(b []byte, h Header) []byte {
	le := binary.LittleEndian
	b = append(b, Magic...)
	b = le.AppendUint32(b, Version)
	b = le.AppendUint32(b, uint32(h.Width))
	b = le.AppendUint32(b, uint32(h.Vocab))
	b = le.AppendUint32(b, 0)
	return le.AppendUint64(b, uint64(h.Count))
}

// Tokens is a token file's ids, memory-mapped where possible. It is
// read-only and safe for concurrent use until Close.
type Tokens struct {
	Header
	ids   []byte // Count ids of Width bytes
	close func() error
}

// Source is a sequence of token ids: *Tokens or Slice.
type Source interface {
	// Len is the number of ids.
	Len() int
	// Read copies ids off, off+1, … into dst; off+len(dst) ≤ Len().
	Read(dst []int, off int)
}

// Slice is a Source over ids in memory.
type Slice []int

// Len implements Source.
func (s Slice) Len() int { return len(s) }

// Read implements Source.
func (s Slice) Read(dst []int, off int) { copy(dst, s[off:off+len(dst)]) }

// Open opens the token file at path, mapping it into memory (reading it
// where mapping is unavailable), and checks its header against its size.
// Ids are checked against the vocabulary size as they are read
// (CheckIDs checks all of them at once).
func Open(path string) (*Tokens, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("data: %w", err)
	}
	b, unmap, err := mmap.File(fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("data: %s: %w", path, err)
	}
	if b == nil {
		b = make([]byte, st.Size())
		if _, err := io.ReadFull(fh, b); err != nil {
			fh.Close()
			return nil, fmt.Errorf("data: %s: %w", path, err)
		}
	}
	fh.Close()
	t, err := Decode(b)
	if err != nil {
		if unmap != nil {
			unmap()
		}
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	t.close = unmap
	return t, nil
}

// Decode reads a token file held in b (which Tokens then uses in place):
// the header, checked against len(b).
func Decode(b []byte) (*Tokens, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return nil, err
	}
	want := uint64(h.Count) * uint64(h.Width)
	if have := uint64(len(b) - HeaderSize); have != want {
		return nil, fmt.Errorf("data: %w: header says %d ids of %d bytes (%d bytes), the file holds %d bytes after the header (truncated or padded)", ErrCorrupt, h.Count, h.Width, want, have)
	}
	if int64(int(h.Count)) != h.Count {
		return nil, fmt.Errorf("data: %w: %d ids do not fit in memory", ErrCorrupt, h.Count)
	}
	return &Tokens{Header: h, ids: b[HeaderSize:]}, nil
}

// Close releases the mapping; t must not be used afterwards.
func (t *Tokens) Close() error {
	if t.close == nil {
		return nil
	}
	c := t.close
	t.close, t.ids = nil, nil
	return c()
}

// Len implements Source.
func (t *Tokens) Len() int { return int(t.Count) }

// At returns id i (0 ≤ i < Len()).
func (t *Tokens) At(i int) int {
	if t.Width == 2 {
		return int(binary.LittleEndian.Uint16(t.ids[2*i:]))
	}
	return int(binary.LittleEndian.Uint32(t.ids[4*i:]))
}

// Read implements Source. An id outside the vocabulary (a corrupt file:
// CheckIDs finds them up front) is clamped to Vocab-1 rather than handed
// to a model as an out-of-range index.
func (t *Tokens) Read(dst []int, off int) {
	for i := range dst {
		id := t.At(off + i)
		if id >= t.Vocab {
			id = t.Vocab - 1
		}
		dst[i] = id
	}
}

// CheckIDs returns an error naming the first id that is not below the
// vocabulary size.
func (t *Tokens) CheckIDs() error {
	for i := 0; i < t.Len(); i++ {
		if id := t.At(i); id >= t.Vocab {
			return fmt.Errorf("data: %w: id %d at position %d is beyond the vocabulary size %d", ErrCorrupt, id, i, t.Vocab)
		}
	}
	return nil
}
