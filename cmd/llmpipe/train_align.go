package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/align"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/train"
)

// addAlignCommands adds the post-training subcommands (sft, reward, dpo, rl)
// to the train command: newTrainCmd calls it once.
func addAlignCommands(trainCmd *cobra.Command) {
	trainCmd.AddCommand(newSFTCmd(), newRewardCmd(), newDPOCmd(), newRLCmd())
}

// alignFlags are the flags every post-training subcommand shares.
type alignFlags struct {
	out                        string
	steps, batch, warmup       int
	lr, weightDecay            float64
	logEvery, evalEvery        int
	seed, dataSeed             uint64
	tasks                      string
	nTrain, nTest              int
	jsonOut                    bool
	threads                    func() error
	cmd                        *cobra.Command
	trainSet, testSet          []align.Example
	tok                        *train.CharTokenizer
	spec                       train.TokenizerSpec
	progress, jsonW            io.Writer
	defaultSteps, defaultBatch int
	defaultLR                  float64
}

func (f *alignFlags) add(cmd *cobra.Command, steps, batch int, lr float64) {
	fl := cmd.Flags()
	f.cmd = cmd
	fl.StringVar(&f.out, "out", "", "folder for the checkpoint, metrics.jsonl and loss.png (required)")
	fl.IntVar(&f.steps, "steps", steps, "optimizer steps")
	fl.IntVar(&f.batch, "batch", batch, "rows (sft), pairs (reward, dpo) or prompts (rl) per step")
	fl.Float64Var(&f.lr, "lr", lr, "peak learning rate (linear warmup, cosine decay to lr/10)")
	fl.IntVar(&f.warmup, "warmup", 0, "warmup steps (0: steps/20)")
	fl.Float64Var(&f.weightDecay, "weight-decay", 0, "AdamW weight decay on matrices")
	fl.IntVar(&f.logEvery, "log-every", 10, "steps between progress lines")
	fl.IntVar(&f.evalEvery, "eval-every", 0, "steps between held-out evaluations and checkpoints (0: at the end)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the batches, sampling and a new model's initialization")
	fl.Uint64Var(&f.dataSeed, "data-seed", 1, "seed of the data: the synthetic tasks (train and held-out splits), or sft --data's held-out split")
	fl.StringVar(&f.tasks, "tasks", "add,rev,cp,up", "synthetic tasks: add (12+7→19), rev (reverse), cp (copy), up (uppercase)")
	fl.IntVar(&f.nTrain, "train-n", 4000, "training examples")
	fl.IntVar(&f.nTest, "test-n", 200, "held-out examples (prompts never seen in training)")
	fl.BoolVar(&f.jsonOut, "json", false, "print one JSON object per logged step and evaluation on stdout, and a summary")
	f.threads = addThreadsFlag(cmd)
}

// prepare checks the flags and builds the data.
func (f *alignFlags) prepare() error {
	if err := f.prepareOutput(); err != nil {
		return err
	}
	tasks, err := align.ParseTasks(f.tasks)
	if err != nil {
		return err
	}
	if f.nTrain <= 0 || f.nTest < 0 {
		return fmt.Errorf("--train-n %d must be positive and --test-n %d not negative", f.nTrain, f.nTest)
	}
	f.trainSet, f.testSet = align.Dataset(f.dataSeed, tasks, f.nTrain, f.nTest)
	f.tok, f.spec = align.Tokenizer()
	return nil
}

// prepareOutput checks the flags every run needs (threads, --out) and sets
// the progress and JSON writers.
func (f *alignFlags) prepareOutput() error {
	if err := f.threads(); err != nil {
		return err
	}
	if f.out == "" {
		return fmt.Errorf("no --out folder")
	}
	f.progress = f.cmd.ErrOrStderr()
	if f.jsonOut {
		f.jsonW = f.cmd.OutOrStdout()
	}
	return nil
}

func (f *alignFlags) options() align.Options {
	return align.Options{Steps: f.steps, Batch: f.batch, LR: float32(f.lr), Warmup: f.warmup,
		WeightDecay: float32(f.weightDecay), LogEvery: f.logEvery, EvalEvery: f.evalEvery, Seed: f.seed,
		OutDir: f.out, Tokenizer: f.spec, Progress: f.progress, JSON: f.jsonW}
}

// loadSFT loads the --sft checkpoint and checks that it uses the tasks' vocabulary.
func (f *alignFlags) loadSFT(dir string) (*train.Model, error) {
	if dir == "" {
		return nil, fmt.Errorf("no --sft folder (the model to start from, made by llmpipe train sft)")
	}
	m, meta, err := train.LoadModel(nil, dir)
	if err != nil {
		return nil, err
	}
	if meta.Tokenizer.Kind != "chars" || meta.Tokenizer.Chars != align.Alphabet {
		return nil, fmt.Errorf("%s was not trained on the task alphabet (tokenizer %q); train it with llmpipe train sft", dir, meta.Tokenizer.Kind)
	}
	return m, nil
}

// pairs builds the preference pairs of --pairs for examples.
func (f *alignFlags) pairs(kind string, ref *train.Model, examples []align.Example, seed uint64) ([]align.Pair, error) {
	switch kind {
	case "perturbed":
		return align.Pairs(seed, examples), nil
	case "sampled":
		fmt.Fprintf(f.progress, "sampling the SFT model's replies to %d prompts for rejected replies\n", len(examples))
		return align.SampledPairs(ref, f.tok, examples, 4, 1, seed)
	}
	return nil, fmt.Errorf("--pairs %q is not sampled or perturbed", kind)
}

// summary prints before/after numbers on stderr and, with --json, stdout.
func (f *alignFlags) summary(name string, before, after map[string]float64) error {
	fmt.Fprintf(f.progress, "%s before:%s\n%s after: %s\n", name, fmtMetrics(before), name, fmtMetrics(after))
	if f.jsonW != nil {
		return json.NewEncoder(f.jsonW).Encode(map[string]any{"summary": name, "before": before, "after": after})
	}
	return nil
}

func fmtMetrics(m map[string]float64) string {
	s := ""
	for _, k := range []string{"val_loss", "loss", "accuracy", "acc_add", "acc_rev", "acc_cp", "acc_up", "pair_accuracy", "pair_acc_add", "pair_acc_rev", "pair_acc_cp", "pair_acc_up", "win_rate", "kl", "sampled_ok", "ref_sampled_ok", "reward"} {
		if v, ok := m[k]; ok {
			s += fmt.Sprintf(" %s %.4g", k, v)
		}
	}
	return s
}

func accuracyMap(m *train.Model, tok *train.CharTokenizer, test []align.Example) (map[string]float64, error) {
	a, err := align.Evaluate(m, tok, test)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{"accuracy": a.All}
	for t, v := range a.PerTask {
		out["acc_"+t] = v
	}
	return out, nil
}

func newSFTCmd() *cobra.Command {
	var f alignFlags
	var d sftDataFlags
	var from string
	var layers, dim, heads, kvHeads, ctx int
	cmd := &cobra.Command{
		Use:   "sft --out DIR [--data FILE.jsonl] [--from DIR | --layers N --dim N ...] [flags]",
		Short: "Supervised fine-tuning on chat data (--data) or synthetic chat tasks (loss on replies only, packed rows)",
		Long: `sft fine-tunes a model on conversations, with the loss on the assistant's
tokens only; short examples are packed into --ctx-long rows without
cross-contamination: each example attends only to itself and its positions
restart at 0, as TRL's packing with position_ids does.

With --data FILE.jsonl it trains on your conversations, in OpenAI's
fine-tuning format (one {"messages": [{"role": "system"|"user"|"assistant",
"content": "..."}, ...]} per line; an assistant message with "weight": 0 is
context only). Each conversation is rendered with a chat template: --template
chatml (<|im_start|>role\ncontent<|im_end|>\n), plain ("User: ...\nAssistant:
...\n", the format llmpipe chat uses for models without a template; a reply
ends with the "\nUser:" where llmpipe chat stops), or a Jinja template file;
by default the --from folder's own template (its tokenizer_config.json,
chat_template.jinja, or those beside its tokenizer.json), else chatml when
the tokenizer ends generation at <|im_end|>, else plain. The
loss covers each assistant reply and its end-of-turn text. It tokenizes with
the --from checkpoint's tokenizer (a checkpoint of llmpipe train: Llama or
GPT-2), or bytes for a new model. --val-frac of the conversations are held
out for the validation loss on assistant tokens.

Without --data it trains on synthetic tasks rendered with the template
"Q:" user "\n" "A:" reply "\n" (character tokens), starting from --from (a
checkpoint made by a previous task sft) or from a new Llama of the given
shape, and reports the exact-match accuracy of greedy replies on held-out
prompts before and after.`,
		Example: `  # your conversations, on a model pretrained with llmpipe train
  llmpipe train sft --data chats.jsonl --from out/base --out out/chat --steps 500 --batch 8 --lr 1e-3

  # a new 1-layer model, the plain template, a 10% held-out split
  llmpipe train sft --data chats.jsonl --out out/chat --layers 1 --dim 32 --ctx 128 --template plain --val-frac 0.1

  # synthetic tasks: a 2-layer Llama from scratch on all four (~1.5 minutes on 2 cores)
  llmpipe train sft --out out/sft --layers 2 --dim 64 --heads 4 --ctx 64 --steps 1500 --batch 16 --lr 3e-3

  # only additions, more held-out prompts, JSON progress
  llmpipe train sft --out out/sft-add --tasks add --test-n 500 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			newModel := func(vocab int) (*train.Model, error) {
				return train.NewModel(train.Config{Layers: layers, Dim: dim, Heads: heads, KVHeads: kvHeads, Ctx: ctx,
					Vocab: vocab}, rand.New(rand.NewPCG(f.seed, 0)))
			}
			if d.data != "" {
				return d.run(cmd, &f, from, ctx, newModel)
			}
			for _, n := range []string{"template", "val-frac", "truncate"} {
				if cmd.Flags().Changed(n) {
					return fmt.Errorf("--%s applies to --data only", n)
				}
			}
			if err := f.prepare(); err != nil {
				return err
			}
			var m *train.Model
			var err error
			if from != "" {
				if m, err = f.loadSFT(from); err != nil {
					return err
				}
			} else if m, err = newModel(f.tok.VocabSize()); err != nil {
				return err
			}
			fmt.Fprintf(f.progress, "sft: %s, %.3fM parameters, %d training and %d held-out examples\n",
				m.Config, float64(m.NumParams())/1e6, len(f.trainSet), len(f.testSet))
			before, err := accuracyMap(m, f.tok, f.testSet)
			if err != nil {
				return err
			}
			res, err := align.SFT(cmd.Context(), m, f.tok, f.options(), f.trainSet, f.testSet)
			if err != nil {
				return err
			}
			return f.summary("sft", before, res.Eval)
		},
	}
	f.add(cmd, 1500, 16, 3e-3)
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "start from this checkpoint folder (with --data: any of llmpipe train or sft; else a previous task sft's); none: a new model")
	fl.IntVar(&layers, "layers", 2, "transformer blocks of a new model")
	fl.IntVar(&dim, "dim", 64, "embedding width of a new model")
	fl.IntVar(&heads, "heads", 4, "attention heads of a new model")
	fl.IntVar(&kvHeads, "kv-heads", 0, "key/value heads of a new model (0: = heads)")
	fl.IntVar(&ctx, "ctx", 64, "the packed row length: a new model's context (with --data --from: the checkpoint's context unless given, and at most it)")
	fl.StringVar(&d.data, "data", "", "conversations to train on: JSONL in OpenAI's fine-tuning format (else the synthetic --tasks)")
	fl.StringVar(&d.template, "template", "", "chat template of --data: chatml, plain, or a Jinja file (default: the --from folder's own, else chatml if the tokenizer ends generation at <|im_end|>, else plain)")
	fl.Float64Var(&d.valFrac, "val-frac", 0.05, "share of the --data conversations held out for the validation loss")
	fl.BoolVar(&d.truncate, "truncate", false, "drop --data conversations longer than the row length (counted) instead of failing")
	return cmd
}

// sftDataFlags are sft's flags for training on a chat-data file.
type sftDataFlags struct {
	data, template string
	valFrac        float64
	truncate       bool
}

// run is llmpipe train sft --data: read and render the conversations, load
// or build the model, train with align.ChatSFT and print the validation
// loss before and after.
func (d *sftDataFlags) run(cmd *cobra.Command, f *alignFlags, from string, ctx int, newModel func(vocab int) (*train.Model, error)) error {
	for _, n := range []string{"tasks", "train-n", "test-n"} {
		if cmd.Flags().Changed(n) {
			return fmt.Errorf("--%s is for the synthetic tasks: it does not apply with --data", n)
		}
	}
	if err := f.prepareOutput(); err != nil {
		return err
	}
	if !(d.valFrac >= 0 && d.valFrac < 1) {
		return fmt.Errorf("--val-frac %g: want 0 ≤ frac < 1", d.valFrac)
	}
	convs, err := align.ReadChatsFile(d.data)
	if err != nil {
		return err
	}
	var m *train.Model
	var tok tokenizer.Tokenizer
	rowLen := ctx
	var dirs []string
	if from != "" {
		var meta *train.Meta
		if m, meta, err = train.LoadModel(nil, from); err != nil {
			return err
		}
		f.spec = meta.Tokenizer
		if f.spec.Kind == "chars" && f.spec.Chars == "" {
			return fmt.Errorf("%s: the checkpoint's character tokenizer has no saved vocabulary", from)
		}
		if tok, err = corpusTokenizer(f.spec, nil); err != nil {
			return fmt.Errorf("%s: %w", from, err)
		}
		if tok.VocabSize() > m.Config.Vocab {
			return fmt.Errorf("%s: the tokenizer has %d ids, the model %d", from, tok.VocabSize(), m.Config.Vocab)
		}
		if !cmd.Flags().Changed("ctx") {
			rowLen = m.Config.Ctx
		} else if ctx > m.Config.Ctx || ctx <= 0 {
			return fmt.Errorf("--ctx %d: the rows must fit the checkpoint's context %d", ctx, m.Config.Ctx)
		}
		dirs = append(dirs, from)
		if f.spec.Kind == "file" {
			if st, err := os.Stat(f.spec.Path); err == nil && st.IsDir() {
				dirs = append(dirs, f.spec.Path)
			} else {
				dirs = append(dirs, filepath.Dir(f.spec.Path))
			}
		}
	} else {
		tok, f.spec = train.ByteTokenizer{}, train.TokenizerSpec{Kind: "bytes"}
		if m, err = newModel(tok.VocabSize()); err != nil {
			return err
		}
	}
	tmpl, err := align.LoadChatTemplate(d.template, dirs...)
	if err != nil {
		return err
	}
	if d.template == "" && tmpl.Name == "chatml" && !endsGeneration(tok, "<|im_end|>") {
		// No template in the model's folders, and chatml's end of turn would be
		// plain text to this tokenizer, which llmpipe chat/serve never stop at:
		// train the plain format they use for models without a template.
		if tmpl, err = align.LoadChatTemplate("plain"); err != nil {
			return err
		}
	}
	cd, err := align.EncodeChats(tok, tmpl, convs, m.Config.Vocab, rowLen, d.truncate)
	if err != nil {
		return err
	}
	if cd.Dropped > 0 {
		fmt.Fprintf(f.progress, "sft: --truncate dropped %d of %d conversations longer than %d tokens\n", cd.Dropped, len(convs), rowLen)
	}
	trainSet, val, err := align.SplitVal(cd.Seqs, d.valFrac, f.dataSeed)
	if err != nil {
		return err
	}
	fmt.Fprintf(f.progress, "sft: %s, %.3fM parameters; %s: %d conversations (%d training, %d held out), %d tokens, %d of them assistant; template %s; rows of %d tokens\n",
		m.Config, float64(m.NumParams())/1e6, d.data, len(cd.Seqs), len(trainSet), len(val), cd.Tokens, cd.Loss, tmpl.Name, rowLen)
	if tmpl.Name != "plain" {
		// The checkpoint folder carries the template it was tuned with, so
		// llmpipe chat and serve render it the same way (plain is their
		// fallback for a folder without one).
		tc, err := tmpl.TokenizerConfig()
		if err != nil {
			return err
		}
		if err := os.MkdirAll(f.out, 0o755); err != nil {
			return err
		}
		cfgPath := filepath.Join(f.out, "tokenizer_config.json")
		if _, err := writeAtomic(cmd.Context(), cfgPath, func(w io.Writer) (int64, error) {
			n, err := w.Write(tc)
			return int64(n), err
		}); err != nil {
			return fmt.Errorf("writing the chat template: %w", err)
		}
	}
	before := map[string]float64{}
	if len(val) == 0 {
		fmt.Fprintf(f.progress, "sft: no held-out conversations (--val-frac %g of %d): no validation loss\n", d.valFrac, len(cd.Seqs))
	} else {
		vrows, err := align.PackSeqs(val, rowLen)
		if err != nil {
			return err
		}
		before["val_loss"], _ = align.RowsLoss(m, vrows)
	}
	res, err := align.ChatSFT(cmd.Context(), m, f.options(), rowLen, trainSet, val)
	if err != nil {
		return err
	}
	if res.Interrupted {
		fmt.Fprintf(f.progress, "sft: interrupted at step %d; checkpoint saved in %s (no validation at this step)\n", res.Step, f.out)
	}
	after := map[string]float64{"loss": res.Loss}
	for k, v := range res.Eval {
		after[k] = v
	}
	return f.summary("sft", before, after)
}

func newRewardCmd() *cobra.Command {
	var f alignFlags
	var sft, pairKind string
	cmd := &cobra.Command{
		Use:   "reward --sft DIR --out DIR [flags]",
		Short: "Train a reward model (scalar heads on the SFT trunk) with the Bradley-Terry loss",
		Long: `reward trains a reward model: the --sft model's trunk with a scalar head on the
final hidden state of the last token plus a weight on the trunk's
log-likelihood of the reply, on preference pairs of the synthetic
tasks (the right answer chosen over a wrong one: by default a perturbation, an
addition off by 1-10 or a swapped, dropped or changed character; --pairs
sampled takes the SFT model's own wrong samples). It reports the pairwise accuracy on
held-out pairs before (zero head: every pair a tie, 0) and after. The folder's
checkpoint holds the trunk and the head (reward_head.weight, reward_head.bias).`,
		Example: `  llmpipe train reward --sft out/sft --out out/rm --steps 300 --batch 16 --lr 1e-3`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.prepare(); err != nil {
				return err
			}
			base, err := f.loadSFT(sft)
			if err != nil {
				return err
			}
			rm := align.NewRewardModel(base)
			trainPairs, err := f.pairs(pairKind, base, f.trainSet, f.dataSeed+1)
			if err != nil {
				return err
			}
			testPairs, err := f.pairs(pairKind, base, f.testSet, f.dataSeed+2)
			if err != nil {
				return err
			}
			acc0, err := rm.PairAccuracy(f.tok, testPairs)
			if err != nil {
				return err
			}
			res, err := align.TrainReward(cmd.Context(), rm, f.tok, f.options(), trainPairs, testPairs)
			if err != nil {
				return err
			}
			return f.summary("reward", map[string]float64{"pair_accuracy": acc0}, res.Eval)
		},
	}
	f.add(cmd, 300, 16, 1e-3)
	cmd.Flags().StringVar(&sft, "sft", "", "the SFT model's folder (the trunk starts from it)")
	cmd.Flags().StringVar(&pairKind, "pairs", "perturbed", "rejected replies: perturbed (Wrong: off by 1-10, a character swapped, dropped or changed) or sampled (the SFT model's own wrong samples, else a perturbation)")
	return cmd
}

func newDPOCmd() *cobra.Command {
	var f alignFlags
	var sft string
	var do align.DPOOptions
	var pairKind string
	cmd := &cobra.Command{
		Use:   "dpo --sft DIR --out DIR [flags]",
		Short: "Direct Preference Optimization against the frozen SFT model",
		Long: `dpo tunes a copy of the --sft model with the DPO loss on preference pairs of the
synthetic tasks (the right answer chosen over a wrong one: by default a wrong
reply sampled from the reference itself, --pairs perturbed for a perturbation of
the answer) against the frozen SFT
model as reference. It reports, on held-out prompts, the win rate against the
reference (one sampled reply each at --temperature, judged right or wrong; a
tie counts half, so the reference against itself scores 0.5), the KL to the
reference (nats per reply, on the policy's samples) and the greedy accuracy.`,
		Example: `  llmpipe train dpo --sft out/sft --out out/dpo --steps 200 --batch 16 --lr 5e-4 --beta 0.1`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.prepare(); err != nil {
				return err
			}
			ref, err := f.loadSFT(sft)
			if err != nil {
				return err
			}
			policy := align.Clone(ref)
			before, err := accuracyMap(ref, f.tok, f.testSet)
			if err != nil {
				return err
			}
			ws, err := align.Compare(ref, ref, f.tok, f.testSet, max(do.Temperature, 1), f.seed)
			if err != nil {
				return err
			}
			before["win_rate"], before["kl"], before["sampled_ok"] = 0.5, 0, ws.PolicyOK
			pairs, err := f.pairs(pairKind, ref, f.trainSet, f.dataSeed+1)
			if err != nil {
				return err
			}
			res, err := align.DPO(cmd.Context(), policy, ref, f.tok, f.options(), do, pairs, f.testSet)
			if err != nil {
				return err
			}
			return f.summary("dpo", before, res.Eval)
		},
	}
	f.add(cmd, 200, 16, 5e-4)
	fl := cmd.Flags()
	fl.StringVar(&sft, "sft", "", "the SFT model's folder (the reference, and the policy's start)")
	fl.Float64Var(&do.Beta, "beta", 0.1, "DPO β: how far from the reference the policy may move")
	fl.Float64Var(&do.Temperature, "temperature", 1, "sampling temperature of the win-rate evaluation")
	fl.Float64Var(&do.Alpha, "alpha", 0, "weight of the chosen replies' cross-entropy added to the DPO loss (RPO; 0: plain DPO)")
	fl.StringVar(&pairKind, "pairs", "sampled", "rejected replies: sampled (the reference's own wrong samples, else a perturbation) or perturbed (Wrong only)")
	return cmd
}

func newRLCmd() *cobra.Command {
	var f alignFlags
	var sft, rmDir string
	var gop align.GRPOOptions
	cmd := &cobra.Command{
		Use:   "rl --sft DIR --out DIR [--reward-model DIR] [flags]",
		Short: "On-policy RL with GRPO (group-relative advantages, clipped ratio, KL penalty)",
		Long: `rl tunes a copy of the --sft model with GRPO (DeepSeekMath): for each of
--batch prompts a step it samples --group replies, scores them with the
programmatic reward (1 for the right answer, else half the share of characters
in place) or with --reward-model, turns the scores into advantages relative to
the group, and maximizes the clipped-ratio objective minus --beta times the KL
to the frozen SFT model (--iterations updates per batch of samples). It
reports the win rate against the reference, the KL to it and the greedy
accuracy on held-out prompts before and after.`,
		Example: `  # the programmatic reward
  llmpipe train rl --sft out/sft --out out/rl --steps 100 --batch 8 --group 8 --lr 5e-4

  # the reward model of llmpipe train reward
  llmpipe train rl --sft out/sft --reward-model out/rm --out out/rl-rm --steps 100`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.prepare(); err != nil {
				return err
			}
			ref, err := f.loadSFT(sft)
			if err != nil {
				return err
			}
			if rmDir != "" {
				rm, _, err := align.LoadRewardModel(rmDir)
				if err != nil {
					return err
				}
				gop.Reward = align.RewardModelScorer(rm, f.tok)
			}
			policy := align.Clone(ref)
			before, err := accuracyMap(ref, f.tok, f.testSet)
			if err != nil {
				return err
			}
			ws, err := align.Compare(ref, ref, f.tok, f.testSet, max(gop.Temperature, 1), f.seed)
			if err != nil {
				return err
			}
			before["win_rate"], before["kl"], before["sampled_ok"] = 0.5, 0, ws.PolicyOK
			res, err := align.GRPO(cmd.Context(), policy, ref, f.tok, f.options(), gop, f.trainSet, f.testSet)
			if err != nil {
				return err
			}
			return f.summary("rl", before, res.Eval)
		},
	}
	f.add(cmd, 100, 8, 5e-4)
	fl := cmd.Flags()
	fl.StringVar(&sft, "sft", "", "the SFT model's folder (the reference, and the policy's start)")
	fl.StringVar(&rmDir, "reward-model", "", "reward model folder from llmpipe train reward (default: the programmatic reward)")
	fl.IntVar(&gop.Group, "group", 8, "sampled replies per prompt (G)")
	fl.Float64Var(&gop.Beta, "beta", 0.04, "weight of the KL penalty to the reference")
	fl.BoolVar(&gop.ExactKL, "exact-kl", false, "penalize the exact KL(π‖π_ref) over the reply tokens instead of the sampled-token k3 estimate")
	fl.Float64Var(&gop.Clip, "clip", 0.2, "ε of the clipped probability ratio")
	fl.IntVar(&gop.Iterations, "iterations", 1, "policy updates per batch of samples (μ)")
	fl.Float64Var(&gop.Temperature, "temperature", 1, "sampling temperature of rollouts and of the win-rate evaluation")
	return cmd
}

// endsGeneration reports whether text is one of tok's special tokens and
// ends generation (tokenizer.Specials.EndIDs), so that llmpipe chat and
// serve stop at it.
func endsGeneration(tok tokenizer.Tokenizer, text string) bool {
	sp := tok.Specials()
	for _, st := range sp.Tokens {
		if st.Text == text {
			return slices.Contains(sp.EndIDs(), st.ID)
		}
	}
	return false
}
