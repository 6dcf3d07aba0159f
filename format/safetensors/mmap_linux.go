//go:build linux

package safetensors

import (
	"os"
	"syscall"
)

// mapFile maps size bytes of fh read-only. It returns nil data (and no error)
// when there is nothing to map.
func mapFile(fh *os.File, size int64) ([]byte, func() error, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, nil, nil
	}
	data, err := syscall.Mmap(int(fh.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return syscall.Munmap(data) }, nil
}
