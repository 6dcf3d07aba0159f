//go:build amd64 && !purego

package kernels

import "testing"

// TestQ4KRowsRepackedPaths holds every path of the Q4_K Rows (the AVX-512
// row-lane tile, the AVX2 one-token kernel, the plain Go) to the
// definition: VNNI on and off, the AVX-512 vec_dot kernels on and off.
func TestQ4KRowsRepackedPaths(t *testing.T) {
	defer func(v, k bool) { useVNNI, useKQuant512 = v, k }(useVNNI, useKQuant512)
	useVNNI, useKQuant512 = false, false
	q4KRowsShapes(t, "no VNNI", 3)
	if !haveVNNI {
		t.Skip("no AVX-512 VNNI: the row-lane tile does not run")
	}
	useVNNI, useKQuant512 = true, true
	q4KRowsShapes(t, "VNNI", 4)
}
