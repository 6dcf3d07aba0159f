package main

import (
	"bufio"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/format/llama2c"
	"github.com/llmpipe/llmpipe/generate"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/model/llama"
	"github.com/llmpipe/llmpipe/sample"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/llamavocab"
)

// newRegistry lists the architectures llmpipe can run.
func newRegistry() *model.Registry {
	return model.NewRegistry(llama.Archs...)
}

// runResult is the --json output of run.
type runResult struct {
	PromptIDs    []int   `json:"prompt_ids"`
	IDs          []int   `json:"ids"`
	Text         string  `json:"text"`
	PromptTokS   float64 `json:"prompt_tok_s"`
	GenTokS      float64 `json:"gen_tok_s"`
	FinishReason string  `json:"finish_reason"`
	// Seed is the sampling seed, present when sampling (temperature > 0).
	Seed *uint64 `json:"seed,omitempty"`
	// LogProbs is present when --logprobs was given.
	LogProbs *[]runLogProb `json:"logprobs,omitempty"`
	// Beams is present with --beams.
	Beams []runBeam `json:"beams,omitempty"`
}

// runLogProb is one generated token's log-probability (OpenAI's logprobs
// content entry).
type runLogProb struct {
	Token       string          `json:"token"`
	ID          int             `json:"id"`
	LogProb     float64         `json:"logprob"`
	TopLogProbs []runTopLogProb `json:"top_logprobs"`
}

type runTopLogProb struct {
	Token   string  `json:"token"`
	ID      int     `json:"id"`
	LogProb float64 `json:"logprob"`
}

// runBeam is one beam search sequence.
type runBeam struct {
	IDs             []int   `json:"ids"`
	Text            string  `json:"text"`
	Score           float64 `json:"score"`
	NormalizedScore float64 `json:"normalized_score"`
	FinishReason    string  `json:"finish_reason"`
}

// jsonLogProb maps -Inf (a token the model rules out) to -9999, as OpenAI
// reports it, since JSON has no infinities.
func jsonLogProb(x float64) float64 {
	if math.IsInf(x, -1) || x < -9999 {
		return -9999
	}
	return x
}

// samplingFlags are run's decoding flags.
type samplingFlags struct {
	temperature, topP, minP, typicalP       float64
	repeatPenalty, freqPenalty, presPenalty float64
	lengthPenalty                           float64
	topK, repeatLastN, beams, logprobs      int
	earlyStopping                           bool
	seed                                    uint64
	stop                                    []string
}

func (f *samplingFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Float64Var(&f.temperature, "temperature", 0, "sampling temperature; 0 is greedy decoding (the default, unlike llama.cpp's 0.8)")
	fl.IntVar(&f.topK, "top-k", 0, "keep the K most likely tokens (0: off; llama.cpp uses 40)")
	fl.Float64Var(&f.topP, "top-p", 1, "nucleus sampling: keep the smallest set reaching this probability, in (0,1] (1: off)")
	fl.Float64Var(&f.minP, "min-p", 0, "keep tokens with p ≥ min-p·p_max, in [0,1] (0: off; llama.cpp uses 0.05)")
	fl.Float64Var(&f.typicalP, "typical-p", 1, "locally typical sampling mass, in (0,1] (1: off)")
	fl.Float64Var(&f.repeatPenalty, "repeat-penalty", 1, "divide positive / multiply negative logits of recent tokens by this (1: off)")
	fl.IntVar(&f.repeatLastN, "repeat-last-n", 64, "tokens (prompt included) the penalties look back over (0: penalties off, -1: all)")
	fl.Float64Var(&f.freqPenalty, "frequency-penalty", 0, "subtract this times a recent token's count from its logit (OpenAI)")
	fl.Float64Var(&f.presPenalty, "presence-penalty", 0, "subtract this from the logit of every recent token (OpenAI)")
	fl.Uint64Var(&f.seed, "seed", 0, "sampling seed (default: a random one, reported by --json)")
	fl.StringArrayVar(&f.stop, "stop", nil, "stop when the text contains this string, which is not printed (repeatable)")
	fl.IntVar(&f.beams, "beams", 0, "beam search with N beams (0: off); --json lists all N")
	fl.Float64Var(&f.lengthPenalty, "length-penalty", 1, "beam search: rank finished beams by score/length^α (HF's length_penalty)")
	fl.BoolVar(&f.earlyStopping, "early-stopping", false, "beam search: stop once N beams have finished (HF's early_stopping=True)")
	fl.IntVar(&f.logprobs, "logprobs", 0, "with --json, report each token's log-probability and the N most likely alternatives")
}

// options validates the flags, naming the flag at fault, and returns the
// generation options and the seed (nil when not sampling).
func (f *samplingFlags) options(cmd *cobra.Command) (generate.Options, *uint64, error) {
	bad := func(flag string, v any, why string) error { return fmt.Errorf("--%s %v %s", flag, v, why) }
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	in01 := func(v float64, open bool) bool { return finite(v) && v <= 1 && (v > 0 || (!open && v == 0)) }
	switch {
	case !finite(f.temperature) || f.temperature < 0:
		return generate.Options{}, nil, bad("temperature", f.temperature, "must be a number ≥ 0")
	case f.topK < 0:
		return generate.Options{}, nil, bad("top-k", f.topK, "is negative (0 turns top-k off)")
	case !in01(f.topP, true):
		return generate.Options{}, nil, bad("top-p", f.topP, "is outside (0,1]")
	case !in01(f.minP, false):
		return generate.Options{}, nil, bad("min-p", f.minP, "is outside [0,1]")
	case !in01(f.typicalP, true):
		return generate.Options{}, nil, bad("typical-p", f.typicalP, "is outside (0,1]")
	case !finite(f.repeatPenalty) || f.repeatPenalty <= 0:
		return generate.Options{}, nil, bad("repeat-penalty", f.repeatPenalty, "must be a number > 0 (1 turns it off)")
	case f.repeatLastN < -1:
		return generate.Options{}, nil, bad("repeat-last-n", f.repeatLastN, "is below -1 (-1: every token)")
	case !finite(f.freqPenalty):
		return generate.Options{}, nil, bad("frequency-penalty", f.freqPenalty, "is not a finite number")
	case !finite(f.presPenalty):
		return generate.Options{}, nil, bad("presence-penalty", f.presPenalty, "is not a finite number")
	case f.beams < 0:
		return generate.Options{}, nil, bad("beams", f.beams, "is negative")
	case !finite(f.lengthPenalty):
		return generate.Options{}, nil, bad("length-penalty", f.lengthPenalty, "is not a finite number")
	case f.logprobs < 0:
		return generate.Options{}, nil, bad("logprobs", f.logprobs, "is negative")
	}
	for _, s := range f.stop {
		if s == "" {
			return generate.Options{}, nil, errors.New("--stop needs a non-empty string")
		}
	}
	so := sample.Options{
		Temperature: f.temperature, TopK: f.topK, TopP: f.topP, MinP: f.minP, TypicalP: f.typicalP,
		RepeatPenalty: f.repeatPenalty, RepeatLastN: f.repeatLastN,
		FrequencyPenalty: f.freqPenalty, PresencePenalty: f.presPenalty,
	}
	if f.repeatLastN == 0 { // llama.cpp: a window of 0 turns the penalties off
		so.RepeatPenalty, so.FrequencyPenalty, so.PresencePenalty = 1, 0, 0
	}
	opts := generate.Options{Sample: so, Stop: f.stop}
	if cmd.Flags().Changed("logprobs") {
		opts.LogProbs, opts.TopLogProbs = true, f.logprobs
	}
	if f.beams > 0 {
		if !so.Neutral() {
			return generate.Options{}, nil, fmt.Errorf("--beams %d scores raw log-probabilities: drop --temperature, --top-k, --top-p, --min-p, --typical-p and the penalties", f.beams)
		}
		if opts.LogProbs {
			return generate.Options{}, nil, fmt.Errorf("--beams %d does not take --logprobs (each beam's score is its log-probability)", f.beams)
		}
		opts.Beam = generate.BeamOptions{Width: f.beams, LengthPenalty: f.lengthPenalty, EarlyStopping: f.earlyStopping}
		return opts, nil, nil
	}
	if f.temperature == 0 {
		// Greedy: say so rather than accept a flag that cannot matter.
		for _, name := range []string{"seed", "top-k", "top-p", "min-p"} {
			if cmd.Flags().Changed(name) {
				fmt.Fprintf(cmd.ErrOrStderr(), "llmpipe run: --%s has no effect at --temperature 0 (greedy decoding)\n", name)
			}
		}
		return opts, nil, nil
	}
	seed := f.seed
	if !cmd.Flags().Changed("seed") {
		var b [8]byte
		if _, err := crand.Read(b[:]); err != nil {
			return generate.Options{}, nil, fmt.Errorf("choosing a seed: %w", err)
		}
		seed = binary.LittleEndian.Uint64(b[:])
		fmt.Fprintf(cmd.ErrOrStderr(), "llmpipe run: sampling with --seed %d (random; pass it to reproduce)\n", seed)
	}
	opts.Sample.Rand = rand.New(rand.NewPCG(seed, 0))
	return opts, &seed, nil
}

func newRunCmd() *cobra.Command {
	var applyThreads func() error
	var (
		modelPath, prompt string
		tokPath           string
		maxTokens         int
		asJSON, kvF16     bool
		sf                samplingFlags
		cf                constraintFlags
	)
	cmd := &cobra.Command{
		Use:   "run [--model PATH] [--tokenizer PATH] --prompt TEXT [--max-tokens N] [sampling flags] [--json]",
		Short: "Generate text with a GGUF, HF or llama2.c model (greedy, sampling or beam search)",
		Long: `run loads a GGUF model and its embedded tokenizer, adds BOS as the model's
metadata says (like llama.cpp), and prints the continuation of --prompt as it
is generated (the prompt is not repeated), followed by a newline.

Decoding is greedy by default (--temperature 0): the same ids as llama.cpp's
greedy decoding. With --temperature > 0 the logits go through llama.cpp's
default chain: logit bias, --repeat-penalty/--frequency-penalty/
--presence-penalty over the last --repeat-last-n tokens (prompt included),
--top-k, --typical-p, --top-p, --min-p, --temperature, then a draw seeded by
--seed (PCG; the same seed gives the same text on any thread count).
llama.cpp's own defaults are --temperature 0.8 --top-k 40 --top-p 0.95
--min-p 0.05. Generation stops at the model's end-of-generation tokens, at a
--stop string (never printed, even across tokens), at --max-tokens, or when
the context is full. --beams N runs beam search instead (HF semantics:
--length-penalty, --early-stopping) and prints the best beam.

--json-schema FILE and --grammar FILE (llama.cpp's GBNF syntax) constrain
the output token by token: ids that cannot continue the grammar are masked
before sampling, end of text is allowed only where the grammar may end, and
with --max-tokens the grammar is steered to finish within the budget, so the
output parses even from a model that knows nothing of JSON.

--json prints one object at the end instead:
{"prompt_ids":[...],"ids":[...],"text":"...","prompt_tok_s":X,"gen_tok_s":Y,
 "finish_reason":"stop"|"length"}
where ids are the generated ids only (the id that completed a stop string
included), plus "seed" when sampling, "logprobs" with --logprobs N:
[{"token":"...","id":N,"logprob":X,"top_logprobs":[{"token","id","logprob"}...]}]
(log-softmax of the raw logits, as OpenAI reports them), and with --beams
"beams":[{"ids":[...],"text":"...","score":X,"normalized_score":Y,
"finish_reason":"..."}] best first (score: the sum of the ids'
log-probabilities, plus the end token's when the beam ended there).

Architectures: llama (Llama 1/2/3, Mistral, TinyLlama, SmolLM…), qwen2 and
qwen3, with weights of any GGUF type: F32, F16, BF16, Q4_0, Q4_1, Q5_0,
Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K. A prompt longer than the model's context is an error.

A llama2.c checkpoint (Karpathy's legacy .bin format) runs too, with its
tokenizer file given by --tokenizer (tokNNN.bin); BOS is added as llama2.c
does. So does a Hugging Face checkpoint (a folder with config.json and
model.safetensors or a sharded index; F32/F16/BF16), with the tokenizer.json
beside it or any --tokenizer that tokenize accepts.`,
		Example: `  llmpipe run --model ../shared/data/models/stories260K.gguf --prompt "Once upon a time" --max-tokens 64
  llmpipe run --model stories260K.gguf --prompt "Once upon a time" --json
  llmpipe run --model stories260K.gguf --prompt "Once upon a time" --temperature 0.8 --top-k 40 --top-p 0.95 --min-p 0.05 --seed 42
  llmpipe run --model stories260K.gguf --prompt "Once upon a time" --stop "." --stop "!" --json --logprobs 3
  llmpipe run --model stories260K.gguf --prompt "Once upon a time" --beams 4 --max-tokens 32 --json
  llmpipe run --model stories260K.gguf --prompt "Lily's pet:" --json-schema pet.schema.json --max-tokens 64
  llmpipe run --model stories260K.gguf --prompt "Sum:" --grammar arith.gbnf --temperature 0.7 --seed 1
  llmpipe run --model ../shared/data/models/stories260K-q8_0.gguf --prompt "Once upon a time" --kv-f16
  llmpipe run --model stories260K.bin --tokenizer tok512.bin --prompt "Once upon a time"
  llmpipe run --model ./SmolLM-135M --prompt "The capital of France is"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyThreads(); err != nil {
				return err
			}
			if maxTokens < 0 {
				return fmt.Errorf("--max-tokens %d is negative", maxTokens)
			}
			opts, seed, err := sf.options(cmd)
			if err != nil {
				return err
			}
			opts.MaxTokens, opts.KVF16 = maxTokens, kvF16
			g, err := cf.grammar()
			if err != nil {
				return err
			}
			if g != nil && opts.Beam.Width > 0 {
				return errors.New("--beams cannot be combined with --json-schema or --grammar")
			}
			m, tok, closeModel, err := loadModelOrDefault(modelPath, tokPath) // no --model: the built-in model
			if err != nil {
				return err
			}
			defer closeModel()
			if g != nil {
				cm, err := constraintMatcher(g, tok, maxTokens)
				if err != nil {
					return err
				}
				opts.Sample.Constraint = cm
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			if !asJSON {
				opts.OnText = func(s string) error {
					if _, err := w.WriteString(s); err != nil {
						return err
					}
					return w.Flush()
				}
			}
			res, err := generate.RunText(cmd.Context(), m, tok, prompt, opts)
			if err != nil {
				return err
			}
			if !asJSON {
				_, err := w.WriteString("\n")
				return err
			}
			out := runResult{PromptIDs: res.PromptIDs, IDs: res.IDs, Text: res.Text, PromptTokS: res.PromptTokS, GenTokS: res.GenTokS,
				FinishReason: res.Stop.FinishReason(), Seed: seed}
			if out.IDs == nil {
				out.IDs = []int{}
			}
			if opts.LogProbs {
				lps := make([]runLogProb, 0, len(res.LogProbs))
				for _, lp := range res.LogProbs {
					e := runLogProb{Token: lp.Token, ID: lp.ID, LogProb: jsonLogProb(lp.LogProb), TopLogProbs: []runTopLogProb{}}
					for _, t := range lp.Top {
						e.TopLogProbs = append(e.TopLogProbs, runTopLogProb{Token: t.Token, ID: t.ID, LogProb: jsonLogProb(t.LogProb)})
					}
					lps = append(lps, e)
				}
				out.LogProbs = &lps
			}
			for _, b := range res.Beams {
				ids := b.IDs
				if ids == nil {
					ids = []int{}
				}
				out.Beams = append(out.Beams, runBeam{IDs: ids, Text: b.Text, Score: jsonLogProb(b.Score),
					NormalizedScore: jsonLogProb(b.NormScore), FinishReason: b.Stop.FinishReason()})
			}
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			return enc.Encode(out)
		},
	}
	applyThreads = addThreadsFlag(cmd)
	cmd.Flags().StringVar(&modelPath, "model", "", "GGUF file, HF checkpoint (folder with config.json + *.safetensors), or llama2.c checkpoint (.bin) with --tokenizer (default: the built-in model)")
	cmd.Flags().StringVar(&tokPath, "tokenizer", "", "tokenizer for a llama2.c .bin (tokNNN.bin) or a HF checkpoint (default: its tokenizer.json); GGUF models use their own")
	cmd.Flags().StringVar(&prompt, "prompt", "", "prompt text")
	cmd.Flags().IntVar(&maxTokens, "max-tokens", 128, "most tokens to generate (0: until end of text or context)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object at the end instead of streaming text")
	cmd.Flags().BoolVar(&kvF16, "kv-f16", true, "keep the KV cache in float16, as llama.cpp does (--kv-f16=false: float32, half the rounding, twice the memory)")
	sf.add(cmd)
	cf.add(cmd)
	return cmd
}

// loadRunModel loads a model and its tokenizer for run: a GGUF file with its
// embedded tokenizer, or (any file that does not start with the GGUF magic)
// a llama2.c checkpoint with the tokenizer file tokPath. closeModel releases
// the file; the model must not be used after it.
func loadRunModel(modelPath, tokPath string) (m model.Model, tok tokenizer.Tokenizer, closeModel func(), err error) {
	if isTrainCheckpoint(modelPath) { // before isSafetensors: the checkpoint is a .safetensors file
		return loadTrainedModel(modelPath)
	}
	if isSafetensors(modelPath) {
		return loadSafetensorsModel(modelPath, tokPath)
	}
	isGGUF, err := hasGGUFMagic(modelPath)
	if err != nil {
		return nil, nil, nil, err
	}
	if !isGGUF {
		if tokPath == "" {
			return nil, nil, nil, fmt.Errorf("%s is not a GGUF file; a llama2.c checkpoint needs --tokenizer tokNNN.bin", modelPath)
		}
		ck, err := llama2c.OpenCheckpoint(modelPath)
		if err != nil {
			return nil, nil, nil, err
		}
		lm, err := llama.FromLlama2c(ck)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", modelPath, err)
		}
		v, err := llama2c.OpenVocab(tokPath, ck.Config.VocabSize)
		if err != nil {
			return nil, nil, nil, err
		}
		t, err := v.Tokenizer()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", tokPath, err)
		}
		return lm, t, func() {}, nil
	}
	if tokPath != "" {
		return nil, nil, nil, fmt.Errorf("--tokenizer is for llama2.c checkpoints; the GGUF file %s has its own tokenizer", modelPath)
	}
	f, err := gguf.OpenMapped(modelPath)
	if err != nil {
		return nil, nil, nil, err
	}
	if m, err = newRegistry().Load(f); err == nil {
		tok, err = llamavocab.FromGGUF(f)
	}
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("%s: %w", modelPath, err)
	}
	return m, tok, func() { f.Close() }, nil
}

// isSafetensors reports whether path names a HF checkpoint: a folder, a
// .safetensors file or a model.safetensors.index.json.
func isSafetensors(path string) bool {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return true
	}
	return strings.HasSuffix(path, ".safetensors") || strings.HasSuffix(path, ".safetensors.index.json")
}

// loadSafetensorsModel loads a HF checkpoint (config.json + safetensors)
// and its tokenizer: tokPath when given (any --tokenizer form tokenize
// takes), else the tokenizer.json beside the weights.
func loadSafetensorsModel(modelPath, tokPath string) (model.Model, tokenizer.Tokenizer, func(), error) {
	m, c, err := llama.FromSafetensors(modelPath)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", modelPath, err)
	}
	if tokPath == "" {
		tokPath = modelPath
		if st, err := os.Stat(modelPath); err == nil && !st.IsDir() {
			tokPath = filepath.Dir(modelPath)
		}
	}
	tok, err := loadTokenizer(tokPath)
	if err != nil {
		c.Close()
		return nil, nil, nil, fmt.Errorf("tokenizer for %s: %w", modelPath, err)
	}
	return m, tok, func() { c.Close() }, nil
}

// hasGGUFMagic reports whether the file at path starts with "GGUF".
func hasGGUFMagic(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return false, fmt.Errorf("%s: file of fewer than 4 bytes is neither GGUF nor a llama2.c checkpoint", path)
		}
		return false, err
	}
	return string(magic[:]) == "GGUF", nil
}
