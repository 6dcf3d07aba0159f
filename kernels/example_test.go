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
