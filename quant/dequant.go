package quant

import (
	"encoding/binary"
	"fmt"
	"math"
)

func half(b []byte) float32 { return FP16ToFP32(binary.LittleEndian.Uint16(b)) }

// Dequantize converts the len(dst) elements stored in src as type t to
// float32, bit-identical to ggml's dequantize_row_* (see the per-type
// functions for layouts and formulas). len(dst) must be a multiple of t's
// block size and src must hold at least RowSize(len(dst)) bytes; extra bytes
// are ignored. It never panics: bad arguments give an error.
func Dequantize(t Type, src []byte, dst []float32) error {
	size, err := t.RowSize(int64(len(dst)))
	if err != nil {
		return err
	}
	if int64(len(src)) < size {
		return fmt.Errorf("quant: %v: %d elements need %d bytes, have %d", t, len(dst), size, len(src))
	}
	src = src[:size]
	var f func([]byte, []float32)
	switch t {
	case F32:
		f = dequantF32
	case F16:
		f = dequantF16
	case BF16:
		f = dequantBF16
	case Q4_0:
		f = dequantQ4_0
	case Q4_1:
		f = dequantQ4_1
	case Q5_0:
		f = dequantQ5_0
	case Q5_1:
		f = dequantQ5_1
	case Q8_0:
		f = dequantQ8_0
	case Q8_1:
		f = dequantQ8_1
	case Q2_K:
		f = dequantQ2_K
	case Q3_K:
		f = dequantQ3_K
	case Q4_K:
		f = dequantQ4_K
	case Q5_K:
		f = dequantQ5_K
	case Q6_K:
		f = dequantQ6_K
	case Q8_K:
		f = dequantQ8_K
	default:
		return fmt.Errorf("quant: no dequantizer for %v", t)
	}
	bs, ts := t.BlockSize(), t.TypeSize()
	for i := 0; i < len(dst); i += bs {
		f(src[i/bs*ts:][:ts], dst[i:i+bs])
	}
	return nil
}

// dequantF32: 4 bytes, a little-endian IEEE binary32.
func dequantF32(b []byte, y []float32) { y[0] = math.Float32frombits(binary.LittleEndian.Uint32(b)) }

// dequantF16: 2 bytes, binary16, converted by FP16ToFP32.
func dequantF16(b []byte, y []float32) { y[0] = half(b) }

// dequantBF16: 2 bytes, bfloat16, converted by BF16ToFP32.
func dequantBF16(b []byte, y []float32) { y[0] = BF16ToFP32(binary.LittleEndian.Uint16(b)) }

// dequantQ4_0 decodes block_q4_0 (18 bytes, 32 elements):
//
//	d  fp16      bytes 0-1
//	qs [16]uint8 bytes 2-17: element j in the low nibble of qs[j], element j+16 in the high nibble
//
// y[j] = (q[j] - 8) * d.
func dequantQ4_0(b []byte, y []float32) {
	d := half(b)
	qs := b[2:18]
	for j := 0; j < 16; j++ {
		y[j] = float32(int32(qs[j]&0x0F)-8) * d
		y[j+16] = float32(int32(qs[j]>>4)-8) * d
	}
}

// dequantQ4_1 decodes block_q4_1 (20 bytes, 32 elements):
//
//	d  fp16      bytes 0-1 (scale)
//	m  fp16      bytes 2-3 (minimum)
//	qs [16]uint8 bytes 4-19: nibbles as in Q4_0
//
// y[j] = q[j]*d + m (the product rounded to float32 before the sum).
func dequantQ4_1(b []byte, y []float32) {
	d, m := half(b), half(b[2:])
	qs := b[4:20]
	for j := 0; j < 16; j++ {
		y[j] = float32(float32(qs[j]&0x0F)*d) + m
		y[j+16] = float32(float32(qs[j]>>4)*d) + m
	}
}

// dequantQ5_0 decodes block_q5_0 (22 bytes, 32 elements):
//
//	d  fp16      bytes 0-1
//	qh uint32    bytes 2-5: bit j is the fifth bit of element j
//	qs [16]uint8 bytes 6-21: low four bits, nibbles as in Q4_0
//
// y[j] = (q[j] - 16) * d with q[j] = nibble | qh bit j << 4.
func dequantQ5_0(b []byte, y []float32) {
	d := half(b)
	qh := binary.LittleEndian.Uint32(b[2:])
	qs := b[6:22]
	for j := 0; j < 16; j++ {
		h0 := uint8((qh>>j)<<4) & 0x10
		h1 := uint8(qh>>(j+12)) & 0x10
		y[j] = float32(int32(qs[j]&0x0F|h0)-16) * d
		y[j+16] = float32(int32(qs[j]>>4|h1)-16) * d
	}
}

// dequantQ5_1 decodes block_q5_1 (24 bytes, 32 elements):
//
//	d  fp16      bytes 0-1
//	m  fp16      bytes 2-3
//	qh uint32    bytes 4-7: fifth bits as in Q5_0
//	qs [16]uint8 bytes 8-23
//
// y[j] = q[j]*d + m, q[j] in 0..31.
func dequantQ5_1(b []byte, y []float32) {
	d, m := half(b), half(b[2:])
	qh := binary.LittleEndian.Uint32(b[4:])
	qs := b[8:24]
	for j := 0; j < 16; j++ {
		h0 := uint8((qh>>j)<<4) & 0x10
		h1 := uint8(qh>>(j+12)) & 0x10
		y[j] = float32(float32(qs[j]&0x0F|h0)*d) + m
		y[j+16] = float32(float32(qs[j]>>4|h1)*d) + m
	}
}

// dequantQ8_0 decodes block_q8_0 (34 bytes, 32 elements):
//
//	d  fp16     bytes 0-1
//	qs [32]int8 bytes 2-33
//
// y[j] = qs[j] * d.
func dequantQ8_0(b []byte, y []float32) {
	d := half(b)
	for j := 0; j < 32; j++ {
		y[j] = float32(int8(b[2+j])) * d
	}
}

// dequantQ8_1 decodes block_q8_1 (36 bytes, 32 elements):
//
//	d  fp16     bytes 0-1
//	s  fp16     bytes 2-3 (d * sum(qs), used by dot products only)
//	qs [32]int8 bytes 4-35
//
// y[j] = qs[j] * d. (ggml has no dequantize_row_q8_1: Q8_1 is an
// intermediate type of its dot products; this follows the layout.)
func dequantQ8_1(b []byte, y []float32) {
	d := half(b)
	for j := 0; j < 32; j++ {
		y[j] = float32(int8(b[4+j])) * d
	}
}

// dequantQ2_K decodes block_q2_K (84 bytes, 256 elements in 16 groups of 16):
//
//	scales [16]uint8 bytes 0-15:  group scale in the low nibble, group min in the high nibble
//	qs     [64]uint8 bytes 16-79: 2-bit quants; for half n (0, 1) and shift s (0, 2, 4, 6),
//	                              element 128n + 32(s/2) + l is (qs[32n+l] >> s) & 3, l in 0..31
//	d      fp16      bytes 80-81: super-block scale of the scales
//	dmin   fp16      bytes 82-83: super-block scale of the mins
//
// y = (d*sc)*q - dmin*m, with sc, m the 4-bit scale and min of the element's group.
func dequantQ2_K(b []byte, y []float32) {
	sc := b[0:16]
	qs := b[16:80]
	d, dmin := half(b[80:]), half(b[82:])
	is, k := 0, 0
	for n := 0; n < 2; n++ {
		q := qs[32*n:]
		for shift := uint(0); shift < 8; shift += 2 {
			for h := 0; h < 2; h++ {
				s := sc[is]
				is++
				dl := d * float32(s&0xF)
				ml := dmin * float32(s>>4)
				for l := 0; l < 16; l++ {
					y[k] = float32(dl*float32((q[l+16*h]>>shift)&3)) - ml
					k++
				}
			}
		}
	}
}

// dequantQ3_K decodes block_q3_K (110 bytes, 256 elements in 16 groups of 16):
//
//	hmask  [32]uint8 bytes 0-31:   high bit; element 32m + l has it in bit m of hmask[l]
//	qs     [64]uint8 bytes 32-95:  low 2 bits, packed as Q2_K's qs
//	scales [12]uint8 bytes 96-107: 16 6-bit scales: low 4 bits of scale j in nibble j/8 of byte j%8,
//	                               high 2 bits in bits 2(j/4)..2(j/4)+1 of byte 8 + j%4
//	d      fp16      bytes 108-109
//
// y = d*(scale-32) * (q - (high bit set ? 0 : 4)).
func dequantQ3_K(b []byte, y []float32) {
	hm := b[0:32]
	qs := b[32:96]
	s := b[96:108]
	dAll := half(b[108:])
	var scales [16]int8
	for j := 0; j < 16; j++ {
		var lo uint8
		if j < 8 {
			lo = s[j] & 0xF
		} else {
			lo = s[j-8] >> 4
		}
		hi := (s[8+j%4] >> (2 * (j / 4))) & 3
		scales[j] = int8(lo | hi<<4)
	}
	is, k := 0, 0
	m := uint8(1)
	for n := 0; n < 2; n++ {
		q := qs[32*n:]
		for shift := uint(0); shift < 8; shift += 2 {
			for h := 0; h < 2; h++ {
				dl := dAll * float32(int32(scales[is])-32)
				is++
				for l := 0; l < 16; l++ {
					v := int32((q[l+16*h] >> shift) & 3)
					if hm[l+16*h]&m == 0 {
						v -= 4
					}
					y[k] = dl * float32(v)
					k++
				}
			}
			m <<= 1
		}
	}
}

// scaleMinK4 unpacks the 6-bit scale and min of group j (0..7) from the 12
// scale bytes of Q4_K and Q5_K (get_scale_min_k4): for j < 4 scale = q[j]&63,
// min = q[j+4]&63; otherwise the low 4 bits come from q[j+4] (scale low
// nibble, min high nibble) and the high 2 bits from the top bits of q[j-4]
// (scale) and q[j] (min).
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xF | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// dequantQ4_K decodes block_q4_K (144 bytes, 256 elements in 8 groups of 32):
//
//	d      fp16       bytes 0-1
//	dmin   fp16       bytes 2-3
//	scales [12]uint8  bytes 4-15: 8 6-bit scales and mins (see scaleMinK4)
//	qs     [128]uint8 bytes 16-143: for chunk c (0..3), group 2c in the low nibbles of
//	                                qs[32c:32c+32], group 2c+1 in the high nibbles
//
// y = (d*sc)*q - dmin*m.
func dequantQ4_K(b []byte, y []float32) {
	d, dmin := half(b), half(b[2:])
	s := b[4:16]
	qs := b[16:144]
	for c := 0; c < 4; c++ {
		q := qs[32*c : 32*c+32]
		sc, m := scaleMinK4(2*c, s)
		d1, m1 := d*float32(sc), dmin*float32(m)
		sc, m = scaleMinK4(2*c+1, s)
		d2, m2 := d*float32(sc), dmin*float32(m)
		o := y[64*c:]
		for l := 0; l < 32; l++ {
			o[l] = float32(d1*float32(q[l]&0xF)) - m1
			o[l+32] = float32(d2*float32(q[l]>>4)) - m2
		}
	}
}

// dequantQ5_K decodes block_q5_K (176 bytes, 256 elements in 8 groups of 32):
//
//	d      fp16       bytes 0-1
//	dmin   fp16       bytes 2-3
//	scales [12]uint8  bytes 4-15: as Q4_K
//	qh     [32]uint8  bytes 16-47: fifth bit; element 32g + l has it in bit g of qh[l]
//	qs     [128]uint8 bytes 48-175: low 4 bits, as Q4_K's qs
//
// y = (d*sc)*(q + 16*high) - dmin*m.
func dequantQ5_K(b []byte, y []float32) {
	d, dmin := half(b), half(b[2:])
	s := b[4:16]
	qh := b[16:48]
	qs := b[48:176]
	u1, u2 := uint8(1), uint8(2)
	for c := 0; c < 4; c++ {
		q := qs[32*c : 32*c+32]
		sc, m := scaleMinK4(2*c, s)
		d1, m1 := d*float32(sc), dmin*float32(m)
		sc, m = scaleMinK4(2*c+1, s)
		d2, m2 := d*float32(sc), dmin*float32(m)
		o := y[64*c:]
		for l := 0; l < 32; l++ {
			v1, v2 := q[l]&0xF, q[l]>>4
			if qh[l]&u1 != 0 {
				v1 += 16
			}
			if qh[l]&u2 != 0 {
				v2 += 16
			}
			o[l] = float32(d1*float32(v1)) - m1
			o[l+32] = float32(d2*float32(v2)) - m2
		}
		u1 <<= 2
		u2 <<= 2
	}
}

// dequantQ6_K decodes block_q6_K (210 bytes, 256 elements in 16 groups of 16):
//
//	ql     [128]uint8 bytes 0-127:   low 4 bits
//	qh     [64]uint8  bytes 128-191: high 2 bits
//	scales [16]int8   bytes 192-207
//	d      fp16       bytes 208-209
//
// For half n (0, 1) and l in 0..31, with L = ql[64n:], H = qh[32n:]:
// element 128n+l is L[l]&15 | (H[l]&3)<<4, 128n+32+l is L[l+32]&15 | (H[l]>>2&3)<<4,
// 128n+64+l is L[l]>>4 | (H[l]>>4&3)<<4, 128n+96+l is L[l+32]>>4 | (H[l]>>6)<<4;
// y = (d*scale)*(q-32), the scale being scales[8n + l/16 + 2*(quarter)].
func dequantQ6_K(b []byte, y []float32) {
	d := half(b[208:])
	for n := 0; n < 2; n++ {
		ql := b[64*n : 64*n+64]
		qh := b[128+32*n : 128+32*n+32]
		sc := b[192+8*n : 192+8*n+8]
		o := y[128*n:]
		for l := 0; l < 32; l++ {
			is := l / 16
			q1 := int32(ql[l]&0xF|(qh[l]&3)<<4) - 32
			q2 := int32(ql[l+32]&0xF|((qh[l]>>2)&3)<<4) - 32
			q3 := int32(ql[l]>>4|((qh[l]>>4)&3)<<4) - 32
			q4 := int32(ql[l+32]>>4|((qh[l]>>6)&3)<<4) - 32
			o[l] = d * float32(int8(sc[is])) * float32(q1)
			o[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
			o[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
			o[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
		}
	}
}

// dequantQ8_K decodes block_q8_K (292 bytes, 256 elements):
//
//	d     float32    bytes 0-3 (not fp16)
//	qs    [256]int8  bytes 4-259
//	bsums [16]int16  bytes 260-291 (sums of groups of 16 quants, for dot products)
//
// y[j] = d * qs[j].
func dequantQ8_K(b []byte, y []float32) {
	d := math.Float32frombits(binary.LittleEndian.Uint32(b))
	for j := 0; j < 256; j++ {
		y[j] = d * float32(int8(b[4+j]))
	}
}
