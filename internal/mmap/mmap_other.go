//go:build !linux

package mmap

import "os"

// mapFile does not map on this platform.
func mapFile(*os.File, int) ([]byte, func() error, error) { return nil, nil, nil }

// release does nothing where File does not map.
func release([]byte) error { return nil }
