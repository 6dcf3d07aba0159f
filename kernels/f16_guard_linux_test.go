//go:build linux

package kernels

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"

	"github.com/llmpipe/llmpipe/quant"
)

// guardedPage returns one read-write page between two inaccessible ones, so
// that a kernel reading a byte before or after a slice placed at either end
// of it crashes the test instead of passing by luck (weights are mapped
// from files, and a tensor may end where the mapping does).
func guardedPage(t *testing.T) []byte {
	t.Helper()
	ps := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 3*ps, syscall.PROT_NONE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[ps:2*ps], syscall.PROT_READ|syscall.PROT_WRITE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	return mem[ps : 2*ps : 2*ps]
}

func f32View(b []byte) []float32 { return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4) }

// guardShapes are the rows × tokens TestKernelsStayInBounds runs: single
// rows and tokens, the AVX2 tiles (4 × 3, 8 rows), and the AVX-512VL tiles
// of f32tile_amd64.s (6 × 4 and 3 × 8, with padded token groups and rows
// left over).
var guardShapes = [][2]int{{1, 1}, {9, 1}, {5, 3}, {8, 4}, {7, 2}, {13, 8}, {9, 8}, {8, 11}, {12, 3}, {6, 4}}

// TestKernelsStayInBounds runs every kernel on rows that end at the end of
// an accessible page (weights) or start at its beginning (activations), for
// all short lengths, and checks the results equal those of copies in
// ordinary memory.
func TestKernelsStayInBounds(t *testing.T) {
	wPage, xPage := guardedPage(t), guardedPage(t)
	wAll, xAll := f32View(wPage), f32View(xPage)
	rng := rand.New(rand.NewPCG(71, 72))
	for n := 1; n <= 40; n++ {
		for _, s := range guardShapes {
			nr, nt := s[0], s[1]
			w := wAll[len(wAll)-nr*n:]
			x := xAll[:nt*n]
			copy(w, randF32(rng, len(w)))
			copy(x, randF32(rng, len(x)))
			wc, xc := append([]float32(nil), w...), append([]float32(nil), x...)
			got, want := make([]float32, nt*nr), make([]float32, nt*nr)
			gemm(got, nr, w, n, x, n, n, nr, nt)
			gemm(want, nr, wc, n, xc, n, n, nr, nt)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("gemm n=%d %v [%d]: %v vs %v", n, s, i, got[i], want[i])
				}
			}
			dotRows(got[:nr], w, x[:n])
			if d := dotFast(w[len(w)-n:], x[:n]); d != want[nr-1] {
				t.Fatalf("dotFast n=%d: %v vs %v", n, d, want[nr-1])
			}
			// The same with the weights first in the page and x last.
			w2, x2 := wAll[:nr*n], xAll[len(xAll)-nt*n:]
			copy(w2, wc)
			copy(x2, xc)
			gemm(got, nr, w2, n, x2, n, n, nr, nt)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("gemm (swapped ends) n=%d %v [%d]: %v vs %v", n, s, i, got[i], want[i])
				}
			}
		}
	}
	for _, h := range halfTypes {
		k := LookupQKernel(h.t)
		for n := 1; n <= 40; n++ {
			for _, s := range guardShapes {
				nr, nt := s[0], s[1]
				w := wPage[len(wPage)-2*nr*n:]
				x := xPage[:2*nt*n]
				copy(w, randHalves(rng, h, nr*n, false))
				copy(x, randHalves(rng, h, nt*n, false))
				out := make([]float32, nt*nr)
				if k.Rows != nil {
					k.Rows(out, w, x, nt, nr, n, 0, nr)
				}
				for tk := 0; tk < nt; tk++ {
					for r := 0; r < nr; r++ {
						want := k.Ref(w[2*r*n:2*(r+1)*n], x[2*tk*n:2*(tk+1)*n], n)
						got := kernelDot(k)(w[2*r*n:2*(r+1)*n], x[2*tk*n:2*(tk+1)*n], n)
						if k.Rows != nil && out[tk*nr+r] != got {
							t.Fatalf("%v Rows n=%d %v [%d,%d]: %v vs Dot %v", h.t, n, s, tk, r, out[tk*nr+r], got)
						}
						_ = want
					}
				}
				// Activation conversion reading the page's last floats.
				src := wAll[len(wAll)-n:]
				dst := xPage[len(xPage)-2*n:]
				h.convert(dst, src)
				ref := make([]byte, 2*n)
				quant.Quantize(h.t, src, ref)
				if string(dst) != string(ref) {
					t.Fatalf("%v convert n=%d: %x vs %x", h.t, n, dst, ref)
				}
			}
		}
	}
}
