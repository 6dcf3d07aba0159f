package optim

import (
	"math"

	"github.com/llmpipe/llmpipe/autograd"
)

// Optimizer is a parameter update rule.
type Optimizer interface {
	// Step updates every parameter from its gradient with learning rate lr.
	Step(lr float32)
	// ZeroGrad clears the gradients of the parameters.
	ZeroGrad()
	// MarshalBinary returns the optimizer's state (not its hyperparameters).
	MarshalBinary() ([]byte, error)
	// UnmarshalBinary restores a state saved by MarshalBinary.
	UnmarshalBinary([]byte) error
}

// DecayMatrices reports whether p has more than one row: nanoGPT's rule that
// weight matrices and embeddings get weight decay and vectors (norm weights,
// biases; [1, n]) do not.
func DecayMatrices(p *autograd.Var) bool { return p.Rows > 1 }

// decays reports whether weight decay applies to p under the predicate
// (nil: every parameter).
func decays(pred func(*autograd.Var) bool, p *autograd.Var) bool { return pred == nil || pred(p) }

// SGD is stochastic gradient descent with momentum (PyTorch's torch.optim.SGD):
//
//	g ← g + WeightDecay·p        (L2, for parameters that Decay selects)
//	b ← g at the first step, then Momentum·b + (1 − Dampening)·g
//	g ← g + Momentum·b if Nesterov, else b   (when Momentum ≠ 0)
//	p ← p − lr·g
type SGD struct {
	Params                           []*autograd.Var
	Momentum, Dampening, WeightDecay float32
	Nesterov                         bool
	// Decay selects the parameters that WeightDecay applies to; nil means all.
	Decay func(*autograd.Var) bool
	// State: the step count and one momentum buffer per parameter (nil
	// until the first step with Momentum ≠ 0).
	Steps int64
	Buf   [][]float32
}

// NewSGD returns plain SGD on params; set Momentum and the other fields to
// change it.
func NewSGD(params []*autograd.Var) *SGD { return &SGD{Params: params} }

// Step implements Optimizer.
func (o *SGD) Step(lr float32) {
	o.Steps++
	if o.Momentum != 0 && o.Buf == nil {
		o.Buf = make([][]float32, len(o.Params))
	}
	for k, p := range o.Params {
		if !p.RequiresGrad() {
			continue
		}
		wd := float32(0)
		if decays(o.Decay, p) {
			wd = o.WeightDecay
		}
		var buf []float32
		first := false
		if o.Momentum != 0 {
			if o.Buf[k] == nil {
				o.Buf[k] = make([]float32, len(p.Data))
				first = true
			}
			buf = o.Buf[k]
		}
		for i, g := range p.Grad {
			g += wd * p.Data[i]
			if buf != nil {
				if first {
					buf[i] = g
				} else {
					buf[i] = o.Momentum*buf[i] + (1-o.Dampening)*g
				}
				if o.Nesterov {
					g += o.Momentum * buf[i]
				} else {
					g = buf[i]
				}
			}
			p.Data[i] -= lr * g
		}
	}
}

// ZeroGrad implements Optimizer.
func (o *SGD) ZeroGrad() { autograd.ZeroGrad(o.Params...) }

// Adam is Adam (Kingma & Ba 2015) or, with Decoupled, AdamW (Loshchilov &
// Hutter 2019), as PyTorch computes them: at step t, for each element,
//
//	p ← p·(1 − lr·WeightDecay)                   (AdamW)
//	g ← g + WeightDecay·p                        (Adam: L2 in the gradient)
//	m ← β1·m + (1 − β1)·g    v ← β2·v + (1 − β2)·g²
//	p ← p − lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + Eps)
//
// Weight decay applies to the parameters Decay selects (nil: all).
type Adam struct {
	Params            []*autograd.Var
	Beta1, Beta2, Eps float32
	WeightDecay       float32
	Decoupled         bool
	Decay             func(*autograd.Var) bool
	Steps             int64       // t, the number of steps taken
	M, V              [][]float32 // first and second moments per parameter (nil before the first step)
}

// NewAdam returns Adam with PyTorch's defaults: β1 0.9, β2 0.999, ε 1e-8,
// no weight decay.
func NewAdam(params []*autograd.Var) *Adam {
	return &Adam{Params: params, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// NewAdamW returns AdamW with PyTorch's defaults (β1 0.9, β2 0.999, ε 1e-8)
// and weight decay wd on the parameters decay selects (nil: all; e.g.
// DecayMatrices).
func NewAdamW(params []*autograd.Var, wd float32, decay func(*autograd.Var) bool) *Adam {
	return &Adam{Params: params, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: wd, Decoupled: true, Decay: decay}
}

// Step implements Optimizer.
func (o *Adam) Step(lr float32) {
	o.Steps++
	if o.M == nil {
		o.M, o.V = make([][]float32, len(o.Params)), make([][]float32, len(o.Params))
	}
	t := float64(o.Steps)
	bc1 := 1 - math.Pow(float64(o.Beta1), t)
	bc2 := 1 - math.Pow(float64(o.Beta2), t)
	stepSize := float32(float64(lr) / bc1)
	sqrtBC2 := float32(math.Sqrt(bc2))
	b1, b2 := o.Beta1, o.Beta2
	for k, p := range o.Params {
		if !p.RequiresGrad() {
			continue
		}
		if o.M[k] == nil {
			o.M[k], o.V[k] = make([]float32, len(p.Data)), make([]float32, len(p.Data))
		}
		m, v := o.M[k], o.V[k]
		wd := float32(0)
		if decays(o.Decay, p) {
			wd = o.WeightDecay
		}
		for i, g := range p.Grad {
			if o.Decoupled {
				p.Data[i] *= 1 - lr*wd
			} else {
				g += wd * p.Data[i]
			}
			m[i] = b1*m[i] + (1-b1)*g
			v[i] = b2*v[i] + (1-b2)*g*g
			denom := float32(math.Sqrt(float64(v[i])))/sqrtBC2 + o.Eps
			p.Data[i] -= stepSize * m[i] / denom
		}
	}
}

// ZeroGrad implements Optimizer.
func (o *Adam) ZeroGrad() { autograd.ZeroGrad(o.Params...) }

// ClipGradNorm scales the gradients of params so that their global L2 norm
// (over all elements of all parameters, summed in float64) is at most
// maxNorm, as torch.nn.utils.clip_grad_norm_: every gradient is multiplied
// by min(1, maxNorm/(norm + 1e-6)). It returns the norm before clipping. A
// maxNorm ≤ 0 only measures; a NaN or infinite norm is returned without
// touching the gradients (the caller stops on it).
func ClipGradNorm(params []*autograd.Var, maxNorm float64) float64 {
	var ss float64
	for _, p := range params {
		for _, g := range p.Grad {
			ss += float64(g) * float64(g)
		}
	}
	norm := math.Sqrt(ss)
	if maxNorm <= 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm
	}
	if c := maxNorm / (norm + 1e-6); c < 1 {
		cf := float32(c)
		for _, p := range params {
			for i := range p.Grad {
				p.Grad[i] *= cf
			}
		}
	}
	return norm
}
