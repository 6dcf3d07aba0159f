// Package bench holds cross-package benchmarks: the same corpus through every
// tokenizer family, one goroutine against a parallel batch, so scaling with
// cores is measured in one run. Results and commands are recorded in
// docs/BENCHMARKS.md.
package bench
