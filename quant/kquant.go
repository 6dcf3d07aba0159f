package quant

import (
	"encoding/binary"
	"math"
)

// groupMaxEps is ggml's GROUP_MAX_EPS: a group whose largest |x| is below it
// is treated as all zero.
const groupMaxEps = 1e-15

func sqrtf(f float32) float32 { return float32(math.Sqrt(float64(f))) }

func clampInt(l, lo, hi int32) int32 { return max(lo, min(hi, l)) }

// makeQKX2Quants is ggml's make_qkx2_quants with use_mad false: it fits x ≈
// scale*L - theMin (L in 0..nmax, theMin >= 0) minimising the weighted
// squared error, trying nstep+1 inverse scales (rmin + rdelta*is +
// nmax)/(max-min) after the plain nmax/(max-min). Every product and sum is
// rounded to float32 in ggml's order.
func makeQKX2Quants(nmax int32, x, weights []float32, L, Laux []uint8, rmin, rdelta float32, nstep int) (scale, theMin float32) {
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
		diff = diff * diff
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
				diff = diff * diff
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
		scales[j], mins[j] = makeQKX2Quants(15, xs, weights[:], L[32*j:32*j+32], laux[:], -1, 0.1, 20)
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
			L[32*j+ii] = uint8(clampInt(l, 0, 15))
		}
	}
	q := b[16:144]
	for j := 0; j < QKK; j += 64 {
		for l := 0; l < 32; l++ {
			q[l] = L[j+l] | L[j+l+32]<<4
		}
		q = q[32:]
	}
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
