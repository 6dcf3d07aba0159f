//go:build linux

package kernels

import (
	"syscall"
	"time"
)

// threadCPUTime returns the CPU time (user + system) the calling OS thread
// has used, and true. Benchmarks lock their goroutine to the thread and
// run the kernels on one goroutine, so its growth is the work's CPU time,
// which other tenants of a shared machine do not inflate (though they
// still share its caches and memory bandwidth).
func threadCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil { // RUSAGE_THREAD
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
