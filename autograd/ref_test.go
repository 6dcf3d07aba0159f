package autograd

import (
	"math"

	"github.com/llmpipe/llmpipe/kernels"
)

// The float64 twin of every op: naive loops, written from the formulas (not
// from the float32 code), that the finite-difference checks differentiate.

// m64 is a float64 [r, c] matrix.
type m64 struct {
	d    []float64
	r, c int
}

func newM64(r, c int) *m64 { return &m64{d: make([]float64, r*c), r: r, c: c} }

// ops is the set of ops a test model is written with, once, and run both
// through autograd (agOps) and through the float64 twins (refOps).
type ops[V any] interface {
	matmul(x, w, b V) V
	embedding(table V, ids []int) V
	add(a, b V) V
	mul(a, b V) V
	scale(a V, s float32) V
	rmsnorm(x, w V, eps float32) V
	layernorm(x, w, b V, eps float32) V
	rope(x V, pos []int, nHeads, ropeDim int, base, freqScale float32, mode kernels.RoPEMode) V
	attention(q, k, v V, batch, nHeads, nKVHeads int, scale float32) V
	softmax(x V) V
	logsoftmax(x V) V
	silu(x V) V
	gelu(x V) V
	swiglu(g, u V) V
	crossentropy(logits V, targets []int, ignore int) V
	seqlogprob(logits V, targets []int, batch, ignore int) V
	kl(p, q V) V
	bt(c, r V) V
	dpo(pw, pl, rw, rl V, beta float32) V
	reshape(x V, r, c int) V
}

type agOps struct{ tp *Tape }

func (o agOps) matmul(x, w, b *Var) *Var         { return MatMul(o.tp, x, w, b) }
func (o agOps) embedding(t *Var, ids []int) *Var { return Embedding(o.tp, t, ids) }
func (o agOps) add(a, b *Var) *Var               { return Add(o.tp, a, b) }
func (o agOps) mul(a, b *Var) *Var               { return Mul(o.tp, a, b) }
func (o agOps) scale(a *Var, s float32) *Var     { return Scale(o.tp, a, s) }
func (o agOps) rmsnorm(x, w *Var, eps float32) *Var {
	return RMSNorm(o.tp, x, w, eps)
}
func (o agOps) layernorm(x, w, b *Var, eps float32) *Var {
	return LayerNorm(o.tp, x, w, b, eps)
}
func (o agOps) rope(x *Var, pos []int, nHeads, ropeDim int, base, fs float32, mode kernels.RoPEMode) *Var {
	return RoPE(o.tp, x, pos, nHeads, ropeDim, base, fs, mode)
}
func (o agOps) attention(q, k, v *Var, batch, nHeads, nKVHeads int, scale float32) *Var {
	return Attention(o.tp, q, k, v, batch, nHeads, nKVHeads, scale)
}
func (o agOps) softmax(x *Var) *Var    { return Softmax(o.tp, x) }
func (o agOps) logsoftmax(x *Var) *Var { return LogSoftmax(o.tp, x) }
func (o agOps) silu(x *Var) *Var       { return SiLU(o.tp, x) }
func (o agOps) gelu(x *Var) *Var       { return GELU(o.tp, x) }
func (o agOps) swiglu(g, u *Var) *Var  { return SwiGLU(o.tp, g, u) }
func (o agOps) crossentropy(l *Var, tg []int, ig int) *Var {
	return CrossEntropy(o.tp, l, tg, ig)
}
func (o agOps) seqlogprob(l *Var, tg []int, batch, ig int) *Var {
	return SequenceLogProb(o.tp, l, tg, batch, ig)
}
func (o agOps) kl(p, q *Var) *Var { return KL(o.tp, p, q) }
func (o agOps) bt(c, r *Var) *Var { return BradleyTerry(o.tp, c, r) }
func (o agOps) dpo(pw, pl, rw, rl *Var, beta float32) *Var {
	return DPO(o.tp, pw, pl, rw, rl, beta)
}
func (o agOps) reshape(x *Var, r, c int) *Var { return Reshape(x, r, c) }

type refOps struct{}

func (refOps) matmul(x, w, b *m64) *m64 {
	y := newM64(x.r, w.r)
	for t := 0; t < x.r; t++ {
		for o := 0; o < w.r; o++ {
			var s float64
			for i := 0; i < x.c; i++ {
				s += x.d[t*x.c+i] * w.d[o*w.c+i]
			}
			if b != nil {
				s += b.d[o]
			}
			y.d[t*y.c+o] = s
		}
	}
	return y
}

func (refOps) embedding(table *m64, ids []int) *m64 {
	y := newM64(len(ids), table.c)
	for i, id := range ids {
		copy(y.d[i*y.c:(i+1)*y.c], table.d[id*table.c:(id+1)*table.c])
	}
	return y
}

func (refOps) add(a, b *m64) *m64 {
	y := newM64(a.r, a.c)
	for i := range y.d {
		y.d[i] = a.d[i] + b.d[i%len(b.d)]
	}
	return y
}

func (refOps) mul(a, b *m64) *m64 {
	y := newM64(a.r, a.c)
	for i := range y.d {
		y.d[i] = a.d[i] * b.d[i]
	}
	return y
}

func (refOps) scale(a *m64, s float32) *m64 {
	y := newM64(a.r, a.c)
	for i := range y.d {
		y.d[i] = a.d[i] * float64(s)
	}
	return y
}

func (refOps) rmsnorm(x, w *m64, eps float32) *m64 {
	y := newM64(x.r, x.c)
	for t := 0; t < x.r; t++ {
		var ss float64
		for j := 0; j < x.c; j++ {
			ss += x.d[t*x.c+j] * x.d[t*x.c+j]
		}
		r := 1 / math.Sqrt(ss/float64(x.c)+float64(eps))
		for j := 0; j < x.c; j++ {
			y.d[t*x.c+j] = x.d[t*x.c+j] * r * w.d[j]
		}
	}
	return y
}

func (refOps) layernorm(x, w, b *m64, eps float32) *m64 {
	y := newM64(x.r, x.c)
	n := float64(x.c)
	for t := 0; t < x.r; t++ {
		row := x.d[t*x.c : (t+1)*x.c]
		var mu, v float64
		for _, u := range row {
			mu += u / n
		}
		for _, u := range row {
			v += (u - mu) * (u - mu) / n
		}
		for j, u := range row {
			y.d[t*x.c+j] = (u-mu)/math.Sqrt(v+float64(eps))*w.d[j] + b.d[j]
		}
	}
	return y
}

func (refOps) rope(x *m64, pos []int, nHeads, ropeDim int, base, fs float32, mode kernels.RoPEMode) *m64 {
	y := newM64(x.r, x.c)
	copy(y.d, x.d)
	hd := x.c / nHeads
	for t, p := range pos {
		for h := 0; h < nHeads; h++ {
			v := y.d[t*x.c+h*hd : t*x.c+(h+1)*hd]
			for i := 0; i < ropeDim/2; i++ {
				th := float64(p) * float64(fs) * math.Pow(float64(base), -2*float64(i)/float64(ropeDim))
				ia, ib := 2*i, 2*i+1
				if mode == kernels.RoPENeoX {
					ia, ib = i, i+ropeDim/2
				}
				a, b := v[ia], v[ib]
				v[ia] = a*math.Cos(th) - b*math.Sin(th)
				v[ib] = a*math.Sin(th) + b*math.Cos(th)
			}
		}
	}
	return y
}

func (refOps) attention(q, k, v *m64, batch, nHeads, nKVHeads int, scale float32) *m64 {
	T, hd := q.r/batch, q.c/nHeads
	y := newM64(q.r, q.c)
	for b := 0; b < batch; b++ {
		for h := 0; h < nHeads; h++ {
			kh := h / (nHeads / nKVHeads)
			for t := 0; t < T; t++ {
				qt := q.d[(b*T+t)*q.c+h*hd:]
				w := make([]float64, t+1)
				m := math.Inf(-1)
				for p := 0; p <= t; p++ {
					kp := k.d[(b*T+p)*k.c+kh*hd:]
					for i := 0; i < hd; i++ {
						w[p] += qt[i] * kp[i]
					}
					w[p] *= float64(scale)
					m = max(m, w[p])
				}
				var z float64
				for p := range w {
					w[p] = math.Exp(w[p] - m)
					z += w[p]
				}
				for p := range w {
					vp := v.d[(b*T+p)*v.c+kh*hd:]
					for i := 0; i < hd; i++ {
						y.d[(b*T+t)*y.c+h*hd+i] += w[p] / z * vp[i]
					}
				}
			}
		}
	}
	return y
}

func lse64(row []float64) float64 {
	m := math.Inf(-1)
	for _, u := range row {
		m = max(m, u)
	}
	var s float64
	for _, u := range row {
		s += math.Exp(u - m)
	}
	return m + math.Log(s)
}

func (refOps) logsoftmax(x *m64) *m64 {
	y := newM64(x.r, x.c)
	for t := 0; t < x.r; t++ {
		l := lse64(x.d[t*x.c : (t+1)*x.c])
		for j := 0; j < x.c; j++ {
			y.d[t*x.c+j] = x.d[t*x.c+j] - l
		}
	}
	return y
}

func (o refOps) softmax(x *m64) *m64 {
	y := o.logsoftmax(x)
	for i := range y.d {
		y.d[i] = math.Exp(y.d[i])
	}
	return y
}

func (refOps) silu(x *m64) *m64 {
	y := newM64(x.r, x.c)
	for i, u := range x.d {
		y.d[i] = u / (1 + math.Exp(-u))
	}
	return y
}

func (refOps) gelu(x *m64) *m64 {
	y := newM64(x.r, x.c)
	for i, u := range x.d {
		y.d[i] = 0.5 * u * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(u+0.044715*u*u*u)))
	}
	return y
}

func (o refOps) swiglu(g, u *m64) *m64 { return o.mul(o.silu(g), u) }

func (o refOps) crossentropy(l *m64, tg []int, ig int) *m64 {
	ls := o.logsoftmax(l)
	y := newM64(1, 1)
	n := 0
	for t, c := range tg {
		if c != ig {
			y.d[0] -= ls.d[t*l.c+c]
			n++
		}
	}
	if n > 0 {
		y.d[0] /= float64(n)
	}
	return y
}

func (o refOps) seqlogprob(l *m64, tg []int, batch, ig int) *m64 {
	ls := o.logsoftmax(l)
	y := newM64(batch, 1)
	T := l.r / batch
	for t, c := range tg {
		if c != ig {
			y.d[t/T] += ls.d[t*l.c+c]
		}
	}
	return y
}

func (o refOps) kl(p, q *m64) *m64 {
	lp, lq := o.logsoftmax(p), o.logsoftmax(q)
	y := newM64(1, 1)
	for i := range lp.d {
		y.d[0] += math.Exp(lp.d[i]) * (lp.d[i] - lq.d[i]) / float64(p.r)
	}
	return y
}

func (refOps) bt(c, r *m64) *m64 {
	y := newM64(1, 1)
	for i := range c.d {
		y.d[0] += -math.Log(1/(1+math.Exp(-(c.d[i]-r.d[i])))) / float64(c.r)
	}
	return y
}

func (refOps) dpo(pw, pl, rw, rl *m64, beta float32) *m64 {
	y := newM64(1, 1)
	for i := range pw.d {
		z := float64(beta) * ((pw.d[i] - rw.d[i]) - (pl.d[i] - rl.d[i]))
		y.d[0] += -math.Log(1/(1+math.Exp(-z))) / float64(pw.r)
	}
	return y
}

func (refOps) reshape(x *m64, r, c int) *m64 { return &m64{d: x.d, r: r, c: c} }
