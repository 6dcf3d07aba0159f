package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
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
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/llamavocab"
)

// benchPromptText is the text of the prompt-processing test, the same as
// PROMPT_TEXT in ../shared/peers/llamacpp_bench.mjs (the llama.cpp side of
// the side-by-side benchmark): the prompt is BOS followed by its tokens,
// repeated until --prompt-tokens ids.
const benchPromptText = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. " +
	"One day, she saw a big, red ball. She wanted to play with it, but it was too high. Lily's mom said, \"Lily, " +
	"let's go to the park.\" Lily was sad and didn't know what to do. She said, \"I want to play with your ball, " +
	"but I can't find it.\" "

// benchWarmupTokens is the length of the untimed warm-up prefill, as in
// llamacpp_bench.mjs (it also pages a mapped model's weights in).
const benchWarmupTokens = 32

// benchResult is the --json output of bench. Rates are the mean and sample
// standard deviation over the repetitions of tokens per second, as
// llama-bench's avg_ts and stddev_ts. Memory figures are in MiB (2^20
// bytes).
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
	// PromptSource is "text" (benchPromptText through the model's own
	// tokenizer, as llama.cpp's side does) or "random" (no tokenizer:
	// pseudo-random ids from a fixed seed).
	PromptSource string `json:"prompt_source"`
	PromptIDs    []int  `json:"prompt_ids"`
	// GenIDs are the greedy ids of the last repetition's generation test.
	GenIDs []int `json:"gen_ids"`
	// LoadS is the time to open the file and build the model and its
	// tokenizer, in seconds.
	LoadS float64 `json:"load_s"`
	// FileBytes is the model file's size; KVBytes the float32 KV cache of
	// prompt_tokens + gen_tokens positions (0 when unknown).
	FileBytes int64 `json:"file_bytes"`
	KVBytes   int64 `json:"kv_bytes"`
	// PeakRSSMB is getrusage's ru_maxrss at the end (the process's peak
	// resident set); 0 where the system does not report it.
	PeakRSSMB float64 `json:"peak_rss_mb"`
	// RSSFileMB and RSSAnonMB are RssFile (mapped file pages, the weights)
	// and RssAnon (heap: KV cache, scratch, anything copied) from
	// /proc/self/status at the end; LoadRSSAnonMB is RssAnon right after
	// loading. Absent where /proc is not available.
	RSSFileMB     *float64 `json:"rss_file_mb,omitempty"`
	RSSAnonMB     *float64 `json:"rss_anon_mb,omitempty"`
	LoadRSSAnonMB *float64 `json:"load_rss_anon_mb,omitempty"`
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
		Long: `bench measures a model's speed as ../shared/peers/llamacpp_bench.mjs measures
llama.cpp's, so the two can be compared side by side:

  warm-up: one untimed prefill of the prompt's first 32 tokens (discarded);
  pp: one batched prefill of --prompt-tokens tokens into an empty KV cache
      (prompt processing; logits of the last position only);
  tg: --gen-tokens single-token steps right after that prompt, each computing
      the logits through the output head and taking the greedy (argmax) id,
      which is the next step's input (generation).

The prompt is BOS followed by the tokens of a fixed TinyStories-like text,
repeated (the model's own tokenizer, as on the llama.cpp side); a model without
a tokenizer gets pseudo-random ids from a fixed seed. Each repetition runs pp
then tg on a fresh sequence, --reps times; the mean and sample standard
deviation of tokens/s are reported. --prompt-tokens 0 skips pp (tg then starts
from BOS); --gen-tokens 0 skips tg. The two counts together must fit in the
model's context.

--json prints one object:
{"pp_tok_s":X,"tg_tok_s":Y,"pp_tok_s_stddev":..,"tg_tok_s_stddev":..,
 "pp_samples_tok_s":[..],"tg_samples_tok_s":[..],"prompt_tokens":N,
 "gen_tokens":N,"reps":N,"model":"...","arch":"llama","n_ctx":N,"kv_f16":false,
 "threads":N,"prompt_source":"text","prompt_ids":[..],"gen_ids":[..],
 "load_s":S,"file_bytes":N,"kv_bytes":N,"peak_rss_mb":M,
 "rss_file_mb":M,"rss_anon_mb":M,"load_rss_anon_mb":M}
Memory is in MiB: peak_rss_mb is getrusage's ru_maxrss; rss_file_mb (mapped
weights) and rss_anon_mb (heap) come from /proc/self/status at the end, and
load_rss_anon_mb right after loading (weights are mapped, not copied, so it
stays small for F32, Q8_0 and Q4_0 files).

The model is a GGUF file or a llama2.c checkpoint (.bin; no tokenizer needed),
or a name fetched earlier by llmpipe pull (hf://OWNER/REPO/FILE, https://…),
looked up in the cache without contacting any server.
--threads N splits the matrix kernels' rows across N goroutines (default: all
cores); tiny models such as stories260K run fastest on one.`,
		Example: `  llmpipe bench --model ../shared/data/models/stories260K.gguf
  llmpipe bench --model stories260K.gguf --prompt-tokens 128 --gen-tokens 64 --reps 5 --json
  llmpipe bench --model bench-110m-q8_0.gguf --threads 1 --reps 1 --kv-f16 --json
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
			var fileBytes int64
			if st, err := os.Stat(modelPath); err == nil {
				fileBytes = st.Size()
			}
			loadStart := time.Now()
			m, tok, closeModel, err := loadBenchModel(modelPath)
			if err != nil {
				return err
			}
			defer closeModel()
			loadS := time.Since(loadStart).Seconds()
			_, loadAnon := procRSS()
			c := m.ContextLength()
			if promptTokens+genToks > c {
				return fmt.Errorf("--prompt-tokens %d + --gen-tokens %d = %d positions: the model's context holds %d tokens", promptTokens, genToks, promptTokens+genToks, c)
			}
			prompt, source, err := benchPrompt(m, tok, max(promptTokens, min(benchWarmupTokens, c)))
			if err != nil {
				return err
			}
			res := benchResult{
				PromptTokens: promptTokens, GenTokens: genToks, Reps: reps,
				Model: filepath.Base(modelPath), Arch: m.Arch(), ContextLen: c, KVF16: kvF16, Threads: kernels.Threads(),
				PPSamples: []float64{}, TGSamples: []float64{}, GenIDs: []int{},
				PromptSource: source, PromptIDs: prompt[:promptTokens], LoadS: loadS,
				FileBytes: fileBytes, KVBytes: kvBytes(m, promptTokens+genToks), LoadRSSAnonMB: loadAnon,
			}
			b := benchRunner{m: m, opts: model.SequenceOptions{KVF16: kvF16}}
			if err := b.warmup(prompt[:min(benchWarmupTokens, len(prompt))]); err != nil {
				return err
			}
			ctx := cmd.Context()
			for range reps {
				if err := ctx.Err(); err != nil {
					return err
				}
				pp, tg, ids, err := b.run(prompt[:promptTokens], prompt[0], genToks)
				if err != nil {
					return err
				}
				if promptTokens > 0 {
					res.PPSamples = append(res.PPSamples, pp)
				}
				if genToks > 0 {
					res.TGSamples = append(res.TGSamples, tg)
				}
				res.GenIDs = ids
			}
			res.PPTokS, res.PPTokSStddev = meanStddev(res.PPSamples)
			res.TGTokS, res.TGTokSStddev = meanStddev(res.TGSamples)
			res.PeakRSSMB = peakRSSMiB()
			res.RSSFileMB, res.RSSAnonMB = procRSS()
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
			if err := tw.Flush(); err != nil {
				return err
			}
			_, err = fmt.Fprintf(out, "load %.2f s, peak RSS %.0f MiB (file %.0f MiB)\n", loadS, res.PeakRSSMB, float64(fileBytes)/(1<<20))
			return err
		},
	}
	applyThreads = addThreadsFlag(cmd)
	cmd.Flags().StringVar(&modelPath, "model", "", "GGUF model file, llama2.c checkpoint (.bin), or a pulled hf:// or https:// name")
	cmd.Flags().StringVar(&cacheDir, "cache-dir", "", "model cache for pulled names (default: the user cache folder's llmpipe/models)")
	cmd.Flags().IntVar(&promptTokens, "prompt-tokens", 256, "tokens in the prompt-processing test (0: skip it)")
	cmd.Flags().IntVar(&genToks, "gen-tokens", 128, "tokens in the generation test, decoded after the prompt (0: skip it)")
	cmd.Flags().IntVar(&reps, "reps", 3, "timed repetitions of each test")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().BoolVar(&kvF16, "kv-f16", true, "keep the KV cache in float16, as llama.cpp does (--kv-f16=false: float32, half the rounding, twice the memory)")
	return cmd
}

// benchPrompt returns n prompt ids: BOS and the tokens of benchPromptText,
// repeated, when tok is not nil (source "text"), else pseudo-random ids from
// a fixed seed (source "random").
func benchPrompt(m model.Model, tok tokenizer.Tokenizer, n int) ([]int, string, error) {
	if tok != nil {
		base, err := tok.Encode(benchPromptText, tokenizer.EncodeOptions{})
		if err != nil {
			return nil, "", fmt.Errorf("bench: tokenizing the prompt text: %w", err)
		}
		ids := make([]int, 0, n+len(base))
		if bos := tok.Specials().BOS; bos >= 0 {
			ids = append(ids, bos)
		}
		for len(base) > 0 && len(ids) < n {
			ids = append(ids, base...)
		}
		ok := len(ids) >= n
		for _, id := range ids {
			ok = ok && id >= 0 && id < m.VocabSize()
		}
		if ok {
			return ids[:n], "text", nil
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]int, n)
	for i := range ids {
		ids[i] = rng.IntN(m.VocabSize())
	}
	return ids, "random", nil
}

// kvBytes is the size of m's float32 KV cache holding n positions, or 0 for
// a model whose shape bench does not know.
func kvBytes(m model.Model, n int) int64 {
	lm, ok := m.(*llama.Model)
	if !ok {
		return 0
	}
	c := lm.Config
	return int64(c.NumLayers) * 2 * int64(n) * int64(c.NumKVHeads*c.HeadDim) * 4
}

// benchRunner times the two tests.
type benchRunner struct {
	m    model.Model
	opts model.SequenceOptions
}

// warmup runs an untimed prefill of ids on a sequence it then drops.
func (b *benchRunner) warmup(ids []int) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := b.m.NewSequence(b.opts).Forward(ids, false); err != nil {
		return fmt.Errorf("bench: warm-up: %w", err)
	}
	return nil
}

// run times one prefill of prompt (pp, tokens/s; 0 when prompt is empty) and
// then n greedy decoding steps after it (tg, tokens/s; 0 when n is 0), on a
// fresh sequence. Each step runs one token through the network and the output
// head and takes the argmax as the next step's input; the first step's input
// is the prompt's greedy continuation, or first when there is no prompt. It
// returns the n greedy ids.
func (b *benchRunner) run(prompt []int, first, n int) (pp, tg float64, ids []int, err error) {
	seq := b.m.NewSequence(b.opts)
	next := first
	if len(prompt) > 0 {
		start := time.Now()
		logits, err := seq.Forward(prompt, false)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("bench: prompt processing: %w", err)
		}
		pp = rate(len(prompt), time.Since(start))
		next = argmax(logits)
	}
	if n == 0 {
		return pp, 0, []int{}, nil
	}
	ids = make([]int, 0, n)
	start := time.Now()
	for i := range n {
		ids = append(ids, next)
		logits, err := seq.Forward([]int{next}, false)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("bench: generation step %d: %w", i, err)
		}
		next = argmax(logits)
	}
	return pp, rate(n, time.Since(start)), ids, nil
}

// argmax returns the index of the largest value (the lowest index among
// equal ones).
func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
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

// loadBenchModel loads a GGUF model with its embedded tokenizer (nil when the
// file has none), or a llama2.c checkpoint (any file without the GGUF magic)
// without one: bench needs no tokenizer.
func loadBenchModel(path string) (model.Model, tokenizer.Tokenizer, func(), error) {
	isGGUF, err := hasGGUFMagic(path)
	if err != nil {
		return nil, nil, nil, err
	}
	if !isGGUF {
		ck, err := llama2c.OpenCheckpoint(path)
		if err != nil {
			return nil, nil, nil, err
		}
		m, err := llama.FromLlama2c(ck)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return m, nil, func() {}, nil
	}
	f, err := gguf.OpenMapped(path)
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := newRegistry().Load(f)
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	tok, err := llamavocab.FromGGUF(f)
	if err != nil {
		tok = nil // no usable vocabulary: random prompt ids
	}
	return m, tok, func() { f.Close() }, nil
}
