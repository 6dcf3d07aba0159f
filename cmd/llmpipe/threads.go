package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/kernels"
)

// addThreadsFlag adds --threads to a command that runs a model and returns
// the function that applies it (call it first in RunE).
func addThreadsFlag(cmd *cobra.Command) func() error {
	var n int
	cmd.Flags().IntVar(&n, "threads", 0, "goroutines the matrix kernels split rows across (0: all cores)")
	return func() error {
		if n < 0 {
			return fmt.Errorf("--threads %d is negative", n)
		}
		kernels.SetThreads(n)
		return nil
	}
}
