//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestQ4RPTilesVNNI: with VNNI on and off (the tiles of q4rp_amd64.s and
// the plain-Go fallback) Rows of Q4_0 gives the repacked reference's bits
// for 1..20 tokens (every tile width and the chunk's spread), 8..48 rows
// (16-row groups and padded last groups, rows [lo, hi) not on group
// boundaries) and 32..4096 columns, extreme values included; one token
// through q4rpDot4, q4rpDot8 and q4rpDot8L2.
func TestQ4RPTilesVNNI(t *testing.T) {
	if !haveVNNI {
		t.Skip("no AVX-512 VNNI on this CPU: the q4rp tiles do not run")
	}
	defer func(l1 int) { useVNNI, q4rpUseDot4, q4rpL1Row = haveVNNI, false, l1 }(q4rpL1Row)
	r := rand.New(rand.NewPCG(51, 52))
	for i, vnni := range []bool{true, true, true, false} {
		useVNNI = vnni
		q4rpUseDot4 = i == 0 || i == 3 // one token: q4rpDot4, then q4rpDot8, then q4rpDot8L2
		q4rpL1Row = 1 << 30
		if i == 2 {
			q4rpL1Row = 0
		}
		for nTok := 1; nTok <= 20; nTok++ {
			for _, rows := range []int{8, 16, 24, 40, 48} {
				cols := []int{32, 64, 160, 768}[(nTok+rows/8)%4]
				nb := cols / QK
				w := randBlocks(r, rows*nb, Q4_0BlockBytes, 8)
				xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
				name := fmt.Sprintf("vnni %v, dot4 %v, L1 row %d", vnni, q4rpUseDot4, q4rpL1Row)
				checkQ4Rows(t, name, w, xq, nTok, rows, cols, 0, rows)
				checkQ4Rows(t, name, w, xq, nTok, rows, cols, 4, rows-3)
				checkQ4Rows(t, name, w, xq, nTok, rows, cols, 4, rows)   // 4 rows after the 8-row calls
				checkQ4Rows(t, name, w, xq, nTok, rows, cols, 0, rows-1) // 4, then 3 padded
				we, xe := q4Extremes(r, rows, nTok, nb)
				checkQ4Rows(t, name+" extremes", we, xe, nTok, rows, cols, 0, rows)
			}
		}
		for _, s := range [][3]int{{1, 32, 4096}, {8, 16, 4096}, {17, 24, 2048}} {
			nb := s[2] / QK
			w := randBlocks(r, s[1]*nb, Q4_0BlockBytes, 8)
			xq := randBlocks(r, s[0]*nb, Q8_0BlockBytes, 127)
			checkQ4Rows(t, fmt.Sprintf("vnni %v", vnni), w, xq, s[0], s[1], s[2], 0, s[1])
		}
	}
}
