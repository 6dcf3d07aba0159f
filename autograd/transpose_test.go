package autograd

import (
	"fmt"
	"testing"
)

func TestTranspose(t *testing.T) {
	for _, rows := range []int{0, 1, 3, 4, 5, 9, 70} {
		for _, cols := range []int{0, 1, 2, 63, 64, 65, 130} {
			a := make([]float32, rows*cols)
			for i := range a {
				a[i] = float32(i)
			}
			d := make([]float32, rows*cols)
			transposeInto(d, a, rows, cols)
			for r := 0; r < rows; r++ {
				for c := 0; c < cols; c++ {
					if d[c*rows+r] != a[r*cols+c] {
						t.Fatalf("[%d, %d]: element (%d, %d) wrong", rows, cols, r, c)
					}
				}
			}
		}
	}
}

// BenchmarkTranspose reports ns per element for the shapes a training step
// transposes (weights, activations, attention scores).
func BenchmarkTranspose(b *testing.B) {
	for _, s := range [][2]int{{768, 256}, {256, 256}, {512, 4096}} {
		b.Run(fmt.Sprintf("%dx%d", s[0], s[1]), func(b *testing.B) {
			a, d := make([]float32, s[0]*s[1]), make([]float32, s[0]*s[1])
			for b.Loop() {
				transposeInto(d, a, s[0], s[1])
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(a)), "ns/elem")
		})
	}
}
