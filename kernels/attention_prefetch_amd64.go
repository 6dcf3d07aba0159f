//go:build amd64 && !purego

package kernels

// prefetchBytes asks the CPU to bring every 64-byte line of p[0:n] (n > 0)
// into its caches (PREFETCHT0); it changes no value. Implemented in
// attention_prefetch_amd64.s.
//
//go:noescape
func prefetchBytes(p *byte, n int)

// havePrefetch: prefetchBytes exists in this build.
const havePrefetch = true
