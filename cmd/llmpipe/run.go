package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/generate"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/model/llama"
	"github.com/llmpipe/llmpipe/tokenizer/llamavocab"
)

// newRegistry lists the architectures llmpipe can run.
func newRegistry() *model.Registry {
	return model.NewRegistry(llama.Arch)
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
	var (
		modelPath, prompt string
		maxTokens         int
		asJSON, kvF16     bool
	)
	cmd := &cobra.Command{
		Use:   "run --model PATH --prompt TEXT [--max-tokens N] [--json]",
		Short: "Generate text with a GGUF model (greedy decoding)",
		Long: `run loads a GGUF model and its embedded tokenizer, adds BOS as the model's
metadata says (like llama.cpp), and prints the greedy continuation of --prompt
as it is generated (the prompt is not repeated), followed by a newline.

--json prints one object at the end instead:
{"prompt_ids":[...],"ids":[...],"text":"...","prompt_tok_s":X,"gen_tok_s":Y}
where ids are the generated ids only.

Architectures: llama (Llama 1/2/3, Mistral, TinyLlama…) with F32, F16, BF16,
Q8_0 or Q4_0 weights. A prompt longer than the model's context is an error.`,
		Example: `  llmpipe run --model ../shared/data/models/stories260K.gguf --prompt "Once upon a time" --max-tokens 64
  llmpipe run --model stories260K.gguf --prompt "Once upon a time" --json
  llmpipe run --model ../shared/data/models/stories260K-q8_0.gguf --prompt "Once upon a time" --kv-f16`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if modelPath == "" {
				return errors.New("run needs --model PATH")
			}
			if maxTokens < 0 {
				return fmt.Errorf("--max-tokens %d is negative", maxTokens)
			}
			f, err := gguf.OpenMapped(modelPath)
			if err != nil {
				return err
			}
			defer f.Close()
			m, err := newRegistry().Load(f)
			if err != nil {
				return fmt.Errorf("%s: %w", modelPath, err)
			}
			tok, err := llamavocab.FromGGUF(f)
			if err != nil {
				return fmt.Errorf("%s: %w", modelPath, err)
			}
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
	cmd.Flags().StringVar(&modelPath, "model", "", "GGUF model file")
	cmd.Flags().StringVar(&prompt, "prompt", "", "prompt text")
	cmd.Flags().IntVar(&maxTokens, "max-tokens", 128, "most tokens to generate (0: until end of text or context)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object at the end instead of streaming text")
	cmd.Flags().BoolVar(&kvF16, "kv-f16", false, "keep the KV cache in float16, as llama.cpp does by default")
	return cmd
}
