//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// BenchmarkVNNITile measures one 4-row × 4-token Q8_0 VNNI tile over 24
// blocks (768 columns), data in L1: cpuGOP/s of the thread's CPU time and
// ns per row × token × block pair.
func BenchmarkVNNITile(b *testing.B) {
	if !haveVNNI {
		b.Skip("no AVX-512 VNNI")
	}
	for _, nb := range []int{24, 64} {
		b.Run(fmt.Sprintf("nb=%d", nb), func(b *testing.B) { benchVNNITile(b, nb) })
	}
}

func benchVNNITile(b *testing.B, nb int) {
	r := rand.New(rand.NewPCG(1, 2))
	w := randBlocks(r, 12*nb, Q8_0BlockBytes, 128) // 8 rows more: the tile prefetches them
	u := make([]byte, 4*nb*32)
	init := make([]byte, nb*128)
	dw := make([]float32, 4*nb)
	dx := make([]float32, 4*nb)
	out := make([]float32, 16)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0, ok := threadCPUTime()
	for b.Loop() {
		vnniQ8Tile4x4(&w[0], nb*Q8_0BlockBytes, &u[0], nb*32, nb, &init[0], &out[0], 16, &dw[0], &dx[0])
	}
	if c1, ok1 := threadCPUTime(); ok && ok1 {
		s := (c1 - c0).Seconds()
		b.ReportMetric(float64(2*16*32*nb)*float64(b.N)/s/1e9, "cpuGOP/s")
		b.ReportMetric(s*1e9/(float64(16*nb)*float64(b.N)), "ns/pair")
	}
}
