//go:build !linux

package kernels

import "time"

// threadCPUTime reports false: per-thread CPU time is read on Linux only.
func threadCPUTime() (time.Duration, bool) { return 0, false }
