package autograd

import (
	"fmt"

	"github.com/llmpipe/llmpipe/kernels"
)

// RoPE rotates every row of x, the nHeads heads of one token, by rotary
// position embedding at that row's position (kernels.RoPE: normal or NeoX
// pairing, ropeDim ≤ headDim rotated dimensions, base, and freqScale for
// linear scaling).
//
//	x: [n, nHeads·headDim]   pos: [n]   → [n, nHeads·headDim]
//
// A rotation's transpose is the rotation by −θ, and θ is linear in the
// position (kernels.RoPE negates it exactly), so the backward pass is
// kernels.RoPE of dy at −pos.
func RoPE(tp *Tape, x *Var, pos []int, nHeads, ropeDim int, base, freqScale float32, mode kernels.RoPEMode) *Var {
	if nHeads <= 0 || x.Cols%nHeads != 0 || len(pos) != x.Rows {
		panic(fmt.Sprintf("autograd: RoPE x %v with %d positions and %d heads", x, len(pos), nHeads))
	}
	hd := x.Cols / nHeads
	y := tp.result(x.Rows, x.Cols, x)
	c := x.Cols
	parFor(x.Rows, transWork*c, func(lo, hi int) {
		copy(y.Data[lo*c:hi*c], x.Data[lo*c:hi*c])
		for t := lo; t < hi; t++ {
			kernels.RoPE(y.Data[t*c:(t+1)*c], nHeads, hd, ropeDim, pos[t], base, freqScale, mode)
		}
	})
	if y.Grad == nil {
		return y
	}
	tp.record(func() {
		parFor(x.Rows, transWork*c, func(lo, hi int) {
			tmp := getScratch(c)
			defer putScratch(tmp)
			for t := lo; t < hi; t++ {
				copy(tmp, y.Grad[t*c:(t+1)*c])
				kernels.RoPE(tmp, nHeads, hd, ropeDim, -pos[t], base, freqScale, mode)
				kernels.Add(x.Grad[t*c:(t+1)*c], tmp)
			}
		})
	})
	return y
}
