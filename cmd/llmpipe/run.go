package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/format/llama2c"
	"github.com/llmpipe/llmpipe/generate"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/model/llama"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/llamavocab"
)

// newRegistry lists the architectures llmpipe can run.
func newRegistry() *model.Registry {
	return model.NewRegistry(llama.Archs...)
}

// runResult is the --json output of run.
type runResult struct {
	PromptIDs  []int   `json:"prompt_ids"`
	IDs        []int   `json:"ids"`
	Text       string  `json:"text"`
	PromptTokS float64 `json:"prompt_tok_s"`
	GenTokS    float64 `json:"gen_tok_s"`
}

func newRunCmd() *cobra.Command {
	var applyThreads func() error
	var (
		modelPath, prompt string
		tokPath           string
		maxTokens         int
		asJSON, kvF16     bool
	)
	cmd := &cobra.Command{
		Use:   "run --model PATH [--tokenizer PATH] --prompt TEXT [--max-tokens N] [--json]",
		Short: "Generate text with a GGUF or llama2.c model (greedy decoding)",
		Long: `run loads a GGUF model and its embedded tokenizer, adds BOS as the model's
metadata says (like llama.cpp), and prints the greedy continuation of --prompt
as it is generated (the prompt is not repeated), followed by a newline.

--json prints one object at the end instead:
{"prompt_ids":[...],"ids":[...],"text":"...","prompt_tok_s":X,"gen_tok_s":Y}
where ids are the generated ids only.

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
  llmpipe run --model ../shared/data/models/stories260K-q8_0.gguf --prompt "Once upon a time" --kv-f16
  llmpipe run --model stories260K.bin --tokenizer tok512.bin --prompt "Once upon a time"
  llmpipe run --model ./SmolLM-135M --prompt "The capital of France is"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := applyThreads(); err != nil {
				return err
			}
			if modelPath == "" {
				return errors.New("run needs --model PATH")
			}
			if maxTokens < 0 {
				return fmt.Errorf("--max-tokens %d is negative", maxTokens)
			}
			m, tok, closeModel, err := loadRunModel(modelPath, tokPath)
			if err != nil {
				return err
			}
			defer closeModel()
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			opts := generate.Options{MaxTokens: maxTokens, KVF16: kvF16}
			if !asJSON {
				opts.OnText = func(s string) error {
					if _, err := w.WriteString(s); err != nil {
						return err
					}
					return w.Flush()
				}
			}
			res, err := generate.Greedy(cmd.Context(), m, tok, prompt, opts)
			if err != nil {
				return err
			}
			if !asJSON {
				_, err := w.WriteString("\n")
				return err
			}
			out := runResult{PromptIDs: res.PromptIDs, IDs: res.IDs, Text: res.Text, PromptTokS: res.PromptTokS, GenTokS: res.GenTokS}
			if out.IDs == nil {
				out.IDs = []int{}
			}
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			return enc.Encode(out)
		},
	}
	applyThreads = addThreadsFlag(cmd)
	cmd.Flags().StringVar(&modelPath, "model", "", "GGUF file, HF checkpoint (folder with config.json + *.safetensors), or llama2.c checkpoint (.bin) with --tokenizer")
	cmd.Flags().StringVar(&tokPath, "tokenizer", "", "tokenizer for a llama2.c .bin (tokNNN.bin) or a HF checkpoint (default: its tokenizer.json); GGUF models use their own")
	cmd.Flags().StringVar(&prompt, "prompt", "", "prompt text")
	cmd.Flags().IntVar(&maxTokens, "max-tokens", 128, "most tokens to generate (0: until end of text or context)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object at the end instead of streaming text")
	cmd.Flags().BoolVar(&kvF16, "kv-f16", false, "keep the KV cache in float16, as llama.cpp does by default")
	return cmd
}

// loadRunModel loads a model and its tokenizer for run: a GGUF file with its
// embedded tokenizer, or (any file that does not start with the GGUF magic)
// a llama2.c checkpoint with the tokenizer file tokPath. closeModel releases
// the file; the model must not be used after it.
func loadRunModel(modelPath, tokPath string) (m model.Model, tok tokenizer.Tokenizer, closeModel func(), err error) {
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
