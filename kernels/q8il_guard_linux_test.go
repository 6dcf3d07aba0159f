//go:build linux && amd64 && !purego

package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestILStaysInBounds: the row-lane tiles (pack passes, activation
// conversion) read nothing past the weights or before the activations:
// weights end at the end of an accessible page and activations start at
// its beginning (then the other way round), for 16-row, 8-row and padded
// groups and 1..5 tokens, and the results equal Dot's.
func TestILStaysInBounds(t *testing.T) {
	if !haveVNNI {
		t.Skip("no AVX-512 VNNI on this CPU: rowsQIL does not run")
	}
	defer func() { useVNNI = haveVNNI }()
	wPage, xPage := guardedPage(t), guardedPage(t)
	r := rand.New(rand.NewPCG(91, 92))
	for _, it := range ilTypes {
		for _, s := range [][3]int{{1, 1, 32}, {5, 3, 32}, {2, 16, 224}, {3, 24, 64}, {4, 37, 96}, {5, 9, 128}} {
			nTok, rows, cols := s[0], s[1], s[2]
			nb := cols / QK
			wn, xn := rows*nb*it.bb, nTok*nb*Q8_0BlockBytes
			if wn > len(wPage) || xn > len(xPage) {
				t.Fatalf("shape %v does not fit a page", s)
			}
			w0 := randBlocks(r, rows*nb, it.bb, 128)
			x0 := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
			for _, ends := range []bool{false, true} {
				w, xq := wPage[len(wPage)-wn:], xPage[:xn]
				if ends {
					w, xq = wPage[:wn], xPage[len(xPage)-xn:]
				}
				copy(w, w0)
				copy(xq, x0)
				checkIL(t, it.t, it.bb, it.q4, w, xq, nTok, rows, cols, 0, rows)
			}
		}
	}
}

// TestQ4RPStaysInBounds: the repacked-order Q4_0 path (pack passes,
// activation conversion, tiles) reads nothing past the weights or before
// the activations: weights end at the end of an accessible page and
// activations start at its beginning (then the other way round), for
// 16-row and padded groups and 1..9 tokens, and the results equal the
// reference's.
func TestQ4RPStaysInBounds(t *testing.T) {
	if !haveVNNI {
		t.Skip("no AVX-512 VNNI on this CPU: the q4rp tiles do not run")
	}
	wPage, xPage := guardedPage(t), guardedPage(t)
	r := rand.New(rand.NewPCG(93, 94))
	for _, s := range [][3]int{{1, 8, 32}, {5, 8, 32}, {2, 16, 224}, {3, 24, 64}, {9, 40, 64}, {4, 16, 96}} {
		nTok, rows, cols := s[0], s[1], s[2]
		nb := cols / QK
		wn, xn := rows*nb*Q4_0BlockBytes, nTok*nb*Q8_0BlockBytes
		if wn > len(wPage) || xn > len(xPage) {
			t.Fatalf("shape %v does not fit a page", s)
		}
		w0 := randBlocks(r, rows*nb, Q4_0BlockBytes, 8)
		x0 := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
		for _, ends := range []bool{false, true} {
			w, xq := wPage[len(wPage)-wn:], xPage[:xn]
			if ends {
				w, xq = wPage[:wn], xPage[len(xPage)-xn:]
			}
			copy(w, w0)
			copy(xq, x0)
			for i := range 3 {
				q4rpUseDot4, useVNNI = i != 1, i != 2 // q4rpDot4, q4rpDot8, the AVX2 kernel
				checkQ4Rows(t, "guarded", w, xq, nTok, rows, cols, 0, rows)
			}
			q4rpUseDot4, useVNNI = false, haveVNNI
		}
	}
}
