//go:build amd64 && !purego

package kernels

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// TestQ4KRowsRepackedPaths holds every path of the Q4_K Rows (the AVX-512
// row-lane tile, the AVX2 one-token kernel, the plain Go) to the
// definition: VNNI on and off, the AVX-512 vec_dot kernels on and off.
func TestQ4KRowsRepackedPaths(t *testing.T) {
	defer func(v, k bool) { useVNNI, useKQuant512 = v, k }(useVNNI, useKQuant512)
	useVNNI, useKQuant512 = false, false
	q4KRowsShapes(t, "no VNNI", 3)
	if !haveVNNI {
		t.Skip("no AVX-512 VNNI: the row-lane tile does not run")
	}
	useVNNI, useKQuant512 = true, true
	q4KRowsShapes(t, "VNNI", 4)
}

// TestQ4KRPPack8 holds the assembly pack to q4KRPPackRef byte for byte
// (both halves of a group's slots, 1..5 blocks, raw random bytes).
func TestQ4KRPPack8(t *testing.T) {
	if !haveAVX2FMA {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(43, 44))
	for nb := 1; nb <= 5; nb++ {
		wb := nb*q4KBlockBytes + 16
		w := make([]byte, 8*wb)
		for i := range w {
			w[i] = byte(r.Uint32())
		}
		for h := 0; h < 2; h++ {
			want, got := make([]byte, nb*q4KRPPackBytes), make([]byte, nb*q4KRPPackBytes)
			for i := range want {
				want[i] = byte(i * 7)
				got[i] = byte(i * 7)
			}
			q4KRPPackRef(want[32*h:], w, wb, 8, nb)
			q4KRPPack8(&got[32*h], &w[0], wb, nb, 0)
			if !bytes.Equal(got, want) {
				t.Fatalf("nb=%d half %d: q4KRPPack8 differs from q4KRPPackRef", nb, h)
			}
		}
	}
}

// BenchmarkQ4KRowsAVX2Only times the Q4_K Rows with the AVX-512 kernels
// off (an AVX2-only CPU) on 8 tokens: rows=768 takes the repacked order
// (dotQ4KRPRowsAVX2 per token over 32-row tiles), rows=767 the vec_dot
// order (the four-token AVX2 kernel).
func BenchmarkQ4KRowsAVX2Only(b *testing.B) {
	defer func(v, k bool) { useVNNI, useKQuant512 = v, k }(useVNNI, useKQuant512)
	useVNNI, useKQuant512 = false, false
	r := rand.New(rand.NewPCG(1, 2))
	k := LookupQKernel(quant.Q4_K)
	const cols, nTok = 768, 8
	nb := cols / qkK
	for _, rows := range []int{768, 767} {
		w := q4KRPBlocks(r, rows*nb, false)
		xq := q8KRPBlocks(r, nTok*nb, false)
		out := make([]float32, nTok*rows)
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			for b.Loop() {
				k.Rows(out, w, xq, nTok, rows, cols, 0, rows)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows*nTok), "ns/pair")
		})
	}
}
