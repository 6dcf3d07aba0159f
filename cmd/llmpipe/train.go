package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/data"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/train"
)

// trainFlags are llmpipe train's settings (--config FILE can set any of
// them).
type trainFlags struct {
	Arch        string
	Tokenizer   string
	Layers      int
	Dim         int
	Heads       int
	KVHeads     int
	FFN         int
	Ctx         int
	Tied        bool
	Pos         string
	Steps       int
	Batch       int
	Accum       int
	LR          float64
	MinLR       float64
	Warmup      int
	WeightDecay float64
	EvalEvery   int
	EvalBatches int
	LogEvery    int
	ValFrac     float64
	Seed        uint64
	Threads     int
}

func newTrainCmd() *cobra.Command {
	f := trainFlags{Arch: "llama", Tokenizer: "bytes", Layers: 4, Dim: 128, Heads: 4, Ctx: 64, Steps: 2000,
		Batch: 12, Accum: 1, LR: 1e-3, Warmup: 100, WeightDecay: 0.1, EvalEvery: 250, EvalBatches: 20,
		LogEvery: 10, ValFrac: 0.1, Seed: 1337}
	var (
		dataFiles  []string
		out        string
		configFile string
		resume     bool
		jsonOut    bool
		rawSpecial bool
	)
	cmd := &cobra.Command{
		Use:   "train --data FILE... --out DIR [flags]",
		Short: "Pretrain a Llama- or GPT-2-shaped model from scratch on text files",
		Long: `train pretrains a small language model on the concatenated --data files, split
90/10 into training and validation text (nanoGPT's split), as nanoGPT's train.py:
random windows of --ctx tokens, AdamW (β 0.9/0.99, weight decay on matrices only)
with a linear warmup and cosine decay from --lr to --min-lr, gradient clipping at
norm 1, gradient accumulation (--accum), and the validation loss on fixed windows
every --eval-every steps, when it also saves a checkpoint.

--out DIR receives tokens.bin (the corpus tokenized once, read memory-mapped),
checkpoint.safetensors (model, optimizer, step and sampler state, written atomically), metrics.jsonl (one object per logged step) and loss.png
(training and validation loss). A progress line goes to stderr; with --json one
{"step","loss","val_loss","tok_s"} object per logged step goes to stdout.
Ctrl-C saves a checkpoint and exits; --resume continues it bit-exactly
(the model shape, tokenizer and training flags come from the checkpoint;
flags given again override them, --steps to train further). A NaN loss stops the run
and keeps the last good checkpoint; a model too large for the free memory is
refused before anything is allocated.

--tokenizer: bytes (256 ids), chars (the sorted distinct characters of the
corpus, nanoGPT's shakespeare_char), or a tokenizer.json path (for example one
trained with 'llmpipe tokenize --train').

--config FILE is a JSON object with any of the flags as keys (dashes as
underscores: {"layers":4,"dim":128,"kv_heads":2,"min_lr":1e-4}); flags on the
command line override it.`,
		Example: `  # nanoGPT's CPU recipe for character-level Shakespeare (GPT-2 shape, ~0.8M parameters)
  llmpipe train --data ../shared/data/corpora/tinyshakespeare.txt --out out/shakespeare \
      --arch gpt2 --tokenizer chars --layers 4 --heads 4 --dim 128 --ctx 64 \
      --batch 12 --steps 2000 --lr 1e-3 --min-lr 1e-4 --warmup 100

  # a small Llama on TinyStories with a BPE tokenizer, 2 KV heads, 2 micro-batches per step
  llmpipe tokenize --train --vocab-size 2048 --out tok.json ../shared/data/corpora/tinystories_sample_2MiB.txt
  llmpipe train --data ../shared/data/corpora/tinystories_sample_2MiB.txt --out out/stories \
      --tokenizer tok.json --layers 6 --dim 192 --heads 6 --kv-heads 2 --ctx 128 --accum 2

  # continue an interrupted run to 4000 steps; machine-readable progress
  llmpipe train --data corpus.txt --out out/stories --resume --steps 4000 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configFile != "" {
				if err := applyConfigFile(cmd, configFile); err != nil {
					return err
				}
			}
			if len(dataFiles) == 0 {
				return fmt.Errorf("train: no --data files")
			}
			if out == "" {
				return fmt.Errorf("train: no --out folder")
			}
			if f.Threads < 0 {
				return fmt.Errorf("train: --threads %d is negative", f.Threads)
			}
			kernels.SetThreads(f.Threads)
			spec := train.TokenizerSpec{Kind: f.Tokenizer}
			if spec.Kind != "bytes" && spec.Kind != "chars" {
				spec = train.TokenizerSpec{Kind: "file", Path: f.Tokenizer}
			}
			modelChanged := false
			for _, n := range []string{"arch", "layers", "dim", "heads", "kv-heads", "ffn", "ctx", "tied", "pos", "tokenizer"} {
				modelChanged = modelChanged || cmd.Flags().Changed(n)
			}
			cfg := train.Config{Arch: f.Arch, Layers: f.Layers, Dim: f.Dim, Heads: f.Heads, KVHeads: f.KVHeads,
				FFN: f.FFN, Ctx: f.Ctx, Tied: f.Tied, Pos: f.Pos}
			if !resume && train.HasCheckpoint(out) {
				return fmt.Errorf("train: %s already holds a checkpoint: pass --resume to continue it, or choose another --out", out)
			}
			if resume {
				ck, err := (train.FileStore{}).Load(out, nil)
				if err != nil {
					return fmt.Errorf("train: --resume: %w", err)
				}
				spec = ck.Meta.Tokenizer
				if !modelChanged && configFile == "" {
					cfg = ck.Meta.Config
				}
				// training flags not given again continue as the run started
				for _, name := range trainSettings {
					if v, ok := ck.Meta.Settings[name]; ok && !cmd.Flags().Changed(name) {
						if err := cmd.Flags().Set(name, v); err != nil {
							return fmt.Errorf("train: --resume: saved --%s %q: %w", name, v, err)
						}
					}
				}
			}
			settings := map[string]string{}
			for _, name := range trainSettings {
				settings[name] = cmd.Flags().Lookup(name).Value.String()
			}
			tok, err := corpusTokenizer(spec, dataFiles)
			if err != nil {
				return err
			}
			if spec.Kind == "chars" {
				spec.Chars = string(tok.(*train.CharTokenizer).Chars)
			}
			cfg.Vocab = tok.VocabSize()
			if err := cfg.WithDefaults().Validate(); err != nil {
				return err
			}
			if !(f.ValFrac > 0 && f.ValFrac < 1) {
				return fmt.Errorf("train: --val-frac %g must be in (0, 1)", f.ValFrac)
			}
			// tokenize once into OUT/tokens.bin (package data's token file),
			// then train from its memory mapping
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("train: %w", err)
			}
			tokPath := filepath.Join(out, "tokens.bin")
			// Special-token text in the corpus ("<|endoftext|>" between stories)
			// becomes the special id, so the model learns to end a text.
			dopts := data.Options{Encode: tokenizer.EncodeOptions{ParseSpecial: !rawSpecial}}
			if _, err := data.TokenizeFiles(cmd.Context(), tok, tokPath, dataFiles, dopts); err != nil {
				if errors.Is(err, data.ErrTooSmall) {
					return fmt.Errorf("train: the corpus %s is empty: %w", strings.Join(dataFiles, ", "), err)
				}
				return fmt.Errorf("train: %w", err)
			}
			ids, err := data.Open(tokPath)
			if err != nil {
				return fmt.Errorf("train: %w", err)
			}
			defer ids.Close()
			trR, valR, err := data.Split(ids.Len(), f.ValFrac, cfg.Ctx)
			if err != nil {
				return fmt.Errorf("train: %s: %w (fewer than one window: give a larger corpus or a smaller --ctx)", strings.Join(dataFiles, ", "), err)
			}
			trainSplit, valSplit := train.View(ids, trR), train.View(ids, valR)
			var progress io.Writer = cmd.ErrOrStderr()
			var jw io.Writer
			if jsonOut {
				jw = cmd.OutOrStdout()
			}
			c := cfg.WithDefaults()
			threads := f.Threads
			if threads == 0 {
				threads = runtime.GOMAXPROCS(0)
			}
			fmt.Fprintf(progress, "train: %s, %.2fM parameters, %d training + %d validation tokens, %d threads\n",
				c, float64(c.Params())/1e6, trainSplit.Len(), valSplit.Len(), threads)
			res, err := train.Run(cmd.Context(), train.Options{
				Model: cfg, Steps: f.Steps, Batch: f.Batch, Accum: f.Accum, LR: float32(f.LR), MinLR: float32(f.MinLR),
				Warmup: f.Warmup, WeightDecay: float32(f.WeightDecay), EvalEvery: f.EvalEvery, EvalBatches: f.EvalBatches,
				LogEvery: f.LogEvery, Seed: f.Seed, OutDir: out, Resume: resume, MemoryLimit: availableMemory(),
				Tokenizer: spec, Settings: settings, Progress: progress, JSON: jw,
			}, trainSplit, valSplit)
			if err != nil {
				return err
			}
			if res.Interrupted {
				fmt.Fprintf(progress, "train: interrupted at step %d; checkpoint saved in %s (continue with --resume)\n", res.Step, out)
				return nil
			}
			fmt.Fprintf(progress, "train: done at step %d: loss %.4f, val loss %.4f, %.0f tok/s, %.1fs; checkpoint, metrics.jsonl and loss.png in %s\n",
				res.Step, res.Loss, res.ValLoss, res.TokS, res.Seconds, out)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&dataFiles, "data", nil, "text files to train on (repeat or comma-separate; concatenated)")
	fl.StringVar(&out, "out", "", "folder for the checkpoint, metrics.jsonl and loss.png")
	fl.StringVar(&configFile, "config", "", "JSON file with any of these flags as keys (flags override it)")
	fl.StringVar(&f.Arch, "arch", f.Arch, "architecture: llama (RMSNorm, RoPE, SwiGLU) or gpt2 (LayerNorm, learned positions, GELU)")
	fl.StringVar(&f.Tokenizer, "tokenizer", f.Tokenizer, "bytes, chars, or a tokenizer.json path")
	fl.IntVar(&f.Layers, "layers", f.Layers, "transformer blocks")
	fl.IntVar(&f.Dim, "dim", f.Dim, "embedding width")
	fl.IntVar(&f.Heads, "heads", f.Heads, "attention heads")
	fl.IntVar(&f.KVHeads, "kv-heads", f.KVHeads, "key/value heads for grouped-query attention (llama; 0: = heads)")
	fl.IntVar(&f.FFN, "ffn", f.FFN, "feed-forward width (0: 4·dim for gpt2, ~8/3·dim rounded to 32 for llama)")
	fl.IntVar(&f.Ctx, "ctx", f.Ctx, "context length: tokens per training window")
	fl.BoolVar(&f.Tied, "tied", f.Tied, "llama: tie the output head to the token embedding (gpt2 always ties)")
	fl.StringVar(&f.Pos, "pos", f.Pos, "gpt2: position encoding, learned (trained table, default) or sinusoidal (fixed, Vaswani et al.)")
	fl.IntVar(&f.Steps, "steps", f.Steps, "optimizer steps in all")
	fl.IntVar(&f.Batch, "batch", f.Batch, "windows per micro-batch")
	fl.IntVar(&f.Accum, "accum", f.Accum, "micro-batches per optimizer step (gradient accumulation)")
	fl.Float64Var(&f.LR, "lr", f.LR, "peak learning rate")
	fl.Float64Var(&f.MinLR, "min-lr", f.MinLR, "learning rate at the end of the cosine decay (0: lr/10)")
	fl.IntVar(&f.Warmup, "warmup", f.Warmup, "linear warmup steps")
	fl.Float64Var(&f.WeightDecay, "weight-decay", f.WeightDecay, "AdamW weight decay on matrices (negative: none)")
	fl.IntVar(&f.EvalEvery, "eval-every", f.EvalEvery, "steps between validation losses and checkpoints")
	fl.IntVar(&f.EvalBatches, "eval-batches", f.EvalBatches, "validation micro-batches of fixed windows")
	fl.IntVar(&f.LogEvery, "log-every", f.LogEvery, "steps between progress lines")
	fl.Float64Var(&f.ValFrac, "val-frac", f.ValFrac, "fraction of the corpus (its end) held out for validation")
	fl.Uint64Var(&f.Seed, "seed", f.Seed, "seed of the initialization and the batch sampler")
	fl.IntVar(&f.Threads, "threads", 0, "goroutines the matrix kernels split work across (0: all cores)")
	fl.BoolVar(&resume, "resume", false, "continue from the checkpoint in --out")
	fl.BoolVar(&jsonOut, "json", false, "print one JSON object per logged step on stdout")
	fl.BoolVar(&rawSpecial, "raw-special", false, "tokenize special-token text in the corpus (\"<|endoftext|>\") as plain text instead of the special id")
	addAlignCommands(cmd)
	return cmd
}

// trainSettings are the flags a checkpoint records and --resume reuses
// unless given again.
var trainSettings = []string{"steps", "batch", "accum", "lr", "min-lr", "warmup", "weight-decay",
	"eval-every", "eval-batches", "log-every", "val-frac", "seed"}

// corpusTokenizer resolves --tokenizer for training.
// The character vocabulary is built from the files (its saved string on a
// resume).
func corpusTokenizer(spec train.TokenizerSpec, files []string) (tokenizer.Tokenizer, error) {
	switch spec.Kind {
	case "bytes":
		return train.ByteTokenizer{}, nil
	case "chars":
		if spec.Chars != "" {
			return train.CharTokenizerOf([]rune(spec.Chars)), nil
		}
		texts := make([]string, len(files))
		for i, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("train: %w", err)
			}
			texts[i] = string(b)
		}
		return train.NewCharTokenizer(texts...), nil
	case "file":
		tok, err := loadTokenizer(spec.Path)
		if err != nil {
			return nil, fmt.Errorf("train: --tokenizer (bytes, chars or a tokenizer.json path): %w", err)
		}
		return tok, nil
	}
	return nil, fmt.Errorf("train: unknown tokenizer kind %q", spec.Kind)
}

// availableMemory returns MemAvailable from /proc/meminfo in bytes (0 where
// it cannot be read: no check).
func availableMemory() float64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, ln := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(ln, "MemAvailable:"); ok {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%f kB", &kb); err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}

// applyConfigFile sets the flags named by the keys of a JSON config file
// (underscores for dashes) that were not given on the command line.
func applyConfigFile(cmd *cobra.Command, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("train: --config: %w", err)
	}
	var kv map[string]json.RawMessage
	if err := json.Unmarshal(b, &kv); err != nil {
		return fmt.Errorf("train: --config %s: %w", path, err)
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := strings.ReplaceAll(k, "_", "-")
		fl := cmd.Flags().Lookup(name)
		if fl == nil || name == "config" || name == "help" {
			return fmt.Errorf("train: --config %s: unknown key %q", path, k)
		}
		if fl.Changed {
			continue
		}
		raw := kv[k]
		var val string
		if err := json.Unmarshal(raw, &val); err != nil {
			val = string(raw) // a number or a boolean
		}
		if fl.Value.Type() == "stringSlice" {
			var list []string
			if json.Unmarshal(raw, &list) == nil {
				val = strings.Join(list, ",")
			}
		}
		if err := cmd.Flags().Set(name, val); err != nil {
			return fmt.Errorf("train: --config %s: %s: %w", path, k, err)
		}
	}
	return nil
}
