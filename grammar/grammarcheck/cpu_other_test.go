//go:build !linux

package grammarcheck

import "time"

// cpuTime is unavailable here; benchmarks then report 0.
func cpuTime() time.Duration { return 0 }

// threadTime is unavailable here; benchmarks then report 0.
func threadTime() time.Duration { return 0 }
