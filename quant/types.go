package quant

import (
	"fmt"
	"math/bits"
)

// Type is a ggml tensor storage type; the numbers are ggml_type's, as GGUF
// files store them.
type Type uint32

// The types this package knows. Their numbers are fixed by ggml and GGUF.
const (
	F32  Type = 0
	F16  Type = 1
	Q4_0 Type = 2
	Q4_1 Type = 3
	Q5_0 Type = 6
	Q5_1 Type = 7
	Q8_0 Type = 8
	Q8_1 Type = 9
	Q2_K Type = 10
	Q3_K Type = 11
	Q4_K Type = 12
	Q5_K Type = 13
	Q6_K Type = 14
	Q8_K Type = 15
	BF16 Type = 30
)

// QK is the block size of the 32-element formats (QK4_0, QK8_0… in ggml).
const QK = 32

// QKK is the super-block size of the k-quants (QK_K in ggml).
const QKK = 256

type traits struct {
	name      string
	blockSize int
	typeSize  int
}

var table = map[Type]traits{
	F32:  {"F32", 1, 4},
	F16:  {"F16", 1, 2},
	BF16: {"BF16", 1, 2},
	Q4_0: {"Q4_0", QK, 18},
	Q4_1: {"Q4_1", QK, 20},
	Q5_0: {"Q5_0", QK, 22},
	Q5_1: {"Q5_1", QK, 24},
	Q8_0: {"Q8_0", QK, 34},
	Q8_1: {"Q8_1", QK, 36},
	Q2_K: {"Q2_K", QKK, 84},
	Q3_K: {"Q3_K", QKK, 110},
	Q4_K: {"Q4_K", QKK, 144},
	Q5_K: {"Q5_K", QKK, 176},
	Q6_K: {"Q6_K", QKK, 210},
	Q8_K: {"Q8_K", QKK, 292},
}

// Types lists every type the package knows, in ggml_type order.
func Types() []Type {
	return []Type{F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K, BF16}
}

// String returns ggml's name of the type ("Q8_0"), or "ggml_type(N)" for a
// type the package does not know.
func (t Type) String() string {
	if tr, ok := table[t]; ok {
		return tr.name
	}
	return fmt.Sprintf("ggml_type(%d)", uint32(t))
}

// Known reports whether the package knows the type's layout.
func (t Type) Known() bool {
	_, ok := table[t]
	return ok
}

// BlockSize is the number of elements in one block (1 for F32, F16, BF16;
// 32 for Q4_0…Q8_1; 256 for the k-quants), or 0 for an unknown type.
func (t Type) BlockSize() int { return table[t].blockSize }

// TypeSize is the number of bytes of one block, or 0 for an unknown type.
func (t Type) TypeSize() int { return table[t].typeSize }

// RowSize returns the bytes taken by n elements of type t
// (n/BlockSize*TypeSize, ggml_row_size). It fails for an unknown type, a
// negative n, an n that is not a multiple of the block size, or a size that
// overflows int64.
func (t Type) RowSize(n int64) (int64, error) {
	tr, ok := table[t]
	if !ok {
		return 0, fmt.Errorf("quant: unknown type %v", t)
	}
	if n < 0 {
		return 0, fmt.Errorf("quant: %v: negative element count %d", t, n)
	}
	if n%int64(tr.blockSize) != 0 {
		return 0, fmt.Errorf("quant: %v: %d elements is not a multiple of the block size %d", t, n, tr.blockSize)
	}
	hi, lo := bits.Mul64(uint64(n/int64(tr.blockSize)), uint64(tr.typeSize))
	if hi != 0 || lo > 1<<63-1 {
		return 0, fmt.Errorf("quant: %v: size of %d elements overflows int64", t, n)
	}
	return int64(lo), nil
}
