package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// Magic is the 4 bytes every GGUF file starts with.
const Magic = "GGUF"

// DefaultAlignment is the data alignment when general.alignment is absent.
const DefaultAlignment = 32

// KeyAlignment is the metadata key that sets the data alignment.
const KeyAlignment = "general.alignment"

// maxNesting bounds arrays of arrays, so a hostile file cannot recurse deeply.
const maxNesting = 64

// KV is one metadata key/value pair.
type KV struct {
	Key   string
	Value Value
}

// File is a parsed GGUF file: header, metadata and tensor index.
type File struct {
	// Version is the format version (2 or 3).
	Version uint32
	// KV is the metadata in file order.
	KV []KV
	// Tensors is the tensor index in file order.
	Tensors []TensorInfo
	// Alignment is general.alignment, or DefaultAlignment.
	Alignment uint64
	// DataOffset is the absolute offset of the data section: the end of the
	// tensor infos rounded up to Alignment.
	DataOffset int64
	// Size is the file size Read was given.
	Size int64

	r      io.ReaderAt
	c      io.Closer
	index  map[string]int
	mapped []byte // the whole file when OpenMapped mapped it
}

// Open reads the GGUF file at path. The file stays open for [File.TensorData]
// until [File.Close].
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("gguf: %w", err)
	}
	f, err := Read(fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.c = fh
	return f, nil
}

// Close closes the file Open opened; it does nothing for a File from Read.
func (f *File) Close() error {
	if f.c == nil {
		return nil
	}
	err := f.c.Close()
	f.c = nil
	return err
}

// TensorData returns a reader over the data of tensor i.
func (f *File) TensorData(i int) (*io.SectionReader, error) {
	if i < 0 || i >= len(f.Tensors) {
		return nil, fmt.Errorf("gguf: tensor index %d out of range (%d tensors)", i, len(f.Tensors))
	}
	if f.r == nil {
		return nil, errors.New("gguf: file has no reader")
	}
	t := f.Tensors[i]
	n, err := t.Size()
	if err != nil {
		return nil, err
	}
	return io.NewSectionReader(f.r, f.DataOffset+int64(t.Offset), int64(n)), nil
}

// reader reads the header sequentially and knows how many bytes are left.
type reader struct {
	br   *bufio.Reader
	pos  int64
	size int64
	buf  [8]byte
}

func (r *reader) left() int64 { return r.size - r.pos }

func (r *reader) full(n int) ([]byte, error) {
	if int64(n) > r.left() {
		return nil, fmt.Errorf("offset %d: need %d bytes, %d left: %w", r.pos, n, r.left(), io.ErrUnexpectedEOF)
	}
	b := r.buf[:n]
	if _, err := io.ReadFull(r.br, b); err != nil {
		return nil, fmt.Errorf("offset %d: %w", r.pos, err)
	}
	r.pos += int64(n)
	return b, nil
}

func (r *reader) u8() (uint8, error) {
	b, err := r.full(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (r *reader) u16() (uint16, error) {
	b, err := r.full(2)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

func (r *reader) u32() (uint32, error) {
	b, err := r.full(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (r *reader) u64() (uint64, error) {
	b, err := r.full(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// count reads a 64-bit count of items that take at least min bytes each and
// checks it against the bytes left before anyone allocates for it.
func (r *reader) count(what string, min int64) (int, error) {
	at := r.pos
	n, err := r.u64()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if min < 1 {
		min = 1
	}
	if n > uint64(r.left()/min) {
		return 0, fmt.Errorf("offset %d: %s of %d needs at least %d bytes each, only %d bytes left", at, what, n, min, r.left())
	}
	return int(n), nil
}

func (r *reader) str() (string, error) {
	n, err := r.count("string length", 1)
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "", nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.br, b); err != nil {
		return "", fmt.Errorf("offset %d: %w", r.pos, err)
	}
	r.pos += int64(n)
	return string(b), nil
}

// Read parses the GGUF file held by r, size bytes long. It reads the header,
// metadata and tensor infos; tensor data stays in r.
func Read(r io.ReaderAt, size int64) (*File, error) {
	if size < 0 {
		return nil, fmt.Errorf("gguf: negative size %d", size)
	}
	rd := &reader{br: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 1<<16), size: size}
	f := &File{r: r, Size: size}
	if err := f.read(rd); err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	return f, nil
}

func (f *File) read(rd *reader) error {
	m, err := rd.full(4)
	if err != nil {
		return fmt.Errorf("reading magic: %w", err)
	}
	if string(m) != Magic {
		return fmt.Errorf("bad magic %q (want %q): not a GGUF file", m, Magic)
	}
	vb, err := rd.full(4)
	if err != nil {
		return fmt.Errorf("reading version: %w", err)
	}
	v := binary.LittleEndian.Uint32(vb)
	switch {
	case v&0xFFFF == 0 && v != 0:
		return fmt.Errorf("version bytes % x: big-endian GGUF files are not supported (version %d read big-endian)", vb, binary.BigEndian.Uint32(vb))
	case v == 1:
		return errors.New("GGUF version 1 (32-bit counts) is not supported; convert the file to version 3")
	case v != 2 && v != 3:
		return fmt.Errorf("unsupported GGUF version %d (want 2 or 3)", v)
	}
	f.Version = v

	// A tensor info takes at least 8+1 (name) + 4 + 8 + 4 + 8 bytes; a KV at
	// least 8+1 (key) + 4 + 1.
	nTensors, err := rd.count("tensor count", 8+1+4+8+4+8)
	if err != nil {
		return err
	}
	nKV, err := rd.count("metadata count", 8+1+4+1)
	if err != nil {
		return err
	}
	f.KV = make([]KV, 0, nKV)
	f.index = make(map[string]int, nKV)
	for i := 0; i < nKV; i++ {
		at := rd.pos
		key, err := rd.str()
		if err != nil {
			return fmt.Errorf("metadata[%d] key: %w", i, err)
		}
		if _, dup := f.index[key]; dup {
			return fmt.Errorf("metadata[%d] at offset %d: duplicate key %q", i, at, key)
		}
		t, err := rd.u32()
		if err != nil {
			return fmt.Errorf("metadata[%d] %q type: %w", i, key, err)
		}
		val, err := rd.value(Type(t), 0)
		if err != nil {
			return fmt.Errorf("metadata[%d] %q: %w", i, key, err)
		}
		f.index[key] = len(f.KV)
		f.KV = append(f.KV, KV{Key: key, Value: val})
	}

	f.Alignment = DefaultAlignment
	if v, ok := f.Value(KeyAlignment); ok {
		a, isU32 := v.Any().(uint32)
		if !isU32 {
			return fmt.Errorf("%s has type %s, want uint32", KeyAlignment, v.Type)
		}
		if a == 0 || a&(a-1) != 0 {
			return fmt.Errorf("%s = %d is not a power of two", KeyAlignment, a)
		}
		f.Alignment = uint64(a)
	}

	f.Tensors = make([]TensorInfo, 0, nTensors)
	names := make(map[string]bool, nTensors)
	for i := 0; i < nTensors; i++ {
		at := rd.pos
		var t TensorInfo
		if t.Name, err = rd.str(); err != nil {
			return fmt.Errorf("tensor[%d] name: %w", i, err)
		}
		if names[t.Name] {
			return fmt.Errorf("tensor[%d] at offset %d: duplicate tensor name %q", i, at, t.Name)
		}
		names[t.Name] = true
		nd, err := rd.u32()
		if err != nil {
			return fmt.Errorf("tensor[%d] %q dims: %w", i, t.Name, err)
		}
		if nd > MaxDims {
			return fmt.Errorf("tensor[%d] %q at offset %d: %d dimensions, at most %d allowed", i, t.Name, at, nd, MaxDims)
		}
		t.Dims = make([]uint64, nd)
		for j := range t.Dims {
			if t.Dims[j], err = rd.u64(); err != nil {
				return fmt.Errorf("tensor[%d] %q dim %d: %w", i, t.Name, j, err)
			}
			if t.Dims[j] > math.MaxInt64 {
				return fmt.Errorf("tensor[%d] %q: dimension %d = %d is negative as int64", i, t.Name, j, t.Dims[j])
			}
		}
		ty, err := rd.u32()
		if err != nil {
			return fmt.Errorf("tensor[%d] %q type: %w", i, t.Name, err)
		}
		t.Type = GGMLType(ty)
		if t.Offset, err = rd.u64(); err != nil {
			return fmt.Errorf("tensor[%d] %q offset: %w", i, t.Name, err)
		}
		f.Tensors = append(f.Tensors, t)
	}

	f.DataOffset = alignUp(rd.pos, int64(f.Alignment))
	for i, t := range f.Tensors {
		n, err := t.Size()
		if err != nil {
			return fmt.Errorf("tensor[%d]: %w", i, err)
		}
		if t.Offset%f.Alignment != 0 {
			return fmt.Errorf("tensor[%d] %q: offset %d is not a multiple of the alignment %d", i, t.Name, t.Offset, f.Alignment)
		}
		end := uint64(f.DataOffset) + t.Offset
		if size := uint64(f.Size); t.Offset > size || n > size || end+n > size {
			return fmt.Errorf("tensor[%d] %q: data [%d, +%d) at file offset %d runs past the end of the %d-byte file", i, t.Name, t.Offset, n, end, f.Size)
		}
	}
	return nil
}

func alignUp(n, a int64) int64 { return (n + a - 1) / a * a }

// value reads one value of type t.
func (r *reader) value(t Type, depth int) (Value, error) {
	at := r.pos
	switch t {
	case TypeUint8:
		x, err := r.u8()
		return Value{Type: t, v: x}, err
	case TypeInt8:
		x, err := r.u8()
		return Value{Type: t, v: int8(x)}, err
	case TypeUint16:
		x, err := r.u16()
		return Value{Type: t, v: x}, err
	case TypeInt16:
		x, err := r.u16()
		return Value{Type: t, v: int16(x)}, err
	case TypeUint32:
		x, err := r.u32()
		return Value{Type: t, v: x}, err
	case TypeInt32:
		x, err := r.u32()
		return Value{Type: t, v: int32(x)}, err
	case TypeFloat32:
		x, err := r.u32()
		return Value{Type: t, v: math.Float32frombits(x)}, err
	case TypeBool:
		x, err := r.u8()
		if err == nil && x > 1 {
			return Value{}, fmt.Errorf("offset %d: bool byte %d is neither 0 nor 1", at, x)
		}
		return Value{Type: t, v: x == 1}, err
	case TypeString:
		s, err := r.str()
		return Value{Type: t, v: s}, err
	case TypeUint64:
		x, err := r.u64()
		return Value{Type: t, v: x}, err
	case TypeInt64:
		x, err := r.u64()
		return Value{Type: t, v: int64(x)}, err
	case TypeFloat64:
		x, err := r.u64()
		return Value{Type: t, v: math.Float64frombits(x)}, err
	case TypeArray:
		return r.array(depth)
	}
	return Value{}, fmt.Errorf("offset %d: unknown value type %d", at, uint32(t))
}

func (r *reader) array(depth int) (Value, error) {
	at := r.pos
	if depth >= maxNesting {
		return Value{}, fmt.Errorf("offset %d: arrays nested deeper than %d", at, maxNesting)
	}
	et, err := r.u32()
	if err != nil {
		return Value{}, err
	}
	elem := Type(et)
	if !elem.Valid() {
		return Value{}, fmt.Errorf("offset %d: array of unknown value type %d", at, et)
	}
	n, err := r.count("array of "+elem.String(), elem.minSize())
	if err != nil {
		return Value{}, err
	}
	out := Value{Type: TypeArray, Elem: elem}
	switch elem {
	case TypeString:
		a := make([]string, n)
		for i := range a {
			if a[i], err = r.str(); err != nil {
				return Value{}, fmt.Errorf("element %d: %w", i, err)
			}
		}
		out.v = a
	case TypeArray:
		a := make([]Value, n)
		for i := range a {
			if a[i], err = r.array(depth + 1); err != nil {
				return Value{}, fmt.Errorf("element %d: %w", i, err)
			}
		}
		out.v = a
	default:
		sz := elem.fixedSize()
		raw := make([]byte, int64(n)*sz)
		if _, err := io.ReadFull(r.br, raw); err != nil {
			return Value{}, fmt.Errorf("offset %d: %w", r.pos, err)
		}
		r.pos += int64(len(raw))
		out.v = decodeFixed(elem, raw, n)
	}
	return out, nil
}

func decodeFixed(t Type, raw []byte, n int) any {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return raw
	case TypeInt8:
		a := make([]int8, n)
		for i := range a {
			a[i] = int8(raw[i])
		}
		return a
	case TypeBool:
		a := make([]bool, n)
		for i := range a {
			a[i] = raw[i] != 0
		}
		return a
	case TypeUint16:
		a := make([]uint16, n)
		for i := range a {
			a[i] = le.Uint16(raw[2*i:])
		}
		return a
	case TypeInt16:
		a := make([]int16, n)
		for i := range a {
			a[i] = int16(le.Uint16(raw[2*i:]))
		}
		return a
	case TypeUint32:
		a := make([]uint32, n)
		for i := range a {
			a[i] = le.Uint32(raw[4*i:])
		}
		return a
	case TypeInt32:
		a := make([]int32, n)
		for i := range a {
			a[i] = int32(le.Uint32(raw[4*i:]))
		}
		return a
	case TypeFloat32:
		a := make([]float32, n)
		for i := range a {
			a[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
		return a
	case TypeUint64:
		a := make([]uint64, n)
		for i := range a {
			a[i] = le.Uint64(raw[8*i:])
		}
		return a
	case TypeInt64:
		a := make([]int64, n)
		for i := range a {
			a[i] = int64(le.Uint64(raw[8*i:]))
		}
		return a
	case TypeFloat64:
		a := make([]float64, n)
		for i := range a {
			a[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
		return a
	}
	return nil
}

// Value returns the metadata value of key.
func (f *File) Value(key string) (Value, bool) {
	if i, ok := f.index[key]; ok && i < len(f.KV) && f.KV[i].Key == key {
		return f.KV[i].Value, true
	}
	// KV may have been edited since Read: fall back to a scan.
	for _, kv := range f.KV {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return Value{}, false
}

// String returns the string value of key; ok is false when the key is
// missing or holds another type.
func (f *File) String(key string) (string, bool) {
	v, ok := f.Value(key)
	if !ok {
		return "", false
	}
	return v.Str()
}

// Uint returns an integer value of key (any integer type, non-negative) as a
// uint64.
func (f *File) Uint(key string) (uint64, bool) {
	v, ok := f.Value(key)
	if !ok {
		return 0, false
	}
	return v.Uint()
}

// Bool returns the bool value of key.
func (f *File) Bool(key string) (bool, bool) {
	v, ok := f.Value(key)
	if !ok {
		return false, false
	}
	return v.Bool()
}

// Strings returns the array of strings of key.
func (f *File) Strings(key string) ([]string, bool) {
	v, ok := f.Value(key)
	if !ok {
		return nil, false
	}
	a, ok := v.Any().([]string)
	return a, ok
}

// Float32s returns the array of float32 of key.
func (f *File) Float32s(key string) ([]float32, bool) {
	v, ok := f.Value(key)
	if !ok {
		return nil, false
	}
	a, ok := v.Any().([]float32)
	return a, ok
}

// Int32s returns the array of int32 of key.
func (f *File) Int32s(key string) ([]int32, bool) {
	v, ok := f.Value(key)
	if !ok {
		return nil, false
	}
	a, ok := v.Any().([]int32)
	return a, ok
}

// Tensor returns the info of the tensor named name.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return TensorInfo{}, false
}
