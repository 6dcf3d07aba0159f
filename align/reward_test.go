package align

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRewardLogProbHead: the reward of a rendered turn is
// Head·h_last + Bias + LogProb·(the trunk's log-likelihood of the reply and
// its end of turn), the last computed independently through Forward; the
// heads survive Save and LoadRewardModel.
func TestRewardLogProbHead(t *testing.T) {
	tok, spec := Tokenizer()
	r := NewRewardModel(tinyModel(t, 5))
	rng := rand.New(rand.NewPCG(2, 2))
	for i := range r.Head.Data {
		r.Head.Data[i] = float32(rng.NormFloat64())
	}
	r.Bias.Data[0], r.LogProb.Data[0] = 0.5, 0.75
	e := Example{TaskAdd, "12+7", "19"}
	ids, err := encode(tok, Render(e.User, e.Answer))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := encode(tok, e.Prompt())
	if got := replyStart(ids); got != len(p) {
		t.Fatalf("reply starts at %d, the prompt has %d tokens", got, len(p))
	}
	other, _ := encode(tok, Render("cp abcde", "abcde"))
	both := r.Score(nil, [][]int{other, ids}) // padded alongside a longer turn
	h := Hidden(nil, r.Trunk, ids, 1)
	want := float64(r.Bias.Data[0]) + 0.75*seqLogProb(r.Trunk, ids, len(p))
	for j, w := range r.Head.Data {
		want += float64(w) * float64(h.Row(len(ids) - 1)[j])
	}
	if got := float64(both.Data[1]); math.Abs(got-want) > 1e-4 {
		t.Errorf("score %v, want %v", got, want)
	}
	dir := t.TempDir()
	if err := r.Save(dir, spec, 1); err != nil {
		t.Fatal(err)
	}
	back, _, err := LoadRewardModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.LogProb == nil || back.LogProb.Data[0] != 0.75 {
		t.Fatalf("LogProb after a round trip: %v", back.LogProb)
	}
	if a, b := r.Score(nil, [][]int{ids}).Data[0], back.Score(nil, [][]int{ids}).Data[0]; a != b {
		t.Errorf("score %v before saving, %v after loading", a, b)
	}
}
