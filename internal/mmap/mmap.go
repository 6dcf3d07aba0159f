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

// Release tells the OS that the pages of b, a part of data returned by
// File, are not needed for now, so that they stop counting in the
// process's resident memory (the weights a model has copied elsewhere,
// e.g. repacked). b stays valid: reading it again faults the pages back
// in from the file. Only the whole pages inside b are released (those it
// shares with neighbouring data are kept). It does nothing where File
// does not map; b must never be heap memory (whose pages would read back
// as zeros).
func Release(b []byte) error { return release(b) }
