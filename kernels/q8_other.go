//go:build !amd64 || purego

package kernels

// quantizeRowQ8_0Fast reports false: this build has no assembly quantizer.
func quantizeRowQ8_0Fast(dst []byte, x []float32) bool { return false }

// dotQ8_0Fast reports false: this build has no assembly dot product.
func dotQ8_0Fast(w, x []byte) (float32, bool) { return 0, false }

// dotQ4_0Fast reports false: this build has no assembly dot product.
func dotQ4_0Fast(w, x []byte) (float32, bool) { return 0, false }
