//go:build !unix

package kernels

import "time"

// processCPU returns 0: this system's CPU time is not read, and benchmarks
// report wall-time rates only.
func processCPU() time.Duration { return 0 }
