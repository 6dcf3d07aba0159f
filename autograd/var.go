package autograd

import (
	"fmt"
	"math"
)

// Var is a float32 matrix in row-major order, [Rows, Cols], with the
// gradient of the loss with respect to it. Grad is nil for values that do not
// need one (constants, and every value computed without a tape or from
// constants only); otherwise it has the length of Data.
//
// Ops never change their inputs' Data; callers must not either between a
// forward pass and its Backward (the backward closures read it).
type Var struct {
	Data       []float32
	Grad       []float32
	Rows, Cols int
}

// New returns a constant [rows, cols] value holding data (not copied); nil
// data means zeros. It panics if len(data) is not rows·cols.
func New(rows, cols int, data []float32) *Var {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("autograd: New of shape [%d, %d]", rows, cols))
	}
	if data == nil {
		data = make([]float32, rows*cols)
	}
	if len(data) != rows*cols {
		panic(fmt.Sprintf("autograd: New [%d, %d] with %d elements", rows, cols, len(data)))
	}
	return &Var{Data: data, Rows: rows, Cols: cols}
}

// Param returns a trainable [rows, cols] value holding data (not copied; nil
// means zeros) with a zero gradient: RequiresGrad is true.
func Param(rows, cols int, data []float32) *Var {
	v := New(rows, cols, data)
	v.Grad = make([]float32, len(v.Data))
	return v
}

// RequiresGrad reports whether v carries a gradient.
func (v *Var) RequiresGrad() bool { return v != nil && v.Grad != nil }

// ZeroGrad sets the gradients of vs to zero (values without one are skipped).
// Call it on the parameters before accumulating the next step's gradients.
func ZeroGrad(vs ...*Var) {
	for _, v := range vs {
		if v != nil {
			clear(v.Grad)
		}
	}
}

// Row returns row r of v's data.
func (v *Var) Row(r int) []float32 { return v.Data[r*v.Cols : (r+1)*v.Cols] }

// String describes v's shape.
func (v *Var) String() string {
	if v == nil {
		return "<nil>"
	}
	return fmt.Sprintf("Var[%d, %d]", v.Rows, v.Cols)
}

// Tape records the backward closures of the ops of one forward pass. Ops
// called with a nil *Tape record nothing and return values without
// gradients, so the same model code runs inference at the cost of the
// forward math alone. A Tape is not safe for concurrent use.
//
// A Tape recycles the memory of the values its ops return (their Data and
// Grad, and what the ops keep for the backward pass): once a pass has ended
// (Backward or Reset), the next op recorded on the tape starts a new pass
// and reuses the previous pass's buffers, zeroed, for values of the same
// size. So the values of a pass stay valid through its Backward (read the
// loss, the logits, after it) until the tape records the next pass; keep a
// copy of anything needed longer, or compute it with a nil tape. A training
// loop of fixed shapes then allocates no new value memory after its first
// step, with results bit for bit those of fresh memory.
type Tape struct {
	back []func()
	free [][]float32 // scratch buffers for backward closures (scratch, release)

	live  [][]float32         // buffers handed out in this pass (buf)
	pool  map[int][][]float32 // the previous pass's buffers by length, for reuse
	ended bool                // Backward or Reset ended the pass: recycle at the next buf
}

// NewTape returns an empty tape.
func NewTape() *Tape { return &Tape{} }

// Len returns the number of recorded backward closures.
func (tp *Tape) Len() int {
	if tp == nil {
		return 0
	}
	return len(tp.back)
}

// Reset forgets everything recorded, without running it, and ends the pass:
// the values computed on the tape are recycled when it records again.
func (tp *Tape) Reset() {
	clear(tp.back)
	tp.back = tp.back[:0]
	tp.ended = true
}

// buf returns a zeroed buffer of n elements for a value (or saved state) of
// the current pass, recycling the previous pass's buffers when a new pass
// starts.
func (tp *Tape) buf(n int) []float32 {
	if tp.ended {
		tp.ended = false
		// Only the last pass's buffers are kept: a loop whose shapes
		// change does not grow the pool without bound.
		tp.pool = make(map[int][][]float32, len(tp.pool))
		for _, b := range tp.live {
			tp.pool[len(b)] = append(tp.pool[len(b)], b)
		}
		clear(tp.live)
		tp.live = tp.live[:0]
	}
	var b []float32
	if l := tp.pool[n]; len(l) > 0 {
		b = l[len(l)-1]
		l[len(l)-1] = nil
		tp.pool[n] = l[:len(l)-1]
		clear(b)
	} else {
		b = make([]float32, n)
	}
	tp.live = append(tp.live, b)
	return b
}

// Backward adds 1 to the gradient of every element of loss (d loss/d loss;
// loss is normally [1, 1]) and runs the recorded closures in reverse order,
// accumulating (+=) into the gradients of every value on the way down to the
// parameters. Gradients of parameters therefore sum over calls, which is
// gradient accumulation over micro-batches; ZeroGrad starts afresh. The tape
// is empty afterwards and can record the next forward pass.
func (tp *Tape) Backward(loss *Var) error {
	if tp == nil {
		return fmt.Errorf("autograd: Backward on a nil tape (nothing was recorded)")
	}
	if loss == nil || !loss.RequiresGrad() {
		tp.Reset()
		return fmt.Errorf("autograd: Backward of %v, which does not depend on any parameter through this tape", loss)
	}
	for i := range loss.Grad {
		loss.Grad[i]++
	}
	tp.run()
	return nil
}

// run executes the closures last to first and clears the tape.
func (tp *Tape) run() {
	for i := len(tp.back) - 1; i >= 0; i-- {
		tp.back[i]()
		tp.back[i] = nil
	}
	tp.back = tp.back[:0]
	tp.ended = true
}

// result returns a new [rows, cols] value computed from ins: it carries a
// gradient when tp is not nil and some input does.
func (tp *Tape) result(rows, cols int, ins ...*Var) *Var {
	if tp == nil {
		return &Var{Data: make([]float32, rows*cols), Rows: rows, Cols: cols}
	}
	v := &Var{Data: tp.buf(rows * cols), Rows: rows, Cols: cols}
	if tp.tracks(ins...) {
		v.Grad = tp.buf(rows * cols)
	}
	return v
}

// tracks reports whether an op on ins must record a backward closure.
func (tp *Tape) tracks(ins ...*Var) bool {
	if tp == nil {
		return false
	}
	for _, v := range ins {
		if v.RequiresGrad() {
			return true
		}
	}
	return false
}

// scratch returns a buffer of n elements (not zeroed) for a backward
// closure, reusing one released earlier where one is large enough.
func (tp *Tape) scratch(n int) []float32 {
	for i, b := range tp.free {
		if cap(b) >= n {
			last := len(tp.free) - 1
			tp.free[i] = tp.free[last]
			tp.free = tp.free[:last]
			return b[:n]
		}
	}
	return make([]float32, n)
}

// release hands buffers from scratch back for reuse.
func (tp *Tape) release(bs ...[]float32) { tp.free = append(tp.free, bs...) }

// record appends a backward closure.
func (tp *Tape) record(f func()) { tp.back = append(tp.back, f) }

// Reshape returns a view of x as [rows, cols] (rows·cols = x's size) that
// shares x's Data and Grad, so no backward closure is needed.
func Reshape(x *Var, rows, cols int) *Var {
	if rows < 0 || cols < 0 || rows*cols != len(x.Data) {
		panic(fmt.Sprintf("autograd: Reshape %v to [%d, %d]", x, rows, cols))
	}
	return &Var{Data: x.Data, Grad: x.Grad, Rows: rows, Cols: cols}
}

func sameShape(op string, a, b *Var) {
	if a.Rows != b.Rows || a.Cols != b.Cols {
		panic(fmt.Sprintf("autograd: %s of %v and %v", op, a, b))
	}
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus returns log(1 + e^x) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}
