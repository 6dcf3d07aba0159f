//go:build !linux

package main

// peakRSSMiB returns 0: bench reads the peak resident set (getrusage, whose
// unit differs between systems) only on Linux.
func peakRSSMiB() float64 { return 0 }

// procRSS returns nil, nil: /proc/self/status is Linux's.
func procRSS() (file, anon *float64) { return nil, nil }
