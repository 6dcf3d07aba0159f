package kernels

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/llmpipe/llmpipe/quant"
	"github.com/llmpipe/llmpipe/tensor"
)

// References for the remaining ggml weight types of a matrix product: ggml's
// generic (non-SIMD) vec_dot functions of ggml-cpu/quants.c, with the same
// integer accumulators and the same float32 operations in the same order.
// Every float32 product that feeds a sum is written float32(a*b), so the Go
// compiler cannot fuse it into an FMA (ggml's generic code rounds each one).
//
//	type   vec_dot_type  block (bytes)  reference
//	Q4_1   Q8_1          20             ggml_vec_dot_q4_1_q8_1_generic
//	Q5_0   Q8_0          22             ggml_vec_dot_q5_0_q8_0_generic
//	Q5_1   Q8_1          24             ggml_vec_dot_q5_1_q8_1_generic
//	Q2_K   Q8_K          84             ggml_vec_dot_q2_K_q8_K_generic
//	Q3_K   Q8_K          110            ggml_vec_dot_q3_K_q8_K_generic
//	Q5_K   Q8_K          176            ggml_vec_dot_q5_K_q8_K_generic
//
// The block layouts are documented with quant's dequantizers (quant/dequant.go).
// Activation blocks: block_q8_1 is d fp16, s fp16 (= fp16(d·Σqs)), qs [32]int8;
// block_q8_K is d float32, qs [256]int8, bsums [16]int16 (sums of 16 qs).

// otherqHalf reads the little-endian fp16 at b[0:2] as float32.
func otherqHalf(b []byte) float32 { return tensor.F16ToF32(binary.LittleEndian.Uint16(b)) }

// otherqF32 reads the little-endian float32 at b[0:4].
func otherqF32(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }

// otherqCheck panics with the shapes when w and x are not n elements of
// weight type wt and activation type xt (a programmer error: MatMulQ checks
// its arguments before any dot product runs).
func otherqCheck(name string, wt, xt quant.Type, w, x []byte, n int) int {
	bs := wt.BlockSize()
	nb := n / bs
	if n < 0 || n%bs != 0 || len(w) < nb*wt.TypeSize() || len(x) < nb*xt.TypeSize() {
		panic(fmt.Sprintf("kernels: %s of %d elements: w %d bytes, x %d bytes (want %d and %d)",
			name, n, len(w), len(x), nb*wt.TypeSize(), nb*xt.TypeSize()))
	}
	return nb
}

// dotQ4_1Q8_1Ref is ggml_vec_dot_q4_1_q8_1_generic: per block the integer
// sums sumi = Σ_{j<16} lo_j·y.qs[j] + Σ_{j<16} hi_j·y.qs[j+16] (nibbles
// 0..15, no offset), then sumf += (x.d·y.d)·sumi + x.m·y.s in float32.
//
//	w: [n/32] block_q4_1   x: [n/32] block_q8_1
func dotQ4_1Q8_1Ref(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ4_1Q8_1Ref", quant.Q4_1, quant.Q8_1, w, x, n)
	var sumf float32
	for i := 0; i < nb; i++ {
		bw, bx := w[i*20:i*20+20], x[i*36:i*36+36]
		var sumi0, sumi1 int32
		for j := 0; j < 16; j++ {
			sumi0 += int32(bw[4+j]&0x0F) * int32(int8(bx[4+j]))
			sumi1 += int32(bw[4+j]>>4) * int32(int8(bx[4+j+16]))
		}
		dd := float32(otherqHalf(bw) * otherqHalf(bx))
		t1 := float32(dd * float32(sumi0+sumi1))
		t2 := float32(otherqHalf(bw[2:]) * otherqHalf(bx[2:]))
		sumf += t1 + t2
	}
	return sumf
}

// dotQ5_0Q8_0Ref is ggml_vec_dot_q5_0_q8_0_generic: the 5-bit values
// (nibble | qh bit << 4) - 16, integer sums as in Q4_0, then
// sumf += (x.d·y.d)·sumi in float32.
//
//	w: [n/32] block_q5_0   x: [n/32] block_q8_0
func dotQ5_0Q8_0Ref(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ5_0Q8_0Ref", quant.Q5_0, quant.Q8_0, w, x, n)
	var sumf float32
	for i := 0; i < nb; i++ {
		bw, bx := w[i*22:i*22+22], x[i*34:i*34+34]
		qh := binary.LittleEndian.Uint32(bw[2:])
		var sumi0, sumi1 int32
		for j := 0; j < 16; j++ {
			h0 := uint8((qh>>j)&1) << 4
			h1 := uint8((qh>>(j+16))&1) << 4
			x0 := int32(int8((bw[6+j]&0x0F | h0) - 16))
			x1 := int32(int8((bw[6+j]>>4 | h1) - 16))
			sumi0 += x0 * int32(int8(bx[2+j]))
			sumi1 += x1 * int32(int8(bx[2+j+16]))
		}
		dd := float32(otherqHalf(bw) * otherqHalf(bx))
		sumf += float32(dd * float32(sumi0+sumi1))
	}
	return sumf
}

// dotQ5_1Q8_1Ref is ggml_vec_dot_q5_1_q8_1_generic: the 5-bit values
// nibble | qh bit << 4 (0..31), then sumf += (x.d·y.d)·sumi + x.m·y.s.
//
//	w: [n/32] block_q5_1   x: [n/32] block_q8_1
func dotQ5_1Q8_1Ref(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ5_1Q8_1Ref", quant.Q5_1, quant.Q8_1, w, x, n)
	var sumf float32
	for i := 0; i < nb; i++ {
		bw, bx := w[i*24:i*24+24], x[i*36:i*36+36]
		qh := binary.LittleEndian.Uint32(bw[4:])
		var sumi0, sumi1 int32
		for j := 0; j < 16; j++ {
			h0 := uint8((qh>>j)&1) << 4
			h1 := uint8((qh>>(j+16))&1) << 4
			sumi0 += int32(bw[8+j]&0x0F|h0) * int32(int8(bx[4+j]))
			sumi1 += int32(bw[8+j]>>4|h1) * int32(int8(bx[4+j+16]))
		}
		dd := float32(otherqHalf(bw) * otherqHalf(bx))
		t1 := float32(dd * float32(sumi0+sumi1))
		t2 := float32(otherqHalf(bw[2:]) * otherqHalf(bx[2:]))
		sumf += t1 + t2
	}
	return sumf
}

// dotQ2_KQ8_KRef is ggml_vec_dot_q2_K_q8_K_generic. Per super-block:
// summs = Σ_{j<16} y.bsums[j]·(scale byte j >> 4) (the mins), isum = Σ over
// the 16 groups of (scale byte & 15)·Σ_l q8·q2 (q2 the 2-bit values), then
// sumf += dall·isum - dmin·summs with dall = y.d·x.d, dmin = y.d·x.dmin.
//
//	w: [n/256] block_q2_K   x: [n/256] block_q8_K
func dotQ2_KQ8_KRef(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ2_KQ8_KRef", quant.Q2_K, quant.Q8_K, w, x, n)
	var sumf float32
	for i := 0; i < nb; i++ {
		bw, bx := w[i*84:i*84+84], x[i*292:i*292+292]
		sc := bw[0:16]
		q8 := bx[4:260]
		var summs int32
		for j := 0; j < 16; j++ {
			summs += int32(int16(binary.LittleEndian.Uint16(bx[260+2*j:]))) * int32(sc[j]>>4)
		}
		yd := otherqF32(bx)
		dall := float32(yd * otherqHalf(bw[80:]))
		dmin := float32(yd * otherqHalf(bw[82:]))
		var isum int32
		is := 0
		for k := 0; k < 2; k++ {
			q2 := bw[16+32*k : 16+32*k+32]
			for j := 0; j < 4; j++ {
				shift := uint(2 * j)
				q := q8[128*k+32*j:]
				for h := 0; h < 2; h++ {
					d := int32(sc[is] & 0xF)
					is++
					var isuml int32
					for l := 16 * h; l < 16*h+16; l++ {
						isuml += int32(int8(q[l])) * int32((q2[l]>>shift)&3)
					}
					isum += d * isuml
				}
			}
		}
		sumf += float32(dall*float32(isum)) - float32(dmin*float32(summs))
	}
	return sumf
}

// otherqScalesQ3K unpacks the 16 6-bit scales of a block_q3_K (12 bytes):
// the low 4 bits of scale j in nibble j/8 of byte j%8, the high 2 bits in
// bits 2(j/4).. of byte 8+j%4 (ggml's kmask1/kmask2 unpacking).
func otherqScalesQ3K(s []byte) (sc [16]int8) {
	for j := 0; j < 16; j++ {
		lo := s[j%8] >> (4 * (j / 8)) & 0xF
		hi := (s[8+j%4] >> (2 * (j / 4))) & 3
		sc[j] = int8(lo | hi<<4)
	}
	return sc
}

// dotQ3_KQ8_KRef is ggml_vec_dot_q3_K_q8_K_generic. Per super-block: the
// 256 values a = (2 low bits) - (high bit clear ? 4 : 0), then for each
// group of 16 and each lane l < 8: aux32[l] += (scale-32)·int16(q8·a) over
// the elements at positions ≡ l mod 8; sums[l] += (x.d·y.d)·aux32[l] in
// float32. The result is sums[0] + … + sums[7], added in lane order.
//
//	w: [n/256] block_q3_K   x: [n/256] block_q8_K
func dotQ3_KQ8_KRef(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ3_KQ8_KRef", quant.Q3_K, quant.Q8_K, w, x, n)
	var sums [8]float32
	for i := 0; i < nb; i++ {
		bw, bx := w[i*110:i*110+110], x[i*292:i*292+292]
		hm := bw[0:32]
		q8 := bx[4:260]
		sc := otherqScalesQ3K(bw[96:108])
		// aux32[l] = Σ (scale-32)·q8·a over the elements ≡ l mod 8, as ggml
		// sums it (its int16 products never overflow: |q8·a| ≤ 512), here
		// grouped per 32-element slice: groups 2s and 2s+1 of that slice.
		var aux32 [8]int32
		for k := 0; k < 2; k++ {
			q3 := bw[32+32*k : 64+32*k]
			for s := 0; s < 4; s++ {
				shift, bit := uint(2*s), uint(4*k+s)
				xs := q8[128*k+32*s : 128*k+32*s+32]
				scA, scB := int32(sc[8*k+2*s])-32, int32(sc[8*k+2*s+1])-32
				for l := 0; l < 8; l++ {
					pa := otherqQ3(q3[l], hm[l], shift, bit)*int32(int8(xs[l])) +
						otherqQ3(q3[l+8], hm[l+8], shift, bit)*int32(int8(xs[l+8]))
					pb := otherqQ3(q3[l+16], hm[l+16], shift, bit)*int32(int8(xs[l+16])) +
						otherqQ3(q3[l+24], hm[l+24], shift, bit)*int32(int8(xs[l+24]))
					aux32[l] += scA*pa + scB*pb
				}
			}
		}
		d := float32(otherqHalf(bw[108:]) * otherqF32(bx))
		for l := 0; l < 8; l++ {
			sums[l] += float32(d * float32(aux32[l]))
		}
	}
	var sumf float32
	for l := 0; l < 8; l++ {
		sumf += sums[l]
	}
	return sumf
}

// otherqQ3 returns one Q3_K value: the 2 bits of q at shift, minus 4 when
// bit of the hmask byte h is clear (-4..3).
func otherqQ3(q, h byte, shift, bit uint) int32 {
	return int32((q>>shift)&3) - 4*int32((h>>bit)&1^1)
}

// otherqScalesMinsK4 unpacks the 8 6-bit scales and 8 6-bit mins of a
// block_q4_K or block_q5_K (12 bytes, ggml's get_scale_min_k4 / utmp
// unpacking): for j < 4 scale j = s[j]&63, min j = s[j+4]&63; for j ≥ 4
// their low 4 bits are the nibbles of s[j+4] and their high 2 bits the top
// bits of s[j-4] (scale) and s[j] (min).
func otherqScalesMinsK4(s []byte) (sc, mn [8]uint8) {
	for j := 0; j < 4; j++ {
		sc[j], mn[j] = s[j]&63, s[j+4]&63
	}
	for j := 4; j < 8; j++ {
		sc[j] = s[j+4]&0xF | (s[j-4]>>6)<<4
		mn[j] = s[j+4]>>4 | (s[j]>>6)<<4
	}
	return sc, mn
}

// dotQ5_KQ8_KRef is ggml_vec_dot_q5_K_q8_K_generic. Per super-block: the
// 256 values a = nibble + 16·(qh bit) in 0..31; sumi = Σ_{j<16}
// y.bsums[j]·min[j/2]; for each group g of 32 and each lane l < 8,
// aux32[l] += scale_g·int16(q8·a) over positions ≡ l mod 8; sums[l] +=
// (x.d·y.d)·aux32[l] and sumf -= (x.dmin·y.d)·sumi in float32. The result
// is sumf + sums[0] + … + sums[7], added in lane order.
//
//	w: [n/256] block_q5_K   x: [n/256] block_q8_K
func dotQ5_KQ8_KRef(w, x []byte, n int) float32 {
	nb := otherqCheck("dotQ5_KQ8_KRef", quant.Q5_K, quant.Q8_K, w, x, n)
	var sums [8]float32
	var sumf float32
	for i := 0; i < nb; i++ {
		bw, bx := w[i*176:i*176+176], x[i*292:i*292+292]
		qh := bw[16:48]
		q8 := bx[4:260]
		sc, mn := otherqScalesMinsK4(bw[4:16])
		var sumi int32
		for j := 0; j < 16; j++ {
			sumi += int32(int16(binary.LittleEndian.Uint16(bx[260+2*j:]))) * int32(mn[j/2])
		}
		// aux32[l] = Σ scale·q8·a over the elements ≡ l mod 8, as ggml sums
		// it (its int16 products never overflow: |q8·a| ≤ 128·31), here
		// grouped per 64-element chunk c: group 2c (low nibbles, qh bit 2c)
		// and group 2c+1 (high nibbles, qh bit 2c+1).
		var aux32 [8]int32
		for c := 0; c < 4; c++ {
			q4 := bw[48+32*c : 80+32*c]
			x0, x1 := q8[64*c:64*c+32], q8[64*c+32:64*c+64]
			sh := uint(2 * c)
			s0, s1 := int32(sc[2*c]), int32(sc[2*c+1])
			for l := 0; l < 8; l++ {
				var p0, p1 int32
				for h := l; h < 32; h += 8 {
					v, hb := q4[h], qh[h]>>sh
					p0 += int32(v&0xF|(hb&1)<<4) * int32(int8(x0[h]))
					p1 += int32(v>>4|(hb&2)<<3) * int32(int8(x1[h]))
				}
				aux32[l] += s0*p0 + s1*p1
			}
		}
		yd := otherqF32(bx)
		d := float32(otherqHalf(bw) * yd)
		for l := 0; l < 8; l++ {
			sums[l] += float32(d * float32(aux32[l]))
		}
		dmin := float32(otherqHalf(bw[2:]) * yd)
		sumf -= float32(dmin * float32(sumi))
	}
	for l := 0; l < 8; l++ {
		sumf += sums[l]
	}
	return sumf
}

func init() {
	// Act is each type's vec_dot_type in ggml-cpu.c's type_traits_cpu.
	RegisterQKernel(quant.Q4_1, QKernel{Act: quant.Q8_1, Ref: dotQ4_1Q8_1Ref})
	RegisterQKernel(quant.Q5_0, QKernel{Act: quant.Q8_0, Ref: dotQ5_0Q8_0Ref})
	RegisterQKernel(quant.Q5_1, QKernel{Act: quant.Q8_1, Ref: dotQ5_1Q8_1Ref})
	RegisterQKernel(quant.Q2_K, QKernel{Act: quant.Q8_K, Ref: dotQ2_KQ8_KRef})
	RegisterQKernel(quant.Q3_K, QKernel{Act: quant.Q8_K, Ref: dotQ3_KQ8_KRef})
	RegisterQKernel(quant.Q5_K, QKernel{Act: quant.Q8_K, Ref: dotQ5_KQ8_KRef})
}
