//go:build alignexp

package align

// The noisy-demonstrator experiment of /work/notes (docs/BENCHMARKS.md,
// "Alignment"): minutes of CPU per seed, so it only builds with the
// alignexp tag:
//
//	ALIGN_EXP_DIR=/tmp/alignexp ALIGN_EXP_SEED=1 go test -tags alignexp -run TestNoisyDemonstrator -v -timeout 1h ./align/
//
// The SFT reference is trained once (seed 1) into ALIGN_EXP_DIR/sft and
// reused by every seed; each method then runs with ALIGN_EXP_SEED and is
// compared with the reference on the 400 held-out prompts.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/train"
)

func TestNoisyDemonstrator(t *testing.T) {
	dir := os.Getenv("ALIGN_EXP_DIR")
	seed, _ := strconv.ParseUint(os.Getenv("ALIGN_EXP_SEED"), 10, 64)
	if dir == "" || seed == 0 {
		t.Skip("set ALIGN_EXP_DIR and ALIGN_EXP_SEED")
	}
	noise := 0.4
	if s := os.Getenv("ALIGN_EXP_NOISE"); s != "" {
		noise, _ = strconv.ParseFloat(s, 64)
	}
	kernels.SetThreads(1)
	ctx := context.Background()
	tok, spec := Tokenizer()
	trainSet, test := Dataset(1, AllTasks, 4000, 400)
	demos := Noisy(7, trainSet, noise)
	report := func(method string, m, ref *train.Model, extra map[string]float64) {
		ws, err := Compare(m, ref, tok, test, 1, seed)
		if err != nil {
			t.Fatal(err)
		}
		acc, err := Evaluate(m, tok, test)
		if err != nil {
			t.Fatal(err)
		}
		line := map[string]any{"method": method, "seed": seed, "noise": noise, "accuracy": acc.All, "per_task": acc.PerTask,
			"win_rate": ws.WinRate, "kl": ws.KL, "sampled_ok": ws.PolicyOK, "ref_sampled_ok": ws.RefOK}
		for k, v := range extra {
			line[k] = v
		}
		b, _ := json.Marshal(line)
		fmt.Println(string(b))
	}
	opts := func(steps int, lr float32) Options {
		return Options{Steps: steps, Batch: 16, LR: lr, Seed: seed, LogEvery: 100, Progress: os.Stderr, Tokenizer: spec}
	}
	sftDir := filepath.Join(dir, "sft")
	ref, _, err := train.LoadModel(nil, sftDir)
	if err != nil {
		m, err := train.NewModel(train.Config{Layers: 2, Dim: 64, Heads: 4, Ctx: 64, Vocab: tok.VocabSize()}, rand.New(rand.NewPCG(1, 0)))
		if err != nil {
			t.Fatal(err)
		}
		o := opts(1500, 3e-3)
		o.Seed, o.OutDir = 1, sftDir
		if _, err := SFT(ctx, m, tok, o, demos, nil); err != nil {
			t.Fatal(err)
		}
		ref = m
	}
	report("sft-reference", ref, ref, nil)
	only := os.Getenv("ALIGN_EXP_ONLY") // "rm": the reward-model runs alone

	// Pairs of the reference's own samples labelled by the judge.
	pairs, err := JudgedPairs(ref, tok, trainSet[:2000], 4, 1, seed)
	if err != nil {
		t.Fatal(err)
	}
	testPairs := Pairs(3, test)
	if only != "rm" {
		others(t, ctx, ref, tok, opts, demos, trainSet, pairs, report)
	}

	// The reward model learns from the judged pairs plus perturbations and
	// boundary mistakes of the other 2000 prompts (trained on the judged
	// pairs alone, with β 0.04, GRPO exploited it: see the notes); GRPO on
	// it with β 0.1.
	rmPairs := append(append(append([]Pair(nil), pairs...), Pairs(5, trainSet[2000:])...), BoundaryPairs(trainSet[2000:])...)
	rm := NewRewardModel(ref)
	if _, err := TrainReward(ctx, rm, tok, opts(300, 1e-3), rmPairs, nil); err != nil {
		t.Fatal(err)
	}
	rmAcc, err := rm.PairAccuracy(tok, testPairs)
	if err != nil {
		t.Fatal(err)
	}
	grpoRM := Clone(ref)
	if _, err := GRPO(ctx, grpoRM, ref, tok, opts(300, 5e-4), GRPOOptions{Reward: RewardModelScorer(rm, tok), Beta: 0.1}, trainSet, nil); err != nil {
		t.Fatal(err)
	}
	report("grpo-reward-model", grpoRM, ref, map[string]float64{"rm_pair_accuracy": rmAcc, "rm_pairs": float64(len(rmPairs))})
}

// others runs the SFT control, DPO and GRPO with the programmatic reward.
func others(t *testing.T, ctx context.Context, ref *train.Model, tok *train.CharTokenizer, opts func(int, float32) Options,
	demos, trainSet []Example, pairs []Pair, report func(string, *train.Model, *train.Model, map[string]float64)) {
	// Control: more SFT on the same noisy demonstrations.
	ctl := Clone(ref)
	if _, err := SFT(ctx, ctl, tok, opts(300, 5e-4), demos, nil); err != nil {
		t.Fatal(err)
	}
	report("sft-control", ctl, ref, nil)

	dpo := Clone(ref)
	if _, err := DPO(ctx, dpo, ref, tok, opts(300, 5e-4), DPOOptions{Beta: 0.1, Alpha: 1}, pairs, nil); err != nil {
		t.Fatal(err)
	}
	report("dpo-rpo", dpo, ref, map[string]float64{"pairs": float64(len(pairs))})

	grpo := Clone(ref)
	if _, err := GRPO(ctx, grpo, ref, tok, opts(300, 5e-4), GRPOOptions{}, trainSet, nil); err != nil {
		t.Fatal(err)
	}
	report("grpo-programmatic", grpo, ref, nil)
}
