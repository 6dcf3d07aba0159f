//go:build !amd64 || purego

package kernels

// prefetchBytes does nothing in this build (havePrefetch is false, so it is
// never called).
func prefetchBytes(p *byte, n int) {}

// havePrefetch: this build has no prefetch instruction.
const havePrefetch = false
