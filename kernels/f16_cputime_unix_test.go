//go:build unix

package kernels

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) this process has used so
// far, or 0 where it cannot be read. The benchmarks divide work by it as
// well as by wall time: on a machine shared with other busy processes, the
// CPU time is what our threads actually ran.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
