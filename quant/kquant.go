package quant

import (
	"encoding/binary"
	"math"
)

// groupMaxEps is ggml's GROUP_MAX_EPS: a group whose largest |x| is below it
// is treated as all zero.
const groupMaxEps = 1e-15

func sqrtf(f float32) float32 { return float32(math.Sqrt(float64(f))) }

func errOf(diff float32, useMAD bool) float32 {
	if useMAD {
		return fabsf(diff)
	}
	return diff * diff
}

func clampInt(l, lo, hi int32) int32 { return max(lo, min(hi, l)) }

// makeQKX2Quants is ggml's make_qkx2_quants: it fits x ≈ scale*L - theMin
// (L in 0..nmax, theMin >= 0) minimising the weighted squared error (the
// weighted absolute error when useMAD), trying nstep+1 inverse scales (rmin + rdelta*is +
// nmax)/(max-min) after the plain nmax/(max-min). Every product and sum is
// rounded to float32 in ggml's order.
func makeQKX2Quants(nmax int32, x, weights []float32, L, Laux []uint8, rmin, rdelta float32, nstep int, useMAD bool) (scale, theMin float32) {
	n := len(x)
	mn, mx := x[0], x[0]
	sumW := weights[0]
	sumX := sumW * x[0]
	for i := 1; i < n; i++ {
		if x[i] < mn {
			mn = x[i]
		}
		if x[i] > mx {
			mx = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if mn > 0 {
		mn = 0
	}
	if mx == mn {
		for i := range n {
			L[i] = 0
		}
		return 0, -mn
	}
	fmax := float32(nmax)
	iscale := fmax / (mx - mn)
	scale = 1 / iscale
	var bestError float32
	for i := range n {
		l := nearestInt(iscale * (x[i] - mn))
		L[i] = uint8(clampInt(l, 0, nmax))
		diff := float32(float32(scale*float32(L[i]))+mn) - x[i]
		diff = errOf(diff, useMAD)
		bestError += float32(weights[i] * diff)
	}
	if nstep < 1 {
		return scale, -mn
	}
	for is := 0; is <= nstep; is++ {
		iscale = float32(rmin+float32(rdelta*float32(is))) + fmax
		iscale /= mx - mn
		var sumL, sumL2, sumXL float32
		for i := range n {
			l := clampInt(nearestInt(iscale*(x[i]-mn)), 0, nmax)
			Laux[i] = uint8(l)
			w := weights[i]
			fl := float32(l)
			sumL += float32(w * fl)
			sumL2 += float32(w * fl * fl)
			sumXL += float32(w * fl * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var curError float32
			for i := range n {
				diff := float32(float32(thisScale*float32(Laux[i]))+thisMin) - x[i]
				diff = errOf(diff, useMAD)
				curError += float32(weights[i] * diff)
			}
			if curError < bestError {
				copy(L[:n], Laux[:n])
				bestError = curError
				scale = thisScale
				mn = thisMin
			}
		}
	}
	return scale, -mn
}

// makeQXQuants is ggml's make_qx_quants with rmse_type 1 and no importance
// weights: symmetric quants L in 0..2nmax-1 (stored offset by nmax) for x ≈
// scale*(L-nmax), trying the inverse scales -(nmax + 0.1*is)/max for is in
// -9..9 and keeping the one with the best weighted (w = x²) fit.
func makeQXQuants(nmax int32, x []float32, L []int8) float32 {
	n := len(x)
	amax, mx := absMax(x)
	if amax < groupMaxEps {
		for i := range n {
			L[i] = 0
		}
		return 0
	}
	fmax := float32(nmax)
	iscale := -fmax / mx
	var sumlx, suml2 float32
	for i := range n {
		l := clampInt(nearestInt(iscale*x[i]), -nmax, nmax-1)
		L[i] = int8(l + nmax)
		w := x[i] * x[i]
		fl := float32(l)
		sumlx += float32(w * x[i] * fl)
		suml2 += float32(w * fl * fl)
	}
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := scale * sumlx
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(fmax + float32(0.1*float32(is))) / mx
		sumlx, suml2 = 0, 0
		for i := range n {
			l := clampInt(nearestInt(iscale*x[i]), -nmax, nmax-1)
			w := x[i] * x[i]
			fl := float32(l)
			sumlx += float32(w * x[i] * fl)
			suml2 += float32(w * fl * fl)
		}
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			for i := range n {
				l := clampInt(nearestInt(iscale*x[i]), -nmax, nmax-1)
				L[i] = int8(l + nmax)
			}
			scale = sumlx / suml2
			best = scale * sumlx
		}
	}
	return scale
}

// quantQ4_K is quantize_row_q4_K_ref. For each group of 32, weights
// w = sqrt(mean(x²)) + |x| and makeQKX2Quants(nmax 15, rmin -1, rdelta 0.1,
// 20 steps) give a scale and a min; d = max scale/63 and dmin = max min/63
// (fp16) quantize them to 6 bits (nearest, capped at 63); then every x is
// requantized as nearest((x + dmin*m)/(d*sc)) clamped to 0..15 (groups whose
// d*sc is 0 keep the first fit's quants). Layout as dequantQ4_K.
func quantQ4_K(x []float32, b []byte) {
	var L [QKK]uint8
	quantK45(x, b, L[:], 15, -1, 20)
	q := b[16:144]
	for j := 0; j < QKK; j += 64 {
		for l := 0; l < 32; l++ {
			q[l] = L[j+l] | L[j+l+32]<<4
		}
		q = q[32:]
	}
}

// quantQ5_K is quantize_row_q5_K_ref: as quantQ4_K with nmax 31, rmin -0.5
// and 15 steps; quants 0..31, the fifth bit going to qh. Layout as
// dequantQ5_K.
func quantQ5_K(x []float32, b []byte) {
	var L [QKK]uint8
	quantK45(x, b, L[:], 31, -0.5, 15)
	qh, ql := b[16:48], b[48:176]
	m1, m2 := uint8(1), uint8(2)
	for n := 0; n < QKK; n += 64 {
		for j := 0; j < 32; j++ {
			l1, l2 := L[n+j], L[n+j+32]
			if l1 > 15 {
				l1 -= 16
				qh[j] |= m1
			}
			if l2 > 15 {
				l2 -= 16
				qh[j] |= m2
			}
			ql[j] = l1 | l2<<4
		}
		m1 <<= 2
		m2 <<= 2
		ql = ql[32:]
	}
}

// quantK45 is the part quantize_row_q4_K_ref and quantize_row_q5_K_ref
// share: it writes d, dmin and the 12 scale bytes of b and leaves the final
// quants (0..nmax) in L.
func quantK45(x []float32, b []byte, L []uint8, nmax int32, rmin float32, nstep int) {
	var weights [32]float32
	var laux [32]uint8
	var mins, scales [8]float32
	var maxScale, maxMin float32
	for j := 0; j < 8; j++ {
		xs := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		avX := sqrtf(sumX2 / 32)
		for l, v := range xs {
			weights[l] = avX + fabsf(v)
		}
		scales[j], mins[j] = makeQKX2Quants(nmax, xs, weights[:], L[32*j:32*j+32], laux[:], rmin, 0.1, nstep, false)
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	s := b[4:16]
	for j := 0; j < 8; j++ {
		ls := min(63, uint8(nearestInt(invScale*scales[j])))
		lm := min(63, uint8(nearestInt(invMin*mins[j])))
		if j < 4 {
			s[j] = ls
			s[j+4] = lm
		} else {
			s[j+4] = ls&0xF | (lm&0xF)<<4
			s[j-4] |= (ls >> 4) << 6
			s[j] |= (lm >> 4) << 6
		}
	}
	putHalf(b, maxScale/63)
	putHalf(b[2:], maxMin/63)
	dAll, dminAll := half(b), half(b[2:])
	for j := 0; j < 8; j++ {
		sc, m := scaleMinK4(j, s)
		d := dAll * float32(sc)
		if d == 0 {
			continue
		}
		dm := dminAll * float32(m)
		for ii := 0; ii < 32; ii++ {
			l := nearestInt((x[32*j+ii] + dm) / d)
			L[32*j+ii] = uint8(clampInt(l, 0, nmax))
		}
	}
}

// quantQ2_K is quantize_row_q2_K_ref. For each group of 16, weights |x| and
// makeQKX2Quants(nmax 3, rmin -0.5, rdelta 0.1, 15 steps, absolute error)
// give a scale and a min; d = max scale/15 and dmin = max min/15 (fp16)
// quantize them to 4 bits (scale in the low nibble, min in the high one);
// then every x is requantized as nearest((x + dmin*m)/(d*sc)) clamped to
// 0..3 (groups whose d*sc is 0 keep the first fit's quants). Layout as
// dequantQ2_K.
func quantQ2_K(x []float32, b []byte) {
	var L [QKK]uint8
	var laux [16]uint8
	var weights [16]float32
	var mins, scales [16]float32
	var maxScale, maxMin float32
	for j := 0; j < 16; j++ {
		xs := x[16*j : 16*j+16]
		for l, v := range xs {
			weights[l] = fabsf(v)
		}
		scales[j], mins[j] = makeQKX2Quants(3, xs, weights[:], L[16*j:16*j+16], laux[:], -0.5, 0.1, 15, true)
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	sc := b[0:16]
	if maxScale > 0 {
		iscale := 15 / maxScale
		for j := 0; j < 16; j++ {
			sc[j] = uint8(nearestInt(iscale * scales[j]))
		}
		putHalf(b[80:], maxScale/15)
	} else {
		clear(sc)
		putHalf(b[80:], 0)
	}
	if maxMin > 0 {
		iscale := 15 / maxMin
		for j := 0; j < 16; j++ {
			sc[j] |= uint8(nearestInt(iscale*mins[j]) << 4)
		}
		putHalf(b[82:], maxMin/15)
	} else {
		putHalf(b[82:], 0)
	}
	dAll, dminAll := half(b[80:]), half(b[82:])
	for j := 0; j < 16; j++ {
		d := dAll * float32(sc[j]&0xF)
		if d == 0 {
			continue
		}
		dm := dminAll * float32(sc[j]>>4)
		for ii := 0; ii < 16; ii++ {
			l := nearestInt((x[16*j+ii] + dm) / d)
			L[16*j+ii] = uint8(clampInt(l, 0, 3))
		}
	}
	packQ2(L[:], b[16:80])
}

// packQ2 stores 2-bit values as Q2_K and Q3_K do: for half n and l in 0..31,
// q[32n+l] holds elements 128n+l, +32, +64, +96 in bits 0-1, 2-3, 4-5, 6-7.
func packQ2(L []uint8, q []byte) {
	for j := 0; j < QKK; j += 128 {
		for l := 0; l < 32; l++ {
			q[j/4+l] = L[j+l] | L[j+l+32]<<2 | L[j+l+64]<<4 | L[j+l+96]<<6
		}
	}
}

// makeQ3Quants is ggml's make_q3_quants with do_rmse: symmetric quants in
// -nmax..nmax-1 from iscale = -nmax/max, then up to five passes that move
// single quants while that improves the x²-weighted fit; returns the
// least-squares scale and leaves the quants plus nmax in L.
func makeQ3Quants(nmax int32, x []float32, L []int8) float32 {
	n := len(x)
	amax, mx := absMax(x)
	if amax < groupMaxEps {
		for i := range n {
			L[i] = 0
		}
		return 0
	}
	iscale := -float32(nmax) / mx
	var sumlx, suml2 float32
	for i := range n {
		l := clampInt(nearestInt(iscale*x[i]), -nmax, nmax-1)
		L[i] = int8(l)
		w := x[i] * x[i]
		fl := float32(l)
		sumlx += float32(w * x[i] * fl)
		suml2 += float32(w * fl * fl)
	}
	for itry := 0; itry < 5; itry++ {
		changed := 0
		for i := range n {
			w := x[i] * x[i]
			fL := float32(L[i])
			slx := sumlx - float32(w*x[i]*fL)
			if slx > 0 {
				sl2 := suml2 - float32(w*fL*fL)
				newL := clampInt(nearestInt(x[i]*sl2/slx), -nmax, nmax-1)
				if newL != int32(L[i]) {
					fn := float32(newL)
					slx += float32(w * x[i] * fn)
					sl2 += float32(w * fn * fn)
					if sl2 > 0 && slx*slx*suml2 > sumlx*sumlx*sl2 {
						L[i] = int8(newL)
						sumlx, suml2 = slx, sl2
						changed++
					}
				}
			}
		}
		if changed == 0 {
			break
		}
	}
	for i := range n {
		L[i] += int8(nmax)
	}
	if suml2 > 0 {
		return sumlx / suml2
	}
	return 0
}

// quantQ3_K is quantize_row_q3_K_ref. Each group of 16 gets a scale from
// makeQ3Quants(nmax 4); the scale of largest magnitude, max, sets
// iscale = -32/max and d = fp16(1/iscale); group scales become 6-bit
// min(31, max(-32, int8(nearest(iscale*scale)))) + 32; every x is
// requantized as nearest(x/(d*(scale-32))) clamped to -4..3 and stored plus
// 4, the high bit in hmask (groups whose d*scale is 0 keep the first fit's
// quants). Layout as dequantQ3_K.
func quantQ3_K(x []float32, b []byte) {
	var L [QKK]int8
	var scales [16]float32
	var maxScale, amax float32
	for j := 0; j < 16; j++ {
		scales[j] = makeQ3Quants(4, x[16*j:16*j+16], L[16*j:16*j+16])
		if a := fabsf(scales[j]); a > amax {
			amax, maxScale = a, scales[j]
		}
	}
	s := b[96:108]
	clear(s)
	if maxScale != 0 {
		iscale := -32 / maxScale
		for j := 0; j < 16; j++ {
			l := int32(int8(nearestInt(iscale * scales[j])))
			l = clampInt(l, -32, 31) + 32
			if j < 8 {
				s[j] = uint8(l & 0xF)
			} else {
				s[j-8] |= uint8((l & 0xF) << 4)
			}
			l >>= 4
			s[j%4+8] |= uint8(l << (2 * (j / 4)))
		}
		putHalf(b[108:], 1/iscale)
	} else {
		putHalf(b[108:], 0)
	}
	dAll := half(b[108:])
	for j := 0; j < 16; j++ {
		var sc uint8
		if j < 8 {
			sc = s[j] & 0xF
		} else {
			sc = s[j-8] >> 4
		}
		sc |= ((s[8+j%4] >> (2 * (j / 4))) & 3) << 4
		d := dAll * float32(int32(sc)-32)
		if d == 0 {
			continue
		}
		for ii := 0; ii < 16; ii++ {
			l := clampInt(nearestInt(x[16*j+ii]/d), -4, 3)
			L[16*j+ii] = int8(l + 4)
		}
	}
	hm := b[0:32]
	clear(hm)
	m, bit := 0, uint8(1)
	var U [QKK]uint8
	for j := 0; j < QKK; j++ {
		v := L[j]
		if v > 3 {
			hm[m] |= bit
			v -= 4
		}
		U[j] = uint8(v)
		if m++; m == QKK/8 {
			m, bit = 0, bit<<1
		}
	}
	packQ2(U[:], b[32:96])
}

// quantQ6_K is quantize_row_q6_K_ref. Each group of 16 gets a scale from
// makeQXQuants(nmax 32); the scale of largest magnitude, max, sets
// iscale = -128/max and d = fp16(1/iscale); the group scales become
// int8(min(127, nearest(iscale*scale))); every x is requantized as
// nearest(x/(d*scale)) clamped to -32..31 and stored plus 32 (groups whose
// d*scale is 0 keep the first fit's quants). A block whose scales are all
// below 1e-15 is all zero. Layout as dequantQ6_K.
func quantQ6_K(x []float32, b []byte) {
	var L [QKK]int8
	var scales [16]float32
	var maxScale, maxAbsScale float32
	for ib := 0; ib < 16; ib++ {
		scale := makeQXQuants(32, x[16*ib:16*ib+16], L[16*ib:16*ib+16])
		scales[ib] = scale
		if a := fabsf(scale); a > maxAbsScale {
			maxAbsScale, maxScale = a, scale
		}
	}
	if maxAbsScale < groupMaxEps {
		clear(b)
		return
	}
	iscale := -128 / maxScale
	putHalf(b[208:], 1/iscale)
	sc := b[192:208]
	for ib := 0; ib < 16; ib++ {
		sc[ib] = uint8(int8(min(127, nearestInt(iscale*scales[ib]))))
	}
	dAll := half(b[208:])
	for j := 0; j < 16; j++ {
		d := dAll * float32(int8(sc[j]))
		if d == 0 {
			continue
		}
		for ii := 0; ii < 16; ii++ {
			l := clampInt(nearestInt(x[16*j+ii]/d), -32, 31)
			L[16*j+ii] = int8(l + 32)
		}
	}
	for n := 0; n < 2; n++ {
		ql := b[64*n : 64*n+64]
		qh := b[128+32*n : 128+32*n+32]
		Ln := L[128*n:]
		for l := 0; l < 32; l++ {
			q1 := uint8(Ln[l]) & 0xF
			q2 := uint8(Ln[l+32]) & 0xF
			q3 := uint8(Ln[l+64]) & 0xF
			q4 := uint8(Ln[l+96]) & 0xF
			ql[l] = q1 | q3<<4
			ql[l+32] = q2 | q4<<4
			qh[l] = uint8(Ln[l])>>4 | (uint8(Ln[l+32])>>4)<<2 | (uint8(Ln[l+64])>>4)<<4 | (uint8(Ln[l+96])>>4)<<6
		}
	}
}

// quantQ8_K is quantize_row_q8_K_ref: max = the first value of largest |x|,
// iscale = -127/max, qs = int8(min(127, nearest(iscale*x))), bsums the sums of
// each 16 quants, d = 1/iscale as float32. An all-zero block is all zero
// bytes (ggml leaves its bsums unwritten).
func quantQ8_K(x []float32, b []byte) {
	amax, mx := absMax(x)
	if amax == 0 {
		clear(b)
		return
	}
	iscale := -127 / mx
	qs := b[4:260]
	for j := 0; j < QKK; j++ {
		qs[j] = uint8(int8(min(127, nearestInt(iscale*x[j]))))
	}
	for j := 0; j < 16; j++ {
		var sum int32
		for ii := 0; ii < 16; ii++ {
			sum += int32(int8(qs[16*j+ii]))
		}
		binary.LittleEndian.PutUint16(b[260+2*j:], uint16(int16(sum)))
	}
	binary.LittleEndian.PutUint32(b, math.Float32bits(1/iscale))
}
