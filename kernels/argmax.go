package kernels

import "math"

// ArgmaxFinite returns the index of the largest element of x, the lowest
// among equal ones (float ==, so -0 = +0), and true; or -1 and false for
// an empty x and whenever x holds a NaN or +Inf. A -Inf (never the
// answer) or finite values whose sum overflows may also give false:
// callers then scan element by element for their exact answer or error,
// as sample's greedy pick does. It keeps four running maxima, each of
// every fourth element with the first index where it was reached, so an
// element costs one rarely taken branch instead of three, and sums x in
// four more lanes (the sum times 0 is NaN when an element it saw is NaN or
// ±Inf; a NaN or +Inf among the first four stays in its lane's maximum,
// which is summed too). The largest of the four maxima, at the lowest of
// their indices among those equal to it, is the answer: each lane holds
// its first element equal to the overall maximum, if it has one.
func ArgmaxFinite(x []float32) (int, bool) {
	if len(x) < 4 {
		return argmaxShort(x)
	}
	n := len(x) &^ 3
	m0, m1, m2, m3 := x[0], x[1], x[2], x[3]
	i0, i1, i2, i3 := 0, 1, 2, 3
	var z0, z1, z2, z3 float32
	for i := 4; i < n; i += 4 {
		v := x[i : i+4 : i+4]
		v0, v1, v2, v3 := v[0], v[1], v[2], v[3]
		z0 += v0
		z1 += v1
		z2 += v2
		z3 += v3
		if v0 > m0 {
			m0, i0 = v0, i
		}
		if v1 > m1 {
			m1, i1 = v1, i+1
		}
		if v2 > m2 {
			m2, i2 = v2, i+2
		}
		if v3 > m3 {
			m3, i3 = v3, i+3
		}
	}
	z := (z0 + z1 + z2 + z3 + m0 + m1 + m2 + m3) * 0
	best, bv := i0, m0
	for _, c := range [3]struct {
		i int
		m float32
	}{{i1, m1}, {i2, m2}, {i3, m3}} {
		if c.m > bv || (c.m == bv && c.i < best) {
			best, bv = c.i, c.m
		}
	}
	for i := n; i < len(x); i++ {
		v := x[i]
		z += v * 0
		if v > bv {
			best, bv = i, v
		}
	}
	if z != z {
		return -1, false
	}
	return best, true
}

// argmaxShort is ArgmaxFinite for fewer than 4 elements.
func argmaxShort(x []float32) (int, bool) {
	best := -1
	var bv float32
	for i, v := range x {
		if v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 {
			return -1, false
		}
		if best < 0 || v > bv {
			best, bv = i, v
		}
	}
	return best, best >= 0
}
