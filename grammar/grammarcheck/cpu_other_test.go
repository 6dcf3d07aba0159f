//go:build !linux

package grammarcheck

import "time"

// cpuTime is unavailable here; benchmarks then report 0 cpu-ns/token.
func cpuTime() time.Duration { return 0 }
