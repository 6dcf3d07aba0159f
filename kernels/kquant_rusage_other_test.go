//go:build !unix

package kernels

import "time"

// processCPUTime is 0 where getrusage is not available: the benchmarks
// then report no per-CPU-second rate.
func processCPUTime() time.Duration { return 0 }
