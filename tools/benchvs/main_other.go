//go:build !linux

// Command benchvs times llmpipe side by side with llama.cpp; it reads
// /proc and wait4's rusage, so it runs on Linux only (see main.go).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "benchvs: Linux only (it reads /proc/stat and wait4's rusage)")
	os.Exit(1)
}
