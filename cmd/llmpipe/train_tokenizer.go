package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/llmpipe/llmpipe/tokenizer/bpetrain"
)

// trainTokenizer trains a byte-level BPE tokenizer on files and writes it to
// out as tokenizer.json. It prints a progress line (rewritten in place) on
// progress; cancelling ctx (Ctrl-C) stops training and leaves out untouched.
func trainTokenizer(ctx context.Context, progress io.Writer, files []string, vocabSize int, out string) error {
	// The root command runs without a signal-aware context, so Ctrl-C is
	// turned into cancellation here.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	start := time.Now()
	var last time.Time
	show := func(p bpetrain.Progress, force bool) {
		if now := time.Now(); force || now.Sub(last) >= 200*time.Millisecond {
			last = now
			switch p.Stage {
			case bpetrain.StageCount:
				fmt.Fprintf(progress, "\rcounting: %.1f MB read, %d distinct words      ", float64(p.BytesRead)/1e6, p.Words)
			default:
				fmt.Fprintf(progress, "\rmerging: vocabulary %d / %d (%d merges)      ", p.Vocab, p.Target, p.Merges)
			}
		}
	}
	res, err := bpetrain.TrainFiles(ctx, files, bpetrain.Options{
		VocabSize: vocabSize,
		Progress:  func(p bpetrain.Progress) { show(p, p.Stage == bpetrain.StageDone) },
	})
	fmt.Fprintln(progress)
	if err != nil {
		return err
	}
	if err := res.WriteJSON(out); err != nil {
		return err
	}
	fmt.Fprintf(progress, "wrote %s: vocabulary %d (%d merges, special token <|endoftext|> = %d) in %s\n",
		out, res.VocabSize(), len(res.Merges), res.VocabSize()-1, time.Since(start).Round(time.Millisecond))
	return nil
}
