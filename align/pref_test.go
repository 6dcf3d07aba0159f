package align

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/train"
)

// TestScorePaddingInvariant: a sequence's reward does not depend on the
// longer sequences padded alongside it (the causal mask hides the padding
// from the last real token).
func TestScorePaddingInvariant(t *testing.T) {
	r := NewRewardModel(tinyModel(t, 5))
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range r.Head.Data {
		r.Head.Data[i] = float32(rng.NormFloat64())
	}
	r.Bias.Data[0] = 0.5
	short, long := []int{3, 4, 5}, []int{9, 8, 7, 6, 5, 4, 3}
	alone := r.Score(nil, [][]int{short}).Data[0]
	both := r.Score(nil, [][]int{long, short})
	if d := math.Abs(float64(alone - both.Data[1])); d > 1e-5 {
		t.Errorf("score %v alone, %v padded: differ by %g", alone, both.Data[1], d)
	}
	// The head reads the last token's hidden state: r = Head·h_last + Bias.
	h := Hidden(nil, r.Trunk, short, 1)
	want := float64(r.Bias.Data[0])
	for j, w := range r.Head.Data {
		want += float64(w) * float64(h.Row(2)[j])
	}
	if math.Abs(want-float64(alone)) > 1e-4 {
		t.Errorf("score %v, Head·h_last + Bias = %v", alone, want)
	}
}

// TestRewardLearns: on 64 fixed copy/uppercase pairs, 80 Bradley-Terry
// steps take the loss from ln 2 (zero head: every pair a tie) to below 0.35
// and the training pairs' accuracy above 80% (chance: 50%).
func TestRewardLearns(t *testing.T) {
	tok, _ := Tokenizer()
	r := NewRewardModel(tinyModel(t, 6))
	ex, _ := Dataset(3, []string{TaskCopy, TaskUpper}, 64, 0)
	pairs := Pairs(4, ex)
	res, err := TrainReward(context.Background(), r, tok, Options{Steps: 80, Batch: 16, LR: 1e-2, LogEvery: 1, Seed: 2,
		JSON: writerFunc(func(b []byte) {})}, pairs, nil)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := r.PairAccuracy(tok, pairs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("last loss %.3f, training pair accuracy %.3f", res.Loss, acc)
	if res.Loss > 0.35 || acc < 0.8 {
		t.Errorf("loss %.3f, pair accuracy %.3f: want < 0.35 and > 0.8 (chance: 0.5)", res.Loss, acc)
	}
}

type writerFunc func([]byte)

func (w writerFunc) Write(b []byte) (int, error) { w(b); return len(b), nil }

// TestDPOLossAtReference: a policy equal to its reference has DPO loss
// exactly ln 2 and margin 0 (β·0 inside the sigmoid), whatever β.
func TestDPOLossAtReference(t *testing.T) {
	tok, _ := Tokenizer()
	m := tinyModel(t, 7)
	ex, _ := Dataset(5, AllTasks, 8, 0)
	b, err := NewPairBatch(tok, Pairs(1, ex), m.Config.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	ref := b.LogProbs(nil, Clone(m))
	loss, margin := DPOLoss(nil, m, b, ref, 0.3, 0)
	if math.Abs(float64(loss.Data[0])-math.Ln2) > 1e-6 || margin != 0 {
		t.Errorf("loss %v margin %v, want ln 2 and 0", loss.Data[0], margin)
	}
	// The reply log-probs count reply tokens only: the same reply after
	// another prompt of the same length has the same number of terms.
	if b.T == 0 || len(b.Targets) != 2*b.N*b.T {
		t.Errorf("batch %d pairs of %d tokens, %d targets", b.N, b.T, len(b.Targets))
	}
}

// TestDPOImproves: 40 DPO steps on a fixed set of 16 pairs lower the loss
// below ln 2 − 0.2 and grow the implicit reward margin above 0.5 (β = 0.5).
func TestDPOImproves(t *testing.T) {
	tok, _ := Tokenizer()
	ref := tinyModel(t, 8)
	policy := Clone(ref)
	ex, _ := Dataset(6, []string{TaskCopy, TaskAdd}, 16, 0)
	pairs := Pairs(2, ex)
	b, err := NewPairBatch(tok, pairs, ref.Config.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	refLP := b.LogProbs(nil, ref)
	res, err := DPO(context.Background(), policy, ref, tok, Options{Steps: 40, Batch: 8, LR: 5e-3, Seed: 3}, DPOOptions{Beta: 0.5}, pairs, nil)
	if err != nil {
		t.Fatal(err)
	}
	loss, margin := DPOLoss(nil, policy, b, refLP, 0.5, 0)
	t.Logf("fixed-set loss %.4f margin %.3f (last step %.4f)", loss.Data[0], margin, res.Loss)
	if float64(loss.Data[0]) > math.Ln2-0.2 || margin < 0.5 {
		t.Errorf("loss %.4f, margin %.3f: want < ln 2 − 0.2 and > 0.5", loss.Data[0], margin)
	}
}

func TestGroupAdvantages(t *testing.T) {
	a := GroupAdvantages([]float64{1, 0, 0, 0})
	// mean 0.25, population std √(0.1875) = 0.4330
	sd := math.Sqrt(0.1875)
	want := []float64{0.75 / (sd + 1e-4), -0.25 / (sd + 1e-4), -0.25 / (sd + 1e-4), -0.25 / (sd + 1e-4)}
	for i := range a {
		if math.Abs(a[i]-want[i]) > 1e-12 {
			t.Errorf("advantage %d = %v, want %v", i, a[i], want[i])
		}
	}
	for _, v := range GroupAdvantages([]float64{2, 2, 2}) {
		if v != 0 {
			t.Errorf("equal rewards gave advantage %v", v)
		}
	}
}

// TestGRPOCoefficients checks the per-token gradient on hand-made values.
func TestGRPOCoefficients(t *testing.T) {
	ln := func(x float64) float32 { return float32(math.Log(x)) }
	// Two sequences: tokens 0,1 belong to sequence 0 (|o| = 2), token 2 is
	// prompt, token 3 to sequence 1 (|o| = 1). N = 2.
	seq := []int{0, 0, -1, 1}
	length := []int{2, 1}
	adv := []float64{1, -1}
	lp := []float32{ln(0.5), ln(0.5), 0, ln(0.5)}
	// On-policy (ρ = 1), reference = policy: coefficient −A/(N|o|), KL 0.
	coef, loss, kl := GRPOCoefficients(lp, lp, lp, seq, adv, length, 0.1, 0.2)
	want := []float32{-0.25, -0.25, 0, 0.5}
	for i := range want {
		if math.Abs(float64(coef[i]-want[i])) > 1e-6 {
			t.Errorf("on-policy coef %d = %v, want %v", i, coef[i], want[i])
		}
	}
	if math.Abs(loss) > 1e-6 || kl != 0 { // −(½·(1+1)/2·1 + ½·(−1)) = 0
		t.Errorf("loss %v kl %v, want 0, 0", loss, kl)
	}
	// ρ = 2 > 1+ε with A > 0: the clipped term is the minimum, no gradient.
	// ρ = 2 with A < 0: min(−2, −1.2) = −2 is the unclipped term: gradient ρA.
	old := []float32{ln(0.25), ln(0.25), 0, ln(0.25)}
	coef, loss, _ = GRPOCoefficients(lp, old, lp, seq, adv, length, 0, 0.2)
	want = []float32{0, 0, 0, 1} // −ρA/(N|o|) = −2·(−1)/2
	for i := range want {
		if math.Abs(float64(coef[i]-want[i])) > 1e-6 {
			t.Errorf("clipped coef %d = %v, want %v", i, coef[i], want[i])
		}
	}
	// loss = −[½·½·(1.2+1.2) + ½·(−2)] = −0.6 + 1 = 0.4
	if math.Abs(loss-0.4) > 1e-6 {
		t.Errorf("clipped loss %v, want 0.4", loss)
	}
	// KL (k3) with ref = log 0.25, lp = log 0.5: d = −ln 2, KL = ½ + ln 2 − 1,
	// its gradient β(1 − e^d) = β/2 per token, weighted 1/(N|o|).
	ref := []float32{ln(0.25), ln(0.25), 0, ln(0.25)}
	coef, _, kl = GRPOCoefficients(lp, lp, ref, seq, []float64{0, 0}, length, 0.1, 0.2)
	if math.Abs(kl-(0.5+math.Ln2-1)) > 1e-6 {
		t.Errorf("kl %v, want %v", kl, 0.5+math.Ln2-1)
	}
	for i, w := range []float32{0.05 / 4, 0.05 / 4, 0, 0.05 / 2} {
		if math.Abs(float64(coef[i]-w)) > 1e-6 {
			t.Errorf("KL coef %d = %v, want %v", i, coef[i], w)
		}
	}
}

// TestGRPOSurrogateGradient: the surrogate Σ coef·log π has the gradient of
// the GRPO loss; a finite difference of the loss along the gradient agrees.
func TestGRPOSurrogateGradient(t *testing.T) {
	m := tinyModel(t, 9)
	ids := []int{1, 2, 3, 4, 5, 6, 7, 8}
	tg := []int{-1, 3, 4, -1, -1, 6, 7, -1}
	seq := []int{-1, 0, 0, -1, -1, 1, 1, -1}
	length, adv := []int{2, 2}, []float64{0.7, -0.7}
	old := tokenLogProbs(nil, m, ids, tg, 2).Data
	ref := make([]float32, len(old))
	for i := range ref {
		ref[i] = old[i] - 0.3
	}
	tp := ag.NewTape()
	lp := tokenLogProbs(tp, m, ids, tg, 2)
	coef, _, _ := GRPOCoefficients(lp.Data, old, ref, seq, adv, length, 0.5, 0.2)
	sur := ag.MatMul(tp, ag.Reshape(lp, 1, len(coef)), ag.New(1, len(coef), coef), nil)
	if err := tp.Backward(sur); err != nil {
		t.Fatal(err)
	}
	w := m.Output
	lossAt := func() float64 {
		l := tokenLogProbs(nil, m, ids, tg, 2).Data
		_, v, _ := GRPOCoefficients(l, old, ref, seq, adv, length, 0.5, 0.2)
		return v
	}
	const h = 1e-2
	var g2 float64
	for _, g := range w.Grad {
		g2 += float64(g) * float64(g)
	}
	step := make([]float32, len(w.Data))
	for i, g := range w.Grad {
		step[i] = float32(h * float64(g) / math.Sqrt(g2))
	}
	for i := range w.Data {
		w.Data[i] += step[i]
	}
	up := lossAt()
	for i := range w.Data {
		w.Data[i] -= 2 * step[i]
	}
	down := lossAt()
	fd := (up - down) / (2 * h)
	if math.Abs(fd-math.Sqrt(g2)) > 0.02*math.Sqrt(g2) {
		t.Errorf("directional derivative %v by finite difference, %v by the surrogate", fd, math.Sqrt(g2))
	}
}

// TestGRPORaisesReward: a trivially learnable reward (the share of digits in
// the reply) rises under GRPO from a random tiny model's ≈ 10/66 to well
// above it: seeds are fixed, so the numbers are reproducible.
func TestGRPORaisesReward(t *testing.T) {
	tok, _ := Tokenizer()
	ref := tinyModel(t, 10)
	policy := Clone(ref)
	ex, _ := Dataset(7, []string{TaskCopy}, 32, 0)
	digits := func(_ Example, reply string) float64 {
		if reply == "" {
			return 0
		}
		n := 0
		for _, c := range reply {
			if c >= '0' && c <= '9' {
				n++
			}
		}
		return float64(n) / float64(len(reply))
	}
	_, err := GRPO(context.Background(), policy, ref, tok, Options{Steps: 25, Batch: 4, LR: 1e-2, LogEvery: 1, Seed: 4,
		JSON: writerFunc(func([]byte) {})}, GRPOOptions{Group: 8, Beta: 0.01, Reward: digits}, ex, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Mean reward of 64 fresh samples before (the reference) and after.
	first := sampledReward(t, ref, ex, digits)
	last := sampledReward(t, policy, ex, digits)
	t.Logf("digit share of sampled replies: %.3f → %.3f", first, last)
	if last < first+0.3 {
		t.Errorf("reward %.3f → %.3f: want a rise of at least 0.3", first, last)
	}
}

// sampledReward is the mean reward of 2 samples (temperature 1, seeded) per example.
func sampledReward(t *testing.T, m *train.Model, ex []Example, reward func(Example, string) float64) float64 {
	t.Helper()
	tok, _ := Tokenizer()
	s, err := sampler(1, rand.New(rand.NewPCG(99, 0)))
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	n := 0
	for _, e := range ex {
		p, _ := encode(tok, e.Prompt())
		for range 2 {
			out, err := Complete(m, p, 0, maxReply, s)
			if err != nil {
				t.Fatal(err)
			}
			sum += reward(e, reply(tok, out))
			n++
		}
	}
	return sum / float64(n)
}

// TestGRPOExactKL: with ExactKL the step's KL is the exact per-token
// KL(π‖π_ref) over reply positions: 0 at the first step (the policy is the
// reference), then positive and finite as the policy moves, while the
// reward still rises.
func TestGRPOExactKL(t *testing.T) {
	tok, _ := Tokenizer()
	ref := tinyModel(t, 10)
	policy := Clone(ref)
	ex, _ := Dataset(7, []string{TaskCopy}, 32, 0)
	digits := func(_ Example, reply string) float64 {
		n := 0
		for _, c := range reply {
			if c >= '0' && c <= '9' {
				n++
			}
		}
		return float64(n) / float64(max(len(reply), 1))
	}
	var kls []float64
	_, err := GRPO(context.Background(), policy, ref, tok, Options{Steps: 25, Batch: 4, LR: 1e-2, LogEvery: 1, Seed: 4,
		JSON: writerFunc(func(b []byte) {
			var line map[string]float64
			if json.Unmarshal(b, &line) == nil {
				kls = append(kls, line["kl"])
			}
		})}, GRPOOptions{Group: 8, Beta: 0.01, Reward: digits, ExactKL: true}, ex, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(kls) != 25 || kls[0] != 0 || !(kls[24] > 0) || !finite(kls[24]) {
		t.Fatalf("exact KL per step %v: want 0 at step 1, then positive", kls)
	}
	first, last := sampledReward(t, ref, ex, digits), sampledReward(t, policy, ex, digits)
	t.Logf("KL %.4f at the last step; digit share %.3f → %.3f", kls[24], first, last)
	if last < first+0.3 {
		t.Errorf("reward %.3f → %.3f: want a rise of at least 0.3", first, last)
	}
}

// TestJudgedPairs: every pair is a right sample of the model (chosen) and a
// wrong one (rejected) for the same prompt; a model that is always right or
// always wrong on a prompt gives no pair for it.
func TestJudgedPairs(t *testing.T) {
	tok, _ := Tokenizer()
	m := tinyModel(t, 3)
	ex, _ := Dataset(5, []string{TaskCopy}, 16, 0)
	// Train briefly so that some samples are right and some wrong.
	if _, err := SFT(context.Background(), m, tok, Options{Steps: 60, Batch: 8, LR: 1e-2, Seed: 1}, ex, nil); err != nil {
		t.Fatal(err)
	}
	pairs, err := JudgedPairs(m, tok, ex, 6, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pairs {
		if !p.Judge(p.Chosen) || p.Judge(p.Rejected) {
			t.Errorf("pair %q: chosen %q, rejected %q", p.User, p.Chosen, p.Rejected)
		}
	}
	t.Logf("%d pairs from %d prompts", len(pairs), len(ex))
	if len(pairs) == 0 {
		t.Error("no pair: the check runs on nothing")
	}
}
