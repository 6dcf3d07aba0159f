package optim_test

import (
	"fmt"

	"github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/optim"
)

// A training loop: forward on a tape, Backward, clip, step with the
// scheduled learning rate, zero the gradients. It fits y = 2x − 1.
func Example() {
	w, b := autograd.Param(1, 1, nil), autograd.Param(1, 1, nil)
	params := []*autograd.Var{w, b}
	opt := optim.NewAdamW(params, 0.0, optim.DecayMatrices)
	sched := optim.WarmupCosine{MaxLR: 0.1, MinLR: 0.01, Warmup: 10, DecaySteps: 300}
	x := autograd.New(4, 1, []float32{-1, 0, 1, 2})
	y := autograd.New(4, 1, []float32{-3, -1, 1, 3})
	for step := 0; step < 300; step++ {
		tp := autograd.NewTape()
		diff := autograd.Add(tp, autograd.MatMul(tp, x, w, b), autograd.Scale(tp, y, -1))
		loss := autograd.MatMul(tp, autograd.Reshape(diff, 1, 4), autograd.Reshape(diff, 1, 4), nil) // Σ diff²
		if err := tp.Backward(loss); err != nil {
			fmt.Println(err)
			return
		}
		optim.ClipGradNorm(params, 10)
		opt.Step(sched.LR(step))
		opt.ZeroGrad()
	}
	fmt.Printf("w %.2f b %.2f\n", w.Data[0], b.Data[0])
	// Output:
	// w 2.00 b -1.00
}
