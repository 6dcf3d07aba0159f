package quant

import (
	"fmt"
	"sync/atomic"
)

// RowQuantizer encodes a whole row src (len(src) a multiple of the type's
// block size) into dst (exactly RowSize(len(src)) bytes).
type RowQuantizer func(src []float32, dst []byte)

// fastQuantizers holds the fast paths registered with
// RegisterFastQuantizer, indexed by Type (only types below the array's
// length can have one).
var fastQuantizers [32]atomic.Pointer[RowQuantizer]

// RegisterFastQuantizer makes Quantize use f for rows of type t instead of
// the reference quantizer (nil restores the reference). It is the hook for
// SIMD quantizers living in other packages (package kernels registers its
// assembly Q8_K activation quantizer): f must write exactly the bytes the
// reference writes, for every input (NaN, Inf and subnormals included), and
// its package's tests must hold it to QuantizeRef. It is safe to call
// concurrently with Quantize.
func RegisterFastQuantizer(t Type, f RowQuantizer) error {
	if int(t) >= len(fastQuantizers) || quantizers[t] == nil {
		return fmt.Errorf("quant: no reference quantizer for %v, so no fast one can replace it", t)
	}
	if f == nil {
		fastQuantizers[t].Store(nil)
	} else {
		fastQuantizers[t].Store(&f)
	}
	return nil
}

// QuantizeRef is Quantize with the reference quantizers (the
// quantize_row_*_ref transcriptions), whatever fast path is registered:
// what tests hold the fast paths to.
func QuantizeRef(t Type, src []float32, dst []byte) (int, error) {
	return quantize(t, src, dst, false)
}
