package kernels

import (
	"encoding/binary"
	"math"

	"github.com/llmpipe/llmpipe/quant"
)

// The k-quant block layouts the Q4_K and Q6_K kernels read (ggml-common.h;
// quant's dequantizers document every field). A weight row is n/256 blocks,
// the activation row the same number of block_q8_K:
//
//	block_q4_K (144 bytes): d fp16 (0-1), dmin fp16 (2-3), scales [12]uint8 (4-15), qs [128]uint8 (16-143)
//	block_q6_K (210 bytes): ql [128]uint8 (0-127), qh [64]uint8 (128-191), scales [16]int8 (192-207), d fp16 (208-209)
//	block_q8_K (292 bytes): d float32 (0-3), qs [256]int8 (4-259), bsums [16]int16 (260-291)
const (
	// qkK is the number of elements in one k-quant block (QK_K).
	qkK = 256
	// q4KBlockBytes is the size of one block_q4_K.
	q4KBlockBytes = 144
	// q6KBlockBytes is the size of one block_q6_K.
	q6KBlockBytes = 210
	// q8KBlockBytes is the size of one block_q8_K.
	q8KBlockBytes = 292
)

// q8KScale returns block_q8_K's float32 scale d.
func q8KScale(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }

// q8KBsum returns bsums[j] of a block_q8_K: the sum of its quants 16j..16j+15.
func q8KBsum(b []byte, j int) int32 { return int32(int16(binary.LittleEndian.Uint16(b[260+2*j:]))) }

func f16At(b []byte) float32 { return quant.FP16ToFP32(binary.LittleEndian.Uint16(b)) }

// unpackScalesQ4K returns the 8 6-bit scales and 8 6-bit mins of a
// block_q4_K's 12 scale bytes, as ggml's kernels unpack them (the utmp
// shuffle with kmask1..3): group j's scale and min are those of
// get_scale_min_k4(j).
func unpackScalesQ4K(s []byte) (scales, mins [8]uint8) {
	const kmask1, kmask2, kmask3 = 0x3f3f3f3f, 0x0f0f0f0f, 0x03030303
	u0 := binary.LittleEndian.Uint32(s[0:])
	u1 := binary.LittleEndian.Uint32(s[4:])
	u2 := binary.LittleEndian.Uint32(s[8:])
	u3 := (u2>>4)&kmask2 | ((u1>>6)&kmask3)<<4
	m0 := u1 & kmask1
	s1 := u2&kmask2 | ((u0>>6)&kmask3)<<4
	s0 := u0 & kmask1
	binary.LittleEndian.PutUint32(scales[0:], s0)
	binary.LittleEndian.PutUint32(scales[4:], s1)
	binary.LittleEndian.PutUint32(mins[0:], m0)
	binary.LittleEndian.PutUint32(mins[4:], u3)
	return scales, mins
}

// dotQ4KRef is ggml's generic ggml_vec_dot_q4_K_q8_K (ggml-cpu/quants.c),
// operation for operation. Per block, with 4-bit quants a (0..15) and the
// activation quants q8:
//
//   - aux32[l] (int32, l = 0..7) += scale[g]·(q8[i]·a[i]) for every element
//     i ≡ l (mod 8) of group g (32 elements), all in exact integers;
//   - sumi = Σ_j bsums[j]·min[j/2] (the activation block's precomputed sums
//     of 16 quants times the 6-bit mins);
//   - sums[l] += (fp16(d)·y.d)·float32(aux32[l]), rounded after the product
//     and after the sum (no fusion);
//   - sumf -= (fp16(dmin)·y.d)·float32(sumi), likewise.
//
// At the end sumf += sums[0], …, sums[7] in that order.
//
//	w: [n/256]block_q4_K   x: [n/256]block_q8_K
func dotQ4KRef(w, x []byte, n int) float32 {
	nb := n / qkK
	var sums [8]float32
	var sumf float32
	var a [qkK]int8
	for i := 0; i < nb; i++ {
		bw := w[i*q4KBlockBytes : (i+1)*q4KBlockBytes]
		bx := x[i*q8KBlockBytes : (i+1)*q8KBlockBytes]
		q4 := bw[16:144]
		for j := 0; j < qkK/64; j++ {
			for l := 0; l < 32; l++ {
				a[64*j+l] = int8(q4[32*j+l] & 0xF)
				a[64*j+32+l] = int8(q4[32*j+l] >> 4)
			}
		}
		scales, mins := unpackScalesQ4K(bw[4:16])
		var sumi int32
		for j := 0; j < qkK/16; j++ {
			sumi += q8KBsum(bx, j) * int32(mins[j/2])
		}
		q8 := bx[4:260]
		var aux32 [8]int32
		for k := 0; k < qkK/8; k++ {
			scale := int32(scales[k/4])
			for l := 0; l < 8; l++ {
				aux16 := int16(int32(int8(q8[8*k+l])) * int32(a[8*k+l]))
				aux32[l] += scale * int32(aux16)
			}
		}
		d := float32(f16At(bw[0:]) * q8KScale(bx))
		for l := 0; l < 8; l++ {
			sums[l] = float32(sums[l] + float32(d*float32(aux32[l])))
		}
		dmin := float32(f16At(bw[2:]) * q8KScale(bx))
		sumf = float32(sumf - float32(dmin*float32(sumi)))
	}
	for l := 0; l < 8; l++ {
		sumf = float32(sumf + sums[l])
	}
	return sumf
}

// dotQ6KRef is ggml's generic ggml_vec_dot_q6_K_q8_K (ggml-cpu/quants.c),
// operation for operation. Per block, with the 6-bit quants a = q-32
// (-32..31) and the activation quants q8:
//
//   - aux32[l] (int32, l = 0..7) += scale[g]·(q8[i]·a[i]) for every element
//     i ≡ l (mod 8) of group g (16 elements; int8 scales), in exact integers;
//   - sums[l] += (fp16(d)·y.d)·float32(aux32[l]), rounded after the product
//     and after the sum (no fusion).
//
// At the end the result is ((0 + sums[0]) + sums[1]) + … + sums[7].
//
//	w: [n/256]block_q6_K   x: [n/256]block_q8_K
func dotQ6KRef(w, x []byte, n int) float32 {
	nb := n / qkK
	var sums [8]float32
	var a [qkK]int8
	for i := 0; i < nb; i++ {
		bw := w[i*q6KBlockBytes : (i+1)*q6KBlockBytes]
		bx := x[i*q8KBlockBytes : (i+1)*q8KBlockBytes]
		for h := 0; h < 2; h++ {
			ql := bw[64*h : 64*h+64]
			qh := bw[128+32*h : 128+32*h+32]
			o := a[128*h:]
			for l := 0; l < 32; l++ {
				o[l] = int8(ql[l]&0xF|(qh[l]&3)<<4) - 32
				o[l+32] = int8(ql[l+32]&0xF|((qh[l]>>2)&3)<<4) - 32
				o[l+64] = int8(ql[l]>>4|((qh[l]>>4)&3)<<4) - 32
				o[l+96] = int8(ql[l+32]>>4|((qh[l]>>6)&3)<<4) - 32
			}
		}
		sc := bw[192:208]
		q8 := bx[4:260]
		var aux32 [8]int32
		for k := 0; k < qkK/8; k++ {
			scale := int32(int8(sc[k/2]))
			for l := 0; l < 8; l++ {
				aux16 := int16(int32(int8(q8[8*k+l])) * int32(a[8*k+l]))
				aux32[l] += scale * int32(aux16)
			}
		}
		d := float32(f16At(bw[208:]) * q8KScale(bx))
		for l := 0; l < 8; l++ {
			sums[l] = float32(sums[l] + float32(d*float32(aux32[l])))
		}
	}
	var sumf float32
	for l := 0; l < 8; l++ {
		sumf = float32(sumf + sums[l])
	}
	return sumf
}

func init() {
	// ggml quantizes the activations of every k-quant matrix product to
	// Q8_K first: type_traits_cpu[GGML_TYPE_Q4_K/Q6_K].vec_dot_type.
	RegisterQKernel(quant.Q4_K, QKernel{Act: quant.Q8_K, Ref: dotQ4KRef})
	RegisterQKernel(quant.Q6_K, QKernel{Act: quant.Q8_K, Ref: dotQ6KRef})
}
