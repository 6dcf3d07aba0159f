package data

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// Writer writes a token file: ids are appended to a temporary file next to
// the destination, and Commit fills in the count, syncs, renames it into
// place and syncs the folder. Abort (or a failed Commit) removes the
// temporary file, leaving any previous file under the final name untouched.
type Writer struct {
	path  string
	tmp   string
	vocab int
	width int
	f     *os.File
	bw    *bufio.Writer
	n     int64
	buf   [4]byte
	err   error
	done  bool
}

// Create starts a token file for ids in [0, vocab) to be committed at path.
func Create(path string, vocab int) (*Writer, error) {
	if vocab <= 0 || vocab > maxVocab {
		return nil, fmt.Errorf("data: vocabulary size %d out of range [1, %d]", vocab, maxVocab)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if err := f.Chmod(0o644); err != nil { // CreateTemp makes it 0600
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("data: %w", err)
	}
	w := &Writer{path: path, tmp: f.Name(), vocab: vocab, width: WidthFor(vocab), f: f, bw: bufio.NewWriterSize(f, 1<<16)}
	// The header's count is written by Commit; a zero count until then.
	if _, err := w.bw.Write(appendHeader(nil, Header{Width: w.width, Vocab: vocab})); err != nil {
		w.Abort()
		return nil, fmt.Errorf("data: %w", err)
	}
	return w, nil
}

// Write appends ids. An id outside [0, vocab) is an error naming it and its
// position in the file; nothing of ids is written then.
func (w *Writer) Write(ids []int) error {
	if w.err != nil {
		return w.err
	}
	for i, id := range ids {
		if id < 0 || id >= w.vocab {
			return fmt.Errorf("data: id %d at token %d is outside the vocabulary [0, %d)", id, w.n+int64(i), w.vocab)
		}
	}
	for _, id := range ids {
		if w.width == 2 {
			binary.LittleEndian.PutUint16(w.buf[:], uint16(id))
		} else {
			binary.LittleEndian.PutUint32(w.buf[:], uint32(id))
		}
		if _, err := w.bw.Write(w.buf[:w.width]); err != nil {
			w.err = fmt.Errorf("data: %w", err)
			return w.err
		}
	}
	w.n += int64(len(ids))
	return nil
}

// Count is the number of ids written so far.
func (w *Writer) Count() int64 { return w.n }

// Commit finishes the file and moves it to its final name.
func (w *Writer) Commit() error {
	if w.done {
		return fmt.Errorf("data: writer already finished")
	}
	err := w.err
	if err == nil {
		err = w.bw.Flush()
	}
	if err == nil {
		var c [8]byte
		binary.LittleEndian.PutUint64(c[:], uint64(w.n))
		_, err = w.f.WriteAt(c[:], 24)
	}
	if err == nil {
		err = w.f.Sync()
	}
	if err == nil {
		err = w.f.Close()
		w.f = nil
	}
	if err == nil {
		err = os.Rename(w.tmp, w.path)
	}
	if err != nil {
		w.Abort()
		return fmt.Errorf("data: %s: %w", w.path, err)
	}
	w.done = true
	syncDir(filepath.Dir(w.path))
	return nil
}

// Abort discards the temporary file. It is safe to call after Commit (it
// does nothing then).
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.f != nil {
		w.f.Close()
	}
	os.Remove(w.tmp)
}

// syncDir fsyncs a folder so a rename in it is durable (best effort: not
// every platform can sync a folder).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Progress is reported while a corpus is tokenized.
type Progress struct {
	BytesRead int64 // corpus bytes tokenized so far
	Tokens    int64 // ids written so far
}

// Options controls TokenizeFiles and Tokenize.
type Options struct {
	// Separator ids are written after each input (for example the
	// tokenizer's end-of-text id, so documents do not run together); nil
	// writes none.
	Separator []int
	// ChunkSize is how many bytes are encoded at a time (0: 1 MiB): each
	// chunk is extended to the end of its line and encoded with one Encode
	// call. Only a pre-token that would span a chunk boundary (a whitespace
	// run across a line break) or a tokenizer that adds a prefix per call
	// (SentencePiece's dummy space) can make the ids differ from encoding
	// the whole input at once; a chunk at least as large as the input avoids
	// both.
	ChunkSize int
	// Encode are the encode options (special-token parsing; the zero value
	// treats special-token text as text).
	Encode tokenizer.EncodeOptions
	// Progress, when set, is called after each chunk.
	Progress func(Progress)
}

// ErrTooSmall is wrapped by errors about a corpus with too few tokens.
var ErrTooSmall = errors.New("corpus too small")

// TokenizeFiles encodes the files at paths with tok and writes the ids as a
// token file at out (see Tokenize). It returns the number of ids written.
func TokenizeFiles(ctx context.Context, tok tokenizer.Tokenizer, out string, paths []string, opts Options) (int64, error) {
	var rs []io.Reader
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return 0, fmt.Errorf("data: %w", err)
		}
		defer f.Close()
		rs = append(rs, f)
	}
	return Tokenize(ctx, tok, out, rs, opts)
}

// Tokenize encodes each input with tok, in chunks of whole lines, and writes
// the ids (followed by opts.Separator after each input) as a token file at
// out, atomically: on an error or a cancelled ctx nothing is left under out
// except what was there before. An empty corpus (no ids at all) is an error
// wrapping ErrTooSmall.
func Tokenize(ctx context.Context, tok tokenizer.Tokenizer, out string, inputs []io.Reader, opts Options) (int64, error) {
	w, err := Create(out, tok.VocabSize())
	if err != nil {
		return 0, err
	}
	defer w.Abort()
	chunk := opts.ChunkSize
	if chunk <= 0 {
		chunk = 1 << 20
	}
	var read int64
	for k, in := range inputs {
		br := bufio.NewReaderSize(in, 1<<16)
		var buf bytes.Buffer
		for {
			if err := ctx.Err(); err != nil {
				return 0, fmt.Errorf("data: tokenizing: %w", err)
			}
			buf.Reset()
			eof := false
			for buf.Len() < chunk {
				line, err := br.ReadSlice('\n')
				buf.Write(line)
				if err == bufio.ErrBufferFull {
					continue
				}
				if err == io.EOF {
					eof = true
					break
				}
				if err != nil {
					return 0, fmt.Errorf("data: reading input %d: %w", k, err)
				}
			}
			if buf.Len() > 0 {
				ids, err := tok.Encode(buf.String(), opts.Encode)
				if err != nil {
					return 0, fmt.Errorf("data: input %d, byte %d: %w", k, read, err)
				}
				if err := w.Write(ids); err != nil {
					return 0, err
				}
				read += int64(buf.Len())
				if opts.Progress != nil {
					opts.Progress(Progress{BytesRead: read, Tokens: w.Count()})
				}
			}
			if eof {
				break
			}
		}
		if err := w.Write(opts.Separator); err != nil {
			return 0, err
		}
	}
	if w.Count() == 0 {
		return 0, fmt.Errorf("data: %w: the corpus (%d bytes) gave no tokens", ErrTooSmall, read)
	}
	if err := w.Commit(); err != nil {
		return 0, err
	}
	return w.Count(), nil
}

// WriteFile writes ids (all in [0, vocab)) as a token file at path,
// atomically.
func WriteFile(path string, ids []int, vocab int) error {
	w, err := Create(path, vocab)
	if err != nil {
		return err
	}
	defer w.Abort()
	if err := w.Write(ids); err != nil {
		return err
	}
	return w.Commit()
}
