// Command llmpipe is the command-line face of the llmpipe pipeline: one binary
// whose subcommands run each stage (tokenize, template, …).
//
// This package only wires: it parses flags, opens files and hands concrete
// types from the library packages to each other.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
)

func main() {
	// Ctrl-C cancels the command's context: long work (training, downloads)
	// stops cleanly and leaves no half-written file.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "llmpipe:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "llmpipe",
		Short: "The whole LLM pipeline in Go: tokenize, run, train, serve, evaluate",
		Long: `llmpipe covers the stages of a large language model in one pure-Go binary.

Stage 1 (input): exact tokenizers for tiktoken, HF tokenizer.json, SentencePiece
and GGUF vocabularies, and HF chat templates (tokenize, template).
Stage 2 (network), first slices: Llama-family models (GGUF, HF safetensors,
llama2.c) with greedy generation identical to llama.cpp (run), speed like
llama-bench (bench), a model file's metadata and tensors (inspect), and
downloads from the Hugging Face hub or any URL with resume and sha256 (pull).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newTokenizeCmd(), newTemplateCmd())
	root.AddCommand(newRunCmd())
	root.AddCommand(newChatCmd())
	root.AddCommand(newInspectCmd())
	root.AddCommand(newBenchCmd())
	root.AddCommand(newPullCmd())
	root.AddCommand(newExportCmd())
	root.AddCommand(newServeCmd())
	root.AddCommand(newTrainCmd())
	return root
}
