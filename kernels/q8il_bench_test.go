//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/llmpipe/llmpipe/quant"
)

// BenchmarkILRows measures QKernel.Rows of Q8_0 and Q4_0 on one
// goroutine for small token counts with the VNNI kernels (vnni: from 2
// tokens the row-lane tiles) and with the AVX2 kernels (avx2), at the
// shapes of a 110M model's projections (weights 768×768: in L2; 2048×768:
// from L3/DRAM).
func BenchmarkILRows(b *testing.B) {
	if !haveVNNI {
		b.Skip("no AVX-512 VNNI")
	}
	defer func() { useVNNI = haveVNNI }()
	r := rand.New(rand.NewPCG(3, 4))
	for _, typ := range []quant.Type{quant.Q8_0, quant.Q4_0} {
		k := LookupQKernel(typ)
		for _, sh := range [][2]int{{768, 768}, {2048, 768}, {768, 2048}} {
			rows, cols := sh[0], sh[1]
			nb := cols / QK
			w := randBlocks(r, rows*nb, typ.TypeSize(), 128)
			for _, nTok := range []int{1, 2, 4, 8, 16, 64, 256} {
				xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
				out := make([]float32, nTok*rows)
				for _, vnni := range []bool{false, true} {
					name := "avx2"
					if vnni {
						name = "vnni"
					}
					b.Run(fmt.Sprintf("%v/%dx%d/tok=%d/%s", typ, rows, cols, nTok, name), func(b *testing.B) {
						useVNNI = vnni
						for b.Loop() {
							k.Rows(out, w, xq, nTok, rows, cols, 0, rows)
						}
						b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(nTok*rows*nb), "ns/pair")
					})
				}
			}
		}
	}
}

// BenchmarkILTile measures the row-lane tiles alone, data in L1 (24
// blocks: 768 columns): ns per row × token × block pair, and the pack pass
// (ns per row × block).
func BenchmarkILTile(b *testing.B) {
	if !haveVNNI {
		b.Skip("no AVX-512 VNNI")
	}
	const nb = 24
	r := rand.New(rand.NewPCG(5, 6))
	w := randBlocks(r, 16*nb, Q8_0BlockBytes, 128)
	pk := make([]byte, nb*ilGroupBytes)
	as := (nb + 1) * 64
	a := make([]byte, 3*as)
	dx := make([]float32, 3*nb)
	out := make([]float32, 3*16)
	b.Run("pack", func(b *testing.B) {
		for b.Loop() {
			vnniILPackQ8(&pk[0], &w[0], nb*Q8_0BlockBytes, nb, 0)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(8*nb), "ns/rowblock")
	})
	tiles := []struct {
		name       string
		f          ilTile
		rows, toks int
	}{{"y3", vnniILTile3, 8, 3}, {"y1", vnniILTile1, 8, 1}, {"z3", vnniILTileZ3, 16, 3}, {"z2", vnniILTileZ2, 16, 2}, {"z1", vnniILTileZ1, 16, 1}}
	for _, tl := range tiles {
		b.Run(tl.name, func(b *testing.B) {
			for b.Loop() {
				tl.f(&pk[0], &a[0], as, nb, &out[0], 64, &dx[0], 4*nb, uintptr(unsafe.Pointer(&w[0])), 0)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(tl.rows*tl.toks*nb), "ns/pair")
		})
	}
}
