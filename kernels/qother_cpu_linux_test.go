//go:build linux

package kernels

import "syscall"

// otherqThreadCPU returns the CPU time (user + system, seconds) of the
// calling OS thread (getrusage RUSAGE_THREAD), so benchmarks locked to one
// thread can report a rate that does not count time taken by other
// processes on a shared host.
func otherqThreadCPU() (float64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil { // 1: RUSAGE_THREAD
		return 0, false
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6, true
}
