//go:build linux

package grammarcheck

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time: on a shared machine it
// moves less with other load than wall time does.
func cpuTime() time.Duration { return rusage(syscall.RUSAGE_SELF) }

// threadTime is the calling thread's CPU time (lock the goroutine to its
// thread around the calls being measured).
func threadTime() time.Duration { return rusage(1) } // RUSAGE_THREAD

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
