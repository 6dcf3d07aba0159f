//go:build unix

package kernels

import (
	"syscall"
	"time"
)

// processCPUTime returns the user+system CPU time this process has used,
// so benchmarks on a shared machine can report work per CPU-second next to
// wall-clock rates (time the scheduler gives to other tenants is not
// counted).
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
