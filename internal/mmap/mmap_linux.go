//go:build linux

package mmap

import (
	"os"
	"syscall"
	"unsafe"
)

func mapFile(fh *os.File, size int) ([]byte, func() error, error) {
	data, err := syscall.Mmap(int(fh.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return syscall.Munmap(data) }, nil
}

// release is Release on Linux: madvise(MADV_DONTNEED) on the page-aligned
// inside of b (a shared file mapping's pages re-fault from the file).
func release(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	ps := uintptr(os.Getpagesize())
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo, hi := (addr+ps-1)&^(ps-1), (addr+uintptr(len(b)))&^(ps-1)
	if hi <= lo {
		return nil
	}
	return syscall.Madvise(b[lo-addr:hi-addr], syscall.MADV_DONTNEED)
}
