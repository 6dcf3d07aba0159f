//go:build !linux

package kernels

// otherqThreadCPU is not available here: benchmarks report wall time only.
func otherqThreadCPU() (float64, bool) { return 0, false }
