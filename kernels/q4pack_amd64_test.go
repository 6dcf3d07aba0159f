//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// TestPackedTilesVNNI: on VNNI CPUs the packed tiles give the repacked
// reference's bits with every prefetch distance, and a matrix packed
// before VNNI (or the assembly) is switched off is multiplied in plain Go
// with the same bits; PackQ packs nothing then.
func TestPackedTilesVNNI(t *testing.T) {
	if !haveVNNI {
		t.Skip("no AVX-512 VNNI on this CPU: PackQ packs nothing")
	}
	defer func(pf, pf1 int, asm bool) {
		q4pkPrefetch, q4pkPrefetch1, useVNNI, useAsm = pf, pf1, haveVNNI, asm
	}(q4pkPrefetch, q4pkPrefetch1, useAsm)
	r := rand.New(rand.NewPCG(71, 72))
	for _, s := range packShapes() {
		nTok, rows, cols := s[0], s[1], s[2]
		nb := cols / QK
		w := randBlocks(r, rows*nb, Q4_0BlockBytes, 8)
		xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
		p, ok := PackQ(quant.Q4_0, w, rows, cols)
		if !ok {
			t.Fatalf("PackQ [%d, %d]: not packed", rows, cols)
		}
		for _, pf := range []int{0, 288, 4096} {
			q4pkPrefetch, q4pkPrefetch1 = pf, pf
			checkPackedRows(t, fmt.Sprintf("prefetch %d", pf), p, w, xq, nTok, 0, rows, rowsPacked)
		}
		for i, flip := range []func(){func() { useVNNI = false }, func() { useAsm = false }} {
			flip()
			checkPackedRows(t, fmt.Sprintf("flip %d", i), p, w, xq, nTok, 3, rows-5, rowsPacked)
			if _, ok := PackQ(quant.Q4_0, w, rows, cols); ok {
				t.Fatalf("flip %d: PackQ packed", i)
			}
			useVNNI, useAsm = haveVNNI, haveAVX2FMA
		}
	}
}
