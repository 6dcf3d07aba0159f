package kernels_test

import (
	"fmt"

	"github.com/llmpipe/llmpipe/kernels"
)

// One feed-forward step of a tiny network: normalize, project, activate.
func Example() {
	x := []float32{3, 4}
	kernels.RMSNorm(x, x, []float32{1, 1}, 0) // x / sqrt(mean(x²))
	w := []float32{1, 0, 0, 1, 1, 1}          // W: [3, 2]
	h := make([]float32, 3)
	kernels.MatVec(h, w, x)
	kernels.SwiGLU(h, h, []float32{1, 1, 1})
	kernels.Softmax(h)
	fmt.Printf("%.4f %.4f %.4f\n", h[0], h[1], h[2])
	// Output: 0.1837 0.2386 0.5777
}

// SetThreads is called once at startup (cmd/llmpipe's --threads); the
// matrix kernels then split their rows over that many goroutines, and the
// results are the same bits for any count.
func ExampleSetThreads() {
	const rows, cols = 512, 512
	w, x := make([]float32, rows*cols), make([]float32, cols)
	for i := range w {
		w[i] = float32(i%13) / 13
	}
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	one, two := make([]float32, rows), make([]float32, rows)
	kernels.SetThreads(1)
	kernels.MatVec(one, w, x)
	kernels.SetThreads(2)
	kernels.MatVec(two, w, x)
	kernels.SetThreads(0) // back to the default, GOMAXPROCS
	same := true
	for i := range one {
		same = same && one[i] == two[i]
	}
	fmt.Println(same)
	// Output: true
}
