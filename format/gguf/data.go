package gguf

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"unsafe"

	"github.com/llmpipe/llmpipe/internal/mmap"
)

// OpenMapped reads the GGUF file at path like [Open], but maps the whole file
// into memory where the platform allows it (linux), so that
// [File.TensorBytes] returns views of the mapping instead of copies. Where
// mapping is not available, or the file is empty, it falls back to [Open].
// [File.Close] unmaps the file; slices from TensorBytes must not be used after.
func OpenMapped(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("gguf: %w", err)
	}
	size := st.Size()
	data, unmap, err := mmap.File(fh, size)
	if err != nil || data == nil {
		fh.Close()
		return Open(path)
	}
	f, err := Read(bytes.NewReader(data), size)
	if err != nil {
		unmap()
		fh.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.mapped = data
	f.c = closerFunc(func() error {
		err := unmap()
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return f, nil
}

type closerFunc func() error

func (c closerFunc) Close() error { return c() }

// Mapped reports whether the file's tensor data is memory-mapped.
func (f *File) Mapped() bool { return f.mapped != nil }

// Release tells the OS that the pages of b, which must lie inside a
// mapped file's data (a TensorBytes view), are not needed for now: they
// stop counting in the process's resident memory and re-fault from the
// file when b is read again (a model that keeps a repacked copy of a
// tensor releases the file's). Only the whole pages inside b are
// released. For a file that is not mapped, or a b outside the mapping
// (such as bytes read into memory, whose pages would read back as
// zeros), it does nothing.
func (f *File) Release(b []byte) error {
	if len(f.mapped) == 0 || len(b) == 0 {
		return nil
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(f.mapped)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if p < base || p-base > uintptr(len(f.mapped)) || uintptr(len(b)) > uintptr(len(f.mapped))-(p-base) {
		return nil
	}
	return mmap.Release(b)
}

// TensorBytes returns the data of the tensor named name. For a mapped file
// (OpenMapped) it is a read-only view of the mapping, valid until Close;
// otherwise the bytes are read into a new slice. The tensor's extent is
// checked against the file size again, so an error names the tensor and the
// offending offset rather than reading past the end.
func (f *File) TensorBytes(name string) ([]byte, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("gguf: no tensor %q", name)
	}
	n, err := t.Size()
	if err != nil {
		return nil, err
	}
	start := uint64(f.DataOffset) + t.Offset
	size := uint64(f.Size)
	if f.DataOffset < 0 || t.Offset > size || start > size || n > size-start {
		return nil, fmt.Errorf("gguf: tensor %q: data [%d, +%d) at file offset %d runs past the end of the %d-byte file", name, t.Offset, n, start, f.Size)
	}
	if f.mapped != nil {
		if uint64(len(f.mapped)) < start+n {
			return nil, fmt.Errorf("gguf: tensor %q: data at file offset %d+%d is outside the %d-byte mapping", name, start, n, len(f.mapped))
		}
		return f.mapped[start : start+n : start+n], nil
	}
	if f.r == nil {
		return nil, fmt.Errorf("gguf: tensor %q: file has no reader", name)
	}
	buf := make([]byte, n)
	if _, err := f.r.ReadAt(buf, int64(start)); err != nil && !(err == io.EOF && n == 0) {
		return nil, fmt.Errorf("gguf: tensor %q: reading %d bytes at file offset %d: %w", name, n, start, err)
	}
	return buf, nil
}
