//go:build !amd64 || purego

package kernels

// haveKQuantAsm is false: this build has no k-quant assembly, and the Q4_K
// and Q6_K kernels are the references of kquant.go.
const haveKQuantAsm = false

// useKQuant512 is false: no AVX-512 kernels in this build (tests set it).
var useKQuant512 = false
