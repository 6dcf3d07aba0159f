package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// segAttention64 is masked attention in float64 written from the definition:
// row t of sequence b attends to p ≤ t with seg[p] == seg[t] and no change
// of id between p and t.
func segAttention64(q, k, v *m64, batch, nHeads, nKVHeads int, scale float32, seg []int32) *m64 {
	T, hd := q.r/batch, q.c/nHeads
	y := newM64(q.r, q.c)
	for b := 0; b < batch; b++ {
		for h := 0; h < nHeads; h++ {
			kh := h / (nHeads / nKVHeads)
			for t := 0; t < T; t++ {
				lo := t
				for lo > 0 && seg[b*T+lo-1] == seg[b*T+t] {
					lo--
				}
				qt := q.d[(b*T+t)*q.c+h*hd:]
				w := make([]float64, t+1)
				m := math.Inf(-1)
				for p := lo; p <= t; p++ {
					kp := k.d[(b*T+p)*k.c+kh*hd:]
					for i := 0; i < hd; i++ {
						w[p] += qt[i] * kp[i]
					}
					w[p] *= float64(scale)
					m = max(m, w[p])
				}
				var z float64
				for p := lo; p <= t; p++ {
					w[p] = math.Exp(w[p] - m)
					z += w[p]
				}
				for p := lo; p <= t; p++ {
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

func TestAttentionSegmentsGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	P := func(r, c int, s float32) *Var { return randVar(rng, r, c, s, true) }
	for _, s := range []struct {
		batch, T, nh, nkv, hd int
		seg                   []int32
	}{
		{1, 1, 1, 1, 1, []int32{0}},
		{1, 6, 2, 2, 3, []int32{0, 0, 0, 1, 1, 2}},
		{2, 4, 4, 2, 2, []int32{0, 1, 1, 1, 5, 5, 6, 6}},
		{2, 6, 4, 1, 4, []int32{7, 7, 7, 7, 7, 7, 0, 1, 0, 1, 0, 1}}, // runs, not ids, are segments
		{1, 17, 2, 1, 5, []int32{0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, -1, -1}},
	} {
		name := fmt.Sprintf("batch%d T%d heads%d kv%d hd%d seg%v", s.batch, s.T, s.nh, s.nkv, s.hd, s.seg)
		t.Run(name, func(t *testing.T) {
			n := s.batch * s.T
			in := []*Var{P(n, s.nh*s.hd, 1.5), P(n, s.nkv*s.hd, 1.5), P(n, s.nkv*s.hd, 1)}
			gradCheck(t, name, rng, in,
				func(o ops[*Var], x []*Var) *Var {
					return AttentionSegments(o.(agOps).tp, x[0], x[1], x[2], s.batch, s.nh, s.nkv, DefaultScale(s.hd), s.seg)
				},
				func(_ ops[*m64], x []*m64) *m64 {
					return segAttention64(x[0], x[1], x[2], s.batch, s.nh, s.nkv, DefaultScale(s.hd), s.seg)
				}, 1e-4)
		})
	}
}

// One segment per sequence is Attention, bit for bit, forward and backward.
func TestAttentionSegmentsOneSegmentIsAttention(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	batch, T, nh, nkv, hd := 3, 9, 4, 2, 8
	n := batch * T
	q, k, v := randVar(rng, n, nh*hd, 1, true), randVar(rng, n, nkv*hd, 1, true), randVar(rng, n, nkv*hd, 1, true)
	dy := randVar(rng, n, nh*hd, 1, false).Data
	seg := make([]int32, n)
	for r := range seg {
		seg[r] = int32(r / T)
	}
	run := func(f func(*Tape) *Var) [][]float32 {
		ZeroGrad(q, k, v)
		tp := NewTape()
		y := f(tp)
		copy(y.Grad, dy)
		tp.run()
		return [][]float32{slices.Clone(y.Data), slices.Clone(q.Grad), slices.Clone(k.Grad), slices.Clone(v.Grad)}
	}
	a := run(func(tp *Tape) *Var { return Attention(tp, q, k, v, batch, nh, nkv, 0.3) })
	b := run(func(tp *Tape) *Var { return AttentionSegments(tp, q, k, v, batch, nh, nkv, 0.3, seg) })
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("output %d differs between Attention and one-segment AttentionSegments", i)
		}
	}
}

// An example packed after another gives, at its rows, what it gives alone.
func TestAttentionSegmentsPackedEqualsAlone(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	nh, nkv, hd := 2, 1, 4
	lens := []int{5, 3, 6}
	T := 16 // 14 rows of examples, 2 of padding
	seg := make([]int32, T)
	for r := range seg {
		seg[r] = -1
	}
	q, k, v := randVar(rng, T, nh*hd, 1, false), randVar(rng, T, nkv*hd, 1, false), randVar(rng, T, nkv*hd, 1, false)
	packed := AttentionSegments(nil, q, k, v, 1, nh, nkv, 0.5, func() []int32 {
		r := 0
		for i, n := range lens {
			for range n {
				seg[r] = int32(i)
				r++
			}
		}
		return seg
	}())
	r0 := 0
	for _, n := range lens {
		sub := func(x *Var) *Var { return New(n, x.Cols, x.Data[r0*x.Cols:(r0+n)*x.Cols]) }
		alone := Attention(nil, sub(q), sub(k), sub(v), 1, nh, nkv, 0.5)
		got := packed.Data[r0*packed.Cols : (r0+n)*packed.Cols]
		for i := range got {
			if math.Abs(float64(got[i]-alone.Data[i])) > 1e-6 {
				t.Fatalf("example at row %d: element %d = %g packed, %g alone", r0, i, got[i], alone.Data[i])
			}
		}
		r0 += n
	}
	if pos := SegmentPositions(seg, T); !slices.Equal(pos, []int{0, 1, 2, 3, 4, 0, 1, 2, 0, 1, 2, 3, 4, 5, 0, 1}) {
		t.Errorf("SegmentPositions = %v", pos)
	}
}
