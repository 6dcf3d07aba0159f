//go:build linux

package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// peakRSSMiB returns the process's peak resident set (getrusage ru_maxrss,
// which Linux reports in KiB) in MiB, or 0 if getrusage fails.
func peakRSSMiB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}

// procRSS returns RssFile (resident pages of mapped files) and RssAnon
// (resident anonymous memory) from /proc/self/status in MiB; nil for a line
// that is missing (kernels before 4.5) or when the file cannot be read.
func procRSS() (file, anon *float64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "RssFile" && key != "RssAnon") {
			continue
		}
		kib, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 64)
		if err != nil {
			continue
		}
		mib := kib / 1024
		if key == "RssFile" {
			file = &mib
		} else {
			anon = &mib
		}
	}
	return file, anon
}
