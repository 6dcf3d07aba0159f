package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Write writes f's header, metadata and tensor infos as a GGUF version 3
// file, then zero padding up to the data section, and returns the number of
// bytes written, which is where the tensor data must start. f.Version,
// f.DataOffset and f.Size are ignored; the alignment comes from f's
// general.alignment key (DefaultAlignment when absent).
//
// Tensor offsets are written as given; [File.LayoutTensors] assigns packed,
// aligned offsets.
func Write(w io.Writer, f *File) (int64, error) {
	align, err := alignmentOf(f)
	if err != nil {
		return 0, err
	}
	seen := make(map[string]bool, len(f.KV))
	for i, kv := range f.KV {
		if seen[kv.Key] {
			return 0, fmt.Errorf("gguf: write: metadata[%d]: duplicate key %q", i, kv.Key)
		}
		seen[kv.Key] = true
	}
	bw := &writer{w: bufio.NewWriter(w)}
	bw.raw([]byte(Magic))
	bw.u32(3)
	bw.u64(uint64(len(f.Tensors)))
	bw.u64(uint64(len(f.KV)))
	for i, kv := range f.KV {
		bw.str(kv.Key)
		bw.u32(uint32(kv.Value.Type))
		if err := bw.value(kv.Value); err != nil {
			return 0, fmt.Errorf("gguf: write: metadata[%d] %q: %w", i, kv.Key, err)
		}
	}
	for i, t := range f.Tensors {
		if len(t.Dims) > MaxDims {
			return 0, fmt.Errorf("gguf: write: tensor[%d] %q: %d dimensions, at most %d", i, t.Name, len(t.Dims), MaxDims)
		}
		if t.Offset%align != 0 {
			return 0, fmt.Errorf("gguf: write: tensor[%d] %q: offset %d is not a multiple of the alignment %d", i, t.Name, t.Offset, align)
		}
		bw.str(t.Name)
		bw.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			bw.u64(d)
		}
		bw.u32(uint32(t.Type))
		bw.u64(t.Offset)
	}
	pad := alignUp(bw.n, int64(align)) - bw.n
	bw.raw(make([]byte, pad))
	if bw.err == nil {
		bw.err = bw.w.Flush()
	}
	if bw.err != nil {
		return bw.n, fmt.Errorf("gguf: write: %w", bw.err)
	}
	return bw.n, nil
}

// LayoutTensors sets every tensor's Offset so that the data is packed in
// order, each tensor starting at a multiple of the alignment, as llama.cpp
// writes it. It returns the size of the data section.
func (f *File) LayoutTensors() (uint64, error) {
	align, err := alignmentOf(f)
	if err != nil {
		return 0, err
	}
	var off uint64
	for i := range f.Tensors {
		n, err := f.Tensors[i].Size()
		if err != nil {
			return 0, err
		}
		f.Tensors[i].Offset = off
		off += (n + align - 1) / align * align
	}
	return off, nil
}

func alignmentOf(f *File) (uint64, error) {
	v, ok := f.Value(KeyAlignment)
	if !ok {
		return DefaultAlignment, nil
	}
	a, isU32 := v.Any().(uint32)
	if !isU32 || a == 0 || a&(a-1) != 0 {
		return 0, fmt.Errorf("gguf: %s must be a uint32 power of two, have %s %v", KeyAlignment, v.Type, v)
	}
	return uint64(a), nil
}

type writer struct {
	w   *bufio.Writer
	n   int64
	err error
	b   [8]byte
}

func (w *writer) raw(p []byte) {
	if w.err != nil {
		return
	}
	n, err := w.w.Write(p)
	w.n += int64(n)
	w.err = err
}

func (w *writer) u8(x uint8) { w.raw([]byte{x}) }
func (w *writer) u16(x uint16) {
	binary.LittleEndian.PutUint16(w.b[:], x)
	w.raw(w.b[:2])
}
func (w *writer) u32(x uint32) {
	binary.LittleEndian.PutUint32(w.b[:], x)
	w.raw(w.b[:4])
}
func (w *writer) u64(x uint64) {
	binary.LittleEndian.PutUint64(w.b[:], x)
	w.raw(w.b[:8])
}
func (w *writer) str(s string) {
	w.u64(uint64(len(s)))
	if w.err == nil {
		n, err := w.w.WriteString(s)
		w.n += int64(n)
		w.err = err
	}
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// value writes v's payload (its type was written by the caller).
func (w *writer) value(v Value) error {
	switch x := v.v.(type) {
	case uint8:
		w.u8(x)
	case int8:
		w.u8(uint8(x))
	case uint16:
		w.u16(x)
	case int16:
		w.u16(uint16(x))
	case uint32:
		w.u32(x)
	case int32:
		w.u32(uint32(x))
	case float32:
		w.u32(math.Float32bits(x))
	case bool:
		w.u8(b2u(x))
	case string:
		w.str(x)
	case uint64:
		w.u64(x)
	case int64:
		w.u64(uint64(x))
	case float64:
		w.u64(math.Float64bits(x))
	default:
		if v.Type != TypeArray {
			return fmt.Errorf("value of type %s holds a %T", v.Type, v.v)
		}
		w.u32(uint32(v.Elem))
		w.u64(uint64(v.Len()))
		return w.array(v)
	}
	if want := typeOf(v.v); want != v.Type {
		return fmt.Errorf("value of type %s holds a %T", v.Type, v.v)
	}
	return nil
}

func typeOf(x any) Type {
	v, err := NewValue(x)
	if err != nil {
		return Type(math.MaxUint32)
	}
	return v.Type
}

func (w *writer) array(v Value) error {
	switch a := v.v.(type) {
	case []uint8:
		w.raw(a)
	case []int8:
		for _, x := range a {
			w.u8(uint8(x))
		}
	case []uint16:
		for _, x := range a {
			w.u16(x)
		}
	case []int16:
		for _, x := range a {
			w.u16(uint16(x))
		}
	case []uint32:
		for _, x := range a {
			w.u32(x)
		}
	case []int32:
		for _, x := range a {
			w.u32(uint32(x))
		}
	case []float32:
		for _, x := range a {
			w.u32(math.Float32bits(x))
		}
	case []bool:
		for _, x := range a {
			w.u8(b2u(x))
		}
	case []string:
		for _, x := range a {
			w.str(x)
		}
	case []uint64:
		for _, x := range a {
			w.u64(x)
		}
	case []int64:
		for _, x := range a {
			w.u64(uint64(x))
		}
	case []float64:
		for _, x := range a {
			w.u64(math.Float64bits(x))
		}
	case []Value:
		for i, e := range a {
			if e.Type != TypeArray {
				return fmt.Errorf("element %d: array of arrays holds a %s", i, e.Type)
			}
			w.u32(uint32(e.Elem))
			w.u64(uint64(e.Len()))
			if err := w.array(e); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
	default:
		return fmt.Errorf("array holds a %T", v.v)
	}
	if want, err := NewValue(v.v); err != nil || want.Elem != v.Elem {
		return fmt.Errorf("array of %s holds a %T", v.Elem, v.v)
	}
	return nil
}
