// Package mmap maps model files read-only into memory, so weights are used
// in place instead of being copied into the heap (format/gguf,
// format/safetensors). Where mapping is not available, File returns no data
// and callers read the file instead.
package mmap

import "os"

// File maps size bytes of fh read-only and returns the bytes and the function
// that unmaps them. It returns nil data (and no error) when there is nothing
// to map or mapping is not available on this platform; the caller then falls
// back to reading.
func File(fh *os.File, size int64) ([]byte, func() error, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, nil, nil
	}
	return mapFile(fh, int(size))
}
