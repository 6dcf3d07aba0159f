package gguf

import (
	"fmt"
	"math/bits"
)

// GGMLType is the storage type of a tensor (ggml_type in ggml.h).
type GGMLType uint32

// The ggml tensor types that GGUF files use. The numbers are fixed by the
// format; gaps are types that ggml has removed.
const (
	TypeF32     GGMLType = 0
	TypeF16     GGMLType = 1
	TypeQ4_0    GGMLType = 2
	TypeQ4_1    GGMLType = 3
	TypeQ5_0    GGMLType = 6
	TypeQ5_1    GGMLType = 7
	TypeQ8_0    GGMLType = 8
	TypeQ8_1    GGMLType = 9
	TypeQ2_K    GGMLType = 10
	TypeQ3_K    GGMLType = 11
	TypeQ4_K    GGMLType = 12
	TypeQ5_K    GGMLType = 13
	TypeQ6_K    GGMLType = 14
	TypeQ8_K    GGMLType = 15
	TypeIQ2_XXS GGMLType = 16
	TypeIQ2_XS  GGMLType = 17
	TypeIQ3_XXS GGMLType = 18
	TypeIQ1_S   GGMLType = 19
	TypeIQ4_NL  GGMLType = 20
	TypeIQ3_S   GGMLType = 21
	TypeIQ2_S   GGMLType = 22
	TypeIQ4_XS  GGMLType = 23
	TypeI8      GGMLType = 24
	TypeI16     GGMLType = 25
	TypeI32     GGMLType = 26
	TypeI64     GGMLType = 27
	TypeF64     GGMLType = 28
	TypeIQ1_M   GGMLType = 29
	TypeBF16    GGMLType = 30
	TypeTQ1_0   GGMLType = 34
	TypeTQ2_0   GGMLType = 35
	TypeMXFP4   GGMLType = 39
)

// typeTraits is a type's block layout: BlockSize elements take TypeSize bytes.
type typeTraits struct {
	name                string
	blockSize, typeSize uint64
}

var ggmlTypes = map[GGMLType]typeTraits{
	TypeF32: {"F32", 1, 4}, TypeF16: {"F16", 1, 2},
	TypeQ4_0: {"Q4_0", 32, 18}, TypeQ4_1: {"Q4_1", 32, 20},
	TypeQ5_0: {"Q5_0", 32, 22}, TypeQ5_1: {"Q5_1", 32, 24},
	TypeQ8_0: {"Q8_0", 32, 34}, TypeQ8_1: {"Q8_1", 32, 36},
	TypeQ2_K: {"Q2_K", 256, 84}, TypeQ3_K: {"Q3_K", 256, 110},
	TypeQ4_K: {"Q4_K", 256, 144}, TypeQ5_K: {"Q5_K", 256, 176},
	TypeQ6_K: {"Q6_K", 256, 210}, TypeQ8_K: {"Q8_K", 256, 292},
	TypeIQ2_XXS: {"IQ2_XXS", 256, 66}, TypeIQ2_XS: {"IQ2_XS", 256, 74},
	TypeIQ3_XXS: {"IQ3_XXS", 256, 98}, TypeIQ1_S: {"IQ1_S", 256, 50},
	TypeIQ4_NL: {"IQ4_NL", 32, 18}, TypeIQ3_S: {"IQ3_S", 256, 110},
	TypeIQ2_S: {"IQ2_S", 256, 82}, TypeIQ4_XS: {"IQ4_XS", 256, 136},
	TypeI8: {"I8", 1, 1}, TypeI16: {"I16", 1, 2}, TypeI32: {"I32", 1, 4}, TypeI64: {"I64", 1, 8},
	TypeF64: {"F64", 1, 8}, TypeIQ1_M: {"IQ1_M", 256, 56}, TypeBF16: {"BF16", 1, 2},
	TypeTQ1_0: {"TQ1_0", 256, 54}, TypeTQ2_0: {"TQ2_0", 256, 66}, TypeMXFP4: {"MXFP4", 32, 17},
}

// String returns ggml's name for the type ("F32", "Q8_0"…).
func (t GGMLType) String() string {
	if tr, ok := ggmlTypes[t]; ok {
		return tr.name
	}
	return fmt.Sprintf("ggml_type(%d)", uint32(t))
}

// Known reports whether the package knows the type's block layout.
func (t GGMLType) Known() bool {
	_, ok := ggmlTypes[t]
	return ok
}

// BlockSize is the number of elements in one block (1 for plain types).
func (t GGMLType) BlockSize() uint64 { return ggmlTypes[t].blockSize }

// TypeSize is the number of bytes of one block.
func (t GGMLType) TypeSize() uint64 { return ggmlTypes[t].typeSize }

// MaxDims is the most dimensions a tensor may have (GGML_MAX_DIMS).
const MaxDims = 4

// TensorInfo describes one tensor: its data is Size() bytes at
// File.DataOffset + Offset.
type TensorInfo struct {
	// Name is the tensor's name ("blk.0.attn_q.weight").
	Name string
	// Dims are the extents, innermost (contiguous) first, as ggml's ne[].
	Dims []uint64
	// Type is the storage type.
	Type GGMLType
	// Offset is the byte offset of the data from the start of the data
	// section; a multiple of the file's alignment.
	Offset uint64
}

// NumElements is the product of the dimensions; ok is false on overflow.
func (t TensorInfo) NumElements() (n uint64, ok bool) {
	n = 1
	for _, d := range t.Dims {
		hi, lo := bits.Mul64(n, d)
		if hi != 0 || lo > 1<<63-1 {
			return 0, false
		}
		n = lo
	}
	return n, true
}

// Size returns the byte size of the tensor's data, or an error for an unknown
// type, a first dimension that is not a multiple of the block size, or a size
// that overflows.
func (t TensorInfo) Size() (uint64, error) {
	tr, ok := ggmlTypes[t.Type]
	if !ok {
		return 0, fmt.Errorf("gguf: tensor %q: unknown ggml type %d", t.Name, uint32(t.Type))
	}
	n, ok := t.NumElements()
	if !ok {
		return 0, fmt.Errorf("gguf: tensor %q: element count of %v overflows", t.Name, t.Dims)
	}
	if len(t.Dims) > 0 && t.Dims[0]%tr.blockSize != 0 {
		return 0, fmt.Errorf("gguf: tensor %q: first dimension %d is not a multiple of the %s block size %d", t.Name, t.Dims[0], tr.name, tr.blockSize)
	}
	hi, lo := bits.Mul64(n/tr.blockSize, tr.typeSize)
	if hi != 0 || lo > 1<<63-1 {
		return 0, fmt.Errorf("gguf: tensor %q: byte size overflows", t.Name)
	}
	return lo, nil
}
