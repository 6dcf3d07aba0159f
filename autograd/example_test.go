package autograd_test

import (
	"fmt"

	"github.com/llmpipe/llmpipe/autograd"
)

// One training step of a linear classifier: record the forward pass on a
// tape, take the cross-entropy loss, and run Backward to fill the
// parameters' gradients. With a nil tape the same calls are inference.
func Example() {
	w := autograd.Param(3, 2, []float32{0.1, -0.2, 0.3, 0.0, -0.1, 0.2}) // 3 classes × 2 features
	b := autograd.Param(1, 3, nil)
	x := autograd.New(2, 2, []float32{1, 2, -1, 0.5}) // 2 examples
	targets := []int{2, 0}

	tp := autograd.NewTape()
	logits := autograd.MatMul(tp, x, w, b) // x·wᵀ + b: [2, 3]
	loss := autograd.CrossEntropy(tp, logits, targets, -1)
	if err := tp.Backward(loss); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("loss %.4f\n", loss.Data[0])
	fmt.Printf("dL/db %.4f\n", b.Grad)

	inference := autograd.MatMul(nil, x, w, b) // nothing recorded, no gradient
	fmt.Println(inference.RequiresGrad())
	// Output:
	// loss 1.0792
	// dL/db [-0.2451 0.3294 -0.0842]
	// false
}
