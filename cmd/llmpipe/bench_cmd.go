package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/format/llama2c"
	"github.com/llmpipe/llmpipe/hub"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/model/llama"
)

// benchResult is the --json output of bench. Rates are the mean and sample
// standard deviation over the repetitions of tokens per second, as
// llama-bench's avg_ts and stddev_ts.
type benchResult struct {
	PPTokS       float64   `json:"pp_tok_s"`
	TGTokS       float64   `json:"tg_tok_s"`
	PPTokSStddev float64   `json:"pp_tok_s_stddev"`
	TGTokSStddev float64   `json:"tg_tok_s_stddev"`
	PPSamples    []float64 `json:"pp_samples_tok_s"`
	TGSamples    []float64 `json:"tg_samples_tok_s"`
	PromptTokens int       `json:"prompt_tokens"`
	GenTokens    int       `json:"gen_tokens"`
	Reps         int       `json:"reps"`
	Model        string    `json:"model"`
	Arch         string    `json:"arch"`
	ContextLen   int       `json:"n_ctx"`
	KVF16        bool      `json:"kv_f16"`
	Threads      int       `json:"threads"`
}

func newBenchCmd() *cobra.Command {
	var applyThreads func() error
	var (
		modelPath, cacheDir   string
		promptTokens, genToks int
		reps                  int
		asJSON, kvF16         bool
	)
	cmd := &cobra.Command{
		Use:   "bench --model PATH [--prompt-tokens 256] [--gen-tokens 128] [--reps 3] [--json]",
		Short: "Measure prompt-processing and generation speed (tokens/s), like llama-bench",
		Long: `bench measures a model's speed the way llama-bench does:

  pp: one batched prefill of --prompt-tokens synthetic tokens into an empty
      KV cache (prompt processing);
  tg: --gen-tokens single-token steps into an empty KV cache (generation).

Tokens are pseudo-random ids from a fixed seed (the text does not matter for
speed). One untimed warm-up of each test runs first; then each test runs --reps
times and the mean and sample standard deviation of tokens/s are reported.
--prompt-tokens or --gen-tokens 0 skips that test. Either count must fit in
the model's context; more is an error.

--json prints one object:
{"pp_tok_s":X,"tg_tok_s":Y,"pp_tok_s_stddev":..,"tg_tok_s_stddev":..,
 "pp_samples_tok_s":[..],"tg_samples_tok_s":[..],"prompt_tokens":N,
 "gen_tokens":N,"reps":N,"model":"...","arch":"llama","n_ctx":N,"kv_f16":false,
 "threads":N}

The model is a GGUF file or a llama2.c checkpoint (.bin; no tokenizer needed),
or a name fetched earlier by llmpipe pull (hf://OWNER/REPO/FILE, https://…),
looked up in the cache without contacting any server.
--threads N splits the matrix kernels' rows across N goroutines (default: all
cores); tiny models such as stories260K run fastest on one.`,
		Example: `  llmpipe bench --model ../shared/data/models/stories260K.gguf
  llmpipe bench --model stories260K.gguf --prompt-tokens 128 --gen-tokens 64 --reps 5 --json
  llmpipe bench --model stories260K.bin --kv-f16
  llmpipe bench --model hf://ggml-org/models/tinyllamas/stories260K.gguf   # after llmpipe pull`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyThreads(); err != nil {
				return err
			}
			if modelPath == "" {
				return errors.New("bench needs --model PATH")
			}
			if promptTokens < 0 || genToks < 0 {
				return fmt.Errorf("--prompt-tokens %d and --gen-tokens %d must not be negative", promptTokens, genToks)
			}
			if promptTokens == 0 && genToks == 0 {
				return errors.New("--prompt-tokens and --gen-tokens are both 0: nothing to measure")
			}
			if reps < 1 {
				return fmt.Errorf("--reps %d: need at least 1", reps)
			}
			if hub.IsName(modelPath) {
				p, err := hub.Cached(modelPath, hub.Options{CacheDir: cacheDir})
				if err != nil {
					return err
				}
				modelPath = p
			}
			m, closeModel, err := loadBenchModel(modelPath)
			if err != nil {
				return err
			}
			defer closeModel()
			if c := m.ContextLength(); promptTokens > c || genToks > c {
				return fmt.Errorf("--prompt-tokens %d / --gen-tokens %d: the model's context holds %d tokens", promptTokens, genToks, c)
			}
			res := benchResult{
				PromptTokens: promptTokens, GenTokens: genToks, Reps: reps,
				Model: filepath.Base(modelPath), Arch: m.Arch(), ContextLen: m.ContextLength(), KVF16: kvF16, Threads: kernels.Threads(),
				PPSamples: []float64{}, TGSamples: []float64{},
			}
			b := benchRunner{m: m, opts: model.SequenceOptions{KVF16: kvF16}, rng: rand.New(rand.NewPCG(1, 2))}
			ctx := cmd.Context()
			for i := -1; i < reps; i++ { // i == -1: warm-up, not recorded
				if err := ctx.Err(); err != nil {
					return err
				}
				if promptTokens > 0 {
					r, err := b.prompt(promptTokens)
					if err != nil {
						return err
					}
					if i >= 0 {
						res.PPSamples = append(res.PPSamples, r)
					}
				}
				if genToks > 0 {
					r, err := b.gen(genToks)
					if err != nil {
						return err
					}
					if i >= 0 {
						res.TGSamples = append(res.TGSamples, r)
					}
				}
			}
			res.PPTokS, res.PPTokSStddev = meanStddev(res.PPSamples)
			res.TGTokS, res.TGTokSStddev = meanStddev(res.TGSamples)
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(res)
			}
			tw := tabwriter.NewWriter(out, 0, 0, 1, ' ', tabwriter.Debug)
			fmt.Fprintf(tw, " model\t arch\t n_ctx\t kv\t test\t t/s\n")
			kv := "f32"
			if kvF16 {
				kv = "f16"
			}
			row := func(test string, mean, sd float64) {
				fmt.Fprintf(tw, " %s\t %s\t %d\t %s\t %s\t %.2f ± %.2f\n", res.Model, res.Arch, res.ContextLen, kv, test, mean, sd)
			}
			if promptTokens > 0 {
				row(fmt.Sprintf("pp%d", promptTokens), res.PPTokS, res.PPTokSStddev)
			}
			if genToks > 0 {
				row(fmt.Sprintf("tg%d", genToks), res.TGTokS, res.TGTokSStddev)
			}
			return tw.Flush()
		},
	}
	applyThreads = addThreadsFlag(cmd)
	cmd.Flags().StringVar(&modelPath, "model", "", "GGUF model file, llama2.c checkpoint (.bin), or a pulled hf:// or https:// name")
	cmd.Flags().StringVar(&cacheDir, "cache-dir", "", "model cache for pulled names (default: the user cache folder's llmpipe/models)")
	cmd.Flags().IntVar(&promptTokens, "prompt-tokens", 256, "tokens in the prompt-processing test (0: skip it)")
	cmd.Flags().IntVar(&genToks, "gen-tokens", 128, "tokens in the generation test (0: skip it)")
	cmd.Flags().IntVar(&reps, "reps", 3, "timed repetitions of each test")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().BoolVar(&kvF16, "kv-f16", false, "keep the KV cache in float16, as llama.cpp does by default")
	return cmd
}

// benchRunner times the two tests on fresh sequences.
type benchRunner struct {
	m    model.Model
	opts model.SequenceOptions
	rng  *rand.Rand
}

func (b *benchRunner) ids(n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = b.rng.IntN(b.m.VocabSize())
	}
	return ids
}

// prompt runs one batched prefill of n tokens and returns tokens/s.
func (b *benchRunner) prompt(n int) (float64, error) {
	ids := b.ids(n)
	seq := b.m.NewSequence(b.opts)
	start := time.Now()
	if _, err := seq.Forward(ids, false); err != nil {
		return 0, fmt.Errorf("bench: prompt processing: %w", err)
	}
	return rate(n, time.Since(start)), nil
}

// gen runs n single-token steps and returns tokens/s.
func (b *benchRunner) gen(n int) (float64, error) {
	ids := b.ids(n)
	seq := b.m.NewSequence(b.opts)
	start := time.Now()
	for i, id := range ids {
		if _, err := seq.Forward([]int{id}, false); err != nil {
			return 0, fmt.Errorf("bench: generation step %d: %w", i, err)
		}
	}
	return rate(n, time.Since(start)), nil
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		d = time.Nanosecond // a clock too coarse to see the work
	}
	return float64(n) / d.Seconds()
}

// meanStddev returns the mean and the sample (n-1) standard deviation of xs,
// as llama-bench reports them; 0, 0 for none.
func meanStddev(xs []float64) (mean, sd float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// loadBenchModel loads a GGUF model, or a llama2.c checkpoint (any file
// without the GGUF magic); bench needs no tokenizer.
func loadBenchModel(path string) (model.Model, func(), error) {
	isGGUF, err := hasGGUFMagic(path)
	if err != nil {
		return nil, nil, err
	}
	if !isGGUF {
		ck, err := llama2c.OpenCheckpoint(path)
		if err != nil {
			return nil, nil, err
		}
		m, err := llama.FromLlama2c(ck)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return m, func() {}, nil
	}
	f, err := gguf.OpenMapped(path)
	if err != nil {
		return nil, nil, err
	}
	m, err := newRegistry().Load(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, func() { f.Close() }, nil
}
