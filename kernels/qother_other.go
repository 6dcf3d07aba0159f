//go:build !amd64 || purego

package kernels

// dotQ5_KQ8_KFast is the plain-Go reference where no assembly kernel exists.
func dotQ5_KQ8_KFast(w, x []byte, n int) float32 { return dotQ5_KQ8_KRef(w, x, n) }

// dotQ3_KQ8_KFast is the plain-Go reference where no assembly kernel exists.
func dotQ3_KQ8_KFast(w, x []byte, n int) float32 { return dotQ3_KQ8_KRef(w, x, n) }

// dotQ2_KQ8_KFast is the plain-Go reference where no assembly kernel exists.
func dotQ2_KQ8_KFast(w, x []byte, n int) float32 { return dotQ2_KQ8_KRef(w, x, n) }

// dotQ5_0Q8_0Fast is the plain-Go reference where no assembly kernel exists.
func dotQ5_0Q8_0Fast(w, x []byte, n int) float32 { return dotQ5_0Q8_0Ref(w, x, n) }

// dotQ4_1Q8_1Fast is the plain-Go reference where no assembly kernel exists.
func dotQ4_1Q8_1Fast(w, x []byte, n int) float32 { return dotQ4_1Q8_1Ref(w, x, n) }

// dotQ5_1Q8_1Fast is the plain-Go reference where no assembly kernel exists.
func dotQ5_1Q8_1Fast(w, x []byte, n int) float32 { return dotQ5_1Q8_1Ref(w, x, n) }
