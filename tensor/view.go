package tensor

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// littleEndian reports whether the machine stores numbers little-endian, as
// GGUF and safetensors do.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// F32View returns b as float32 values without copying, when the machine is
// little-endian, b is 4-byte aligned and len(b) is a multiple of 4; ok is
// false otherwise (use F32BytesToF32). The view aliases b.
func F32View(b []byte) (v []float32, ok bool) {
	if !littleEndian || len(b)%4 != 0 {
		return nil, false
	}
	if len(b) == 0 {
		return []float32{}, true
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	if uintptr(p)%4 != 0 {
		return nil, false
	}
	return unsafe.Slice((*float32)(p), len(b)/4), true
}

// F32BytesToF32 decodes len(dst) little-endian float32 values from b (which
// must hold 4·len(dst) bytes) into dst.
func F32BytesToF32(dst []float32, b []byte) {
	_ = b[:4*len(dst)]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// BF16BytesToF32 decodes len(dst) little-endian bfloat16 values (the top 16
// bits of a float32) from b (2·len(dst) bytes) into dst.
func BF16BytesToF32(dst []float32, b []byte) {
	_ = b[:2*len(dst)]
	for i := range dst {
		dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
	}
}
