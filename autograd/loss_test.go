package autograd

import (
	"math"
	"testing"
)

func near(t *testing.T, what string, got float32, want float64) {
	t.Helper()
	if math.Abs(float64(got)-want) > 1e-6*max(1, math.Abs(want)) {
		t.Errorf("%s = %.9g, want %.9g", what, got, want)
	}
}

// Values computed by hand (see each comment); checked with Python's math
// module.
func TestLossesByHand(t *testing.T) {
	ln3 := float32(math.Log(3))
	t.Run("CrossEntropy", func(t *testing.T) {
		// row 0: softmax(0, 0) = (½, ½), target 0: ln 2
		// row 1: softmax(0, ln 3) = (¼, ¾), target 1: −ln ¾
		// row 2: ignored. Mean over 2 counted rows: (ln 2 − ln ¾)/2.
		tp := NewTape()
		logits := Param(3, 2, []float32{0, 0, 0, ln3, 5, 5})
		loss := CrossEntropy(tp, logits, []int{0, 1, -100}, -100)
		near(t, "loss", loss.Data[0], 0.4904146265058631)
		if err := tp.Backward(loss); err != nil {
			t.Fatal(err)
		}
		// (softmax − onehot)/2
		for i, w := range []float64{-0.25, 0.25, 0.125, -0.125, 0, 0} {
			near(t, "dlogits", logits.Grad[i], w)
		}
	})
	t.Run("CrossEntropy all ignored", func(t *testing.T) {
		tp := NewTape()
		logits := Param(2, 2, []float32{1, 2, 3, 4})
		loss := CrossEntropy(tp, logits, []int{-1, -1}, -1)
		near(t, "loss", loss.Data[0], 0)
		if err := tp.Backward(loss); err != nil {
			t.Fatal(err)
		}
		for _, g := range logits.Grad {
			near(t, "dlogits", g, 0)
		}
	})
	t.Run("SequenceLogProb", func(t *testing.T) {
		// sequence 0: log ¾ (row 0) + ignored row 1; sequence 1: log ½ + log ½
		lp := SequenceLogProb(nil, New(4, 2, []float32{0, ln3, 9, 9, 0, 0, 1, 1}), []int{1, -1, 0, 1}, 2, -1)
		near(t, "seq 0", lp.Data[0], math.Log(0.75))
		near(t, "seq 1", lp.Data[1], 2*math.Log(0.5))
	})
	t.Run("KL", func(t *testing.T) {
		// P = (½, ½), Q = (¼, ¾): ½ ln(½/¼) + ½ ln(½/¾)
		kl := KL(nil, New(1, 2, []float32{0, 0}), New(1, 2, []float32{0, ln3}))
		near(t, "KL", kl.Data[0], 0.14384103622589042)
	})
	t.Run("BradleyTerry", func(t *testing.T) {
		// pairs (1, 0) and (0, 1): (ln(1 + e⁻¹) + ln(1 + e))/2
		tp := NewTape()
		c, r := Param(2, 1, []float32{1, 0}), Param(2, 1, []float32{0, 1})
		loss := BradleyTerry(tp, c, r)
		near(t, "loss", loss.Data[0], 0.8132616875182228)
		if err := tp.Backward(loss); err != nil {
			t.Fatal(err)
		}
		// dc₀ = −σ(−1)/2 = −1/(1+e)/2
		near(t, "dchosen[0]", c.Grad[0], -0.13447071068499755)
		near(t, "drejected[0]", r.Grad[0], 0.13447071068499755)
	})
	t.Run("DPO", func(t *testing.T) {
		// β = 0.1, logπ(y_w) = −1, logπ(y_l) = −2, reference −1.5 for both:
		// z = 0.1·((−1 + 1.5) − (−2 + 1.5)) = 0.1, loss = ln(1 + e^−0.1)
		tp := NewTape()
		pw, pl := Param(1, 1, []float32{-1}), Param(1, 1, []float32{-2})
		loss := DPO(tp, pw, pl, New(1, 1, []float32{-1.5}), New(1, 1, []float32{-1.5}), 0.1)
		near(t, "loss", loss.Data[0], 0.6443966600735709)
		if err := tp.Backward(loss); err != nil {
			t.Fatal(err)
		}
		// dπ_w = −β·σ(−z) = −0.1/(1 + e^0.1)
		near(t, "dpolicyW", pw.Grad[0], -0.047502081252106004)
		near(t, "dpolicyL", pl.Grad[0], 0.047502081252106004)
	})
}
