//go:build !linux

package gguf

import "os"

// mapFile does not map on this platform: OpenMapped falls back to reading.
func mapFile(fh *os.File, size int64) ([]byte, func() error, error) {
	return nil, nil, nil
}
