package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"sort"

	"github.com/llmpipe/llmpipe/internal/mmap"
)

// MaxHeaderSize is the largest JSON header accepted (the reference crate's
// limit, 100 MB).
const MaxHeaderSize = 100_000_000

// MetadataKey is the header key of the free-form string metadata.
const MetadataKey = "__metadata__"

// DType is a tensor's element type as the header spells it ("F32", "BF16"…).
type DType string

// The element types of the format. Model loaders convert F32, F16 and BF16.
const (
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	F64  DType = "F64"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	Bool DType = "BOOL"
)

// dtypeBits is the size in bits of every dtype the reference crate knows.
var dtypeBits = map[DType]uint64{
	"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32,
	"F64": 64, "I64": 64, "U64": 64,
	"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}

// Size is the size of one element in bytes (0 for sub-byte types and
// unknown dtypes).
func (d DType) Size() int {
	b := dtypeBits[d]
	if b%8 != 0 {
		return 0
	}
	return int(b / 8)
}

// TensorInfo is one tensor of the header.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []uint64
	// Begin and End are the byte span of the data, relative to the data
	// section (the file offset is File.DataOffset+Begin).
	Begin, End uint64
}

// NumElements is the product of the shape (1 for a scalar).
func (t TensorInfo) NumElements() uint64 {
	n := uint64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// File is a parsed safetensors file.
type File struct {
	// Tensors is the header's tensors in data order (by Begin).
	Tensors []TensorInfo
	// Metadata is the header's __metadata__ (nil when absent).
	Metadata map[string]string
	// DataOffset is the absolute offset of the data section: 8 + header length.
	DataOffset int64
	// Size is the file size.
	Size int64

	r      io.ReaderAt
	c      io.Closer
	mapped []byte
	index  map[string]int
}

// Open reads the header of the safetensors file at path and checks it
// against the file size. The file is memory-mapped where the platform
// allows (TensorBytes then returns views of the mapping); otherwise tensors
// are read with ReadAt. The file stays open until Close.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	size := st.Size()
	data, unmap, err := mmap.File(fh, size)
	if err != nil {
		data = nil // fall back to ReadAt
	}
	var f *File
	if data != nil {
		f, err = Read(bytes.NewReader(data), size)
	} else {
		f, err = Read(fh, size)
	}
	if err != nil {
		if unmap != nil {
			unmap()
		}
		fh.Close()
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	if data != nil {
		f.mapped = data
		fh.Close() // the mapping outlives the descriptor
		f.c = closerFunc(unmap)
	} else {
		f.r, f.c = fh, fh
	}
	return f, nil
}

type closerFunc func() error

func (c closerFunc) Close() error { return c() }

// Close releases the file (and its mapping: views from TensorBytes must no
// longer be used).
func (f *File) Close() error {
	if f == nil || f.c == nil {
		return nil
	}
	c := f.c
	f.c, f.r, f.mapped = nil, nil, nil
	return c.Close()
}

// Mapped reports whether TensorBytes returns views of a memory mapping.
func (f *File) Mapped() bool { return f.mapped != nil }

// Read parses the header of a safetensors file of size bytes read through r.
// Tensor data is read later, by TensorBytes.
func Read(r io.ReaderAt, size int64) (*File, error) {
	if size < 8 {
		return nil, fmt.Errorf("safetensors: file of %d bytes is shorter than the 8-byte header length", size)
	}
	var lb [8]byte
	if _, err := r.ReadAt(lb[:], 0); err != nil {
		return nil, fmt.Errorf("safetensors: reading the header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lb[:])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("safetensors: header length %d exceeds the limit %d", n, MaxHeaderSize)
	}
	if n > uint64(size-8) {
		return nil, fmt.Errorf("safetensors: header length %d exceeds the %d bytes after the length", n, size-8)
	}
	hdr := make([]byte, n)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		return nil, fmt.Errorf("safetensors: reading the %d-byte header: %w", n, err)
	}
	tensors, meta, err := ParseHeader(hdr, uint64(size-8-int64(n)))
	if err != nil {
		return nil, err
	}
	f := &File{Tensors: tensors, Metadata: meta, DataOffset: 8 + int64(n), Size: size, r: r,
		index: make(map[string]int, len(tensors))}
	for i, t := range tensors {
		f.index[t.Name] = i
	}
	return f, nil
}

// rawTensor is one header entry before it is checked.
type rawTensor struct {
	DType       *string   `json:"dtype"`
	Shape       *[]uint64 `json:"shape"`
	DataOffsets *[]uint64 `json:"data_offsets"`
}

// ParseHeader parses and checks a JSON header whose data section holds
// dataSize bytes, as the reference crate does: every tensor has a known
// dtype, a shape whose size in bytes equals its data_offsets span, and the
// spans, sorted, are contiguous from 0 to exactly dataSize. Tensors come back
// in data order.
func ParseHeader(hdr []byte, dataSize uint64) ([]TensorInfo, map[string]string, error) {
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, nil, errors.New("safetensors: header is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, nil, fmt.Errorf("safetensors: header JSON: %w", err)
	}
	var meta map[string]string
	tensors := make([]TensorInfo, 0, len(raw))
	for name, msg := range raw {
		if name == MetadataKey {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("safetensors: %s is not an object of strings: %w", MetadataKey, err)
			}
			continue
		}
		var rt rawTensor
		if err := json.Unmarshal(msg, &rt); err != nil {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %w", name, err)
		}
		if rt.DType == nil || rt.Shape == nil || rt.DataOffsets == nil {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: dtype, shape and data_offsets are required", name)
		}
		t := TensorInfo{Name: name, DType: DType(*rt.DType), Shape: *rt.Shape}
		if len(*rt.DataOffsets) != 2 {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: data_offsets %v is not [begin, end]", name, *rt.DataOffsets)
		}
		t.Begin, t.End = (*rt.DataOffsets)[0], (*rt.DataOffsets)[1]
		b, ok := dtypeBits[t.DType]
		if !ok {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, t.DType)
		}
		if t.End < t.Begin || t.End > dataSize {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: data_offsets [%d, %d] outside the %d data bytes", name, t.Begin, t.End, dataSize)
		}
		nbits := b
		for _, d := range t.Shape {
			hi, lo := bits.Mul64(nbits, d)
			if hi != 0 {
				return nil, nil, fmt.Errorf("safetensors: tensor %q: shape %v overflows", name, t.Shape)
			}
			nbits = lo
		}
		if nbits%8 != 0 || nbits/8 != t.End-t.Begin {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: shape %v of %s is %d bits, but data_offsets [%d, %d] span %d bytes",
				name, t.Shape, t.DType, nbits, t.Begin, t.End, t.End-t.Begin)
		}
		tensors = append(tensors, t)
	}
	sort.Slice(tensors, func(i, j int) bool {
		a, b := tensors[i], tensors[j]
		if a.Begin != b.Begin {
			return a.Begin < b.Begin
		}
		if a.End != b.End {
			return a.End < b.End
		}
		return a.Name < b.Name
	})
	var at uint64
	for _, t := range tensors {
		if t.Begin != at {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: data_offsets [%d, %d] do not start at offset %d, the end of the previous tensor", t.Name, t.Begin, t.End, at)
		}
		at = t.End
	}
	if at != dataSize {
		return nil, nil, fmt.Errorf("safetensors: tensors cover %d bytes, but the data section holds %d", at, dataSize)
	}
	return tensors, meta, nil
}

// Tensor returns the header entry of name.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	i, ok := f.index[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Tensors[i], true
}

// TensorBytes returns the raw little-endian data of tensor name: a view of
// the mapping when the file is mapped (valid until Close), else a fresh copy.
func (f *File) TensorBytes(name string) ([]byte, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("safetensors: no tensor %q", name)
	}
	n := t.End - t.Begin
	// ParseHeader checked End against the data size, so off+n ≤ f.Size.
	off := uint64(f.DataOffset) + t.Begin
	if f.mapped != nil {
		return f.mapped[off : off+n : off+n], nil
	}
	if f.r == nil {
		return nil, fmt.Errorf("safetensors: tensor %q: file is closed", name)
	}
	if n > math.MaxInt {
		return nil, fmt.Errorf("safetensors: tensor %q: %d bytes do not fit in memory", name, n)
	}
	b := make([]byte, n)
	if n == 0 {
		return b, nil
	}
	if _, err := f.r.ReadAt(b, int64(off)); err != nil {
		return nil, fmt.Errorf("safetensors: tensor %q at offset %d: %w", name, off, err)
	}
	return b, nil
}
