//go:build amd64 && !purego

package kernels

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestQ4KSideAVX2 holds the assembly side-table builder of the eight-token
// Q4_K kernel to its Go reference q4KSide, byte for byte, on raw random
// activation blocks (any bsums, any scale bits) of 1..5 blocks and 8..24
// tokens.
func TestQ4KSideAVX2(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(41, 42))
	for nb := 1; nb <= 5; nb++ {
		for _, nTok := range []int{8, 16, 24} {
			xb := nb * q8KBlockBytes
			xq := make([]byte, nTok*xb)
			for i := range xq {
				xq[i] = byte(r.Uint32())
			}
			n := nTok / 8 * nb * q4KSideBytes
			want, got := make([]byte, n+7), make([]byte, n+7)
			for i := range want {
				want[i], got[i] = 0x5a, 0x5a
			}
			q4KSide(want, xq, nTok, nb)
			q4KSideAVX2(&got[0], &xq[0], xb, nb, nTok/8)
			if !bytes.Equal(got, want) {
				t.Fatalf("nb=%d nTok=%d: assembly side table differs from q4KSide", nb, nTok)
			}
		}
	}
}
