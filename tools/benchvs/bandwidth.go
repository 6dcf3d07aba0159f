//go:build linux

package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"
)

// bandwidthBytes is the buffer the read-bandwidth measurement streams: far
// larger than any cache (MACHINE-LIMITS.md measured its "1 GiB read" with the
// same size).
const bandwidthBytes = 1 << 30

// sumWords adds up b with eight independent accumulators, so the loop is
// limited by loads (eight 8-byte loads per 64-byte line), not by the
// latency of one chain of adds; the result keeps the compiler from dropping
// the loads.
func sumWords(b []uint64) uint64 {
	var s0, s1, s2, s3, s4, s5, s6, s7 uint64
	for len(b) >= 8 {
		c := b[:8:8]
		s0 += c[0]
		s1 += c[1]
		s2 += c[2]
		s3 += c[3]
		s4 += c[4]
		s5 += c[5]
		s6 += c[6]
		s7 += c[7]
		b = b[8:]
	}
	for _, v := range b {
		s0 += v
	}
	return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
}

// readPass reads all of buf once, split into threads contiguous parts, one
// goroutine each, and returns the time it took (from the start of all to the
// end of the last).
func readPass(buf []uint64, threads int) (time.Duration, uint64) {
	var wg sync.WaitGroup
	sums := make([]uint64, threads)
	part := (len(buf) + threads - 1) / threads
	start := time.Now()
	for i := range threads {
		lo, hi := min(i*part, len(buf)), min((i+1)*part, len(buf))
		wg.Go(func() { sums[i] = sumWords(buf[lo:hi]) })
	}
	wg.Wait()
	d := time.Since(start)
	var s uint64
	for _, v := range sums {
		s += v
	}
	return d, s
}

// newBandwidthBuffer returns a 1 GiB buffer with every page written (so
// the reads hit memory, not the shared zero page).
func newBandwidthBuffer() []uint64 {
	buf := make([]uint64, bandwidthBytes/8)
	for i := range buf {
		buf[i] = uint64(i)
	}
	return buf
}

// readGBs measures passes reads of buf with threads goroutines and returns
// the median and best rate in GB/s (1e9 bytes per second).
func readGBs(buf []uint64, threads, passes int) (median, best float64) {
	rates := make([]float64, passes)
	for i := range rates {
		d, _ := readPass(buf, threads)
		rates[i] = float64(len(buf)*8) / d.Seconds() / 1e9
	}
	slices.Sort(rates)
	return rates[len(rates)/2], rates[len(rates)-1]
}

// printBandwidth measures the read bandwidth with 1 and 2 goroutines (7
// passes each over 1 GiB) and prints it with the 80% decode target.
func printBandwidth(w io.Writer) error {
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	buf := newBandwidthBuffer()
	readPass(buf, 1) // warm-up
	fmt.Fprintln(w, "| goroutines | read GB/s, median of 7 passes over 1 GiB | best | 80% target (decode) |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, th := range []int{1, 2} {
		med, best := readGBs(buf, th, 7)
		if _, err := fmt.Fprintf(w, "| %d | %.1f | %.1f | %.1f |\n", th, med, best, 0.8*med); err != nil {
			return err
		}
	}
	return nil
}
