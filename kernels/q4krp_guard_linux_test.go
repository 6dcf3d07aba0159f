//go:build linux && amd64 && !purego

package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestQ4KRPStaysInBounds: the repacked-Q4_K kernels (the AVX-512 row-lane
// tile with its pack and masked stores, the AVX2 kernels) read
// nothing past the weights or before the activations: weights end at the
// end of an accessible page and activations start at its beginning (then
// the other way round), for 8-, 16- and 24-row matrices (partial 16-row
// groups), whole and partial row ranges and 1..6 tokens, and the results
// are the definition's.
func TestQ4KRPStaysInBounds(t *testing.T) {
	defer func(v bool) { useVNNI = v }(useVNNI)
	wPage, xPage := guardedPage(t), guardedPage(t)
	r := rand.New(rand.NewPCG(93, 94))
	for _, vnni := range []bool{false, true} {
		useVNNI = vnni && haveVNNI
		for _, s := range [][4]int{{1, 8, 256, 0}, {2, 16, 256, 0}, {3, 24, 256, 0}, {5, 24, 256, 5}, {6, 8, 512, 1}, {4, 8, 768, 3}} {
			nTok, rows, cols, lo := s[0], s[1], s[2], s[3]
			nb := cols / qkK
			wn, xn := rows*nb*q4KBlockBytes, nTok*nb*q8KBlockBytes
			if wn > len(wPage) || xn > len(xPage) {
				t.Fatalf("shape %v does not fit a page", s)
			}
			w0 := q4KRPBlocks(r, rows*nb, false)
			x0 := q8KRPBlocks(r, nTok*nb, false)
			for _, ends := range []bool{false, true} {
				w, xq := wPage[len(wPage)-wn:], xPage[:xn]
				if ends {
					w, xq = wPage[:wn], xPage[len(xPage)-xn:]
				}
				copy(w, w0)
				copy(xq, x0)
				checkQ4KRows(t, "guarded", w, xq, nTok, rows, cols, lo, rows)
			}
		}
	}
}
