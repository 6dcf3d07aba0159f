//go:build !amd64 || purego

package kernels

// haveAVX2FMA is false: this build has no assembly kernels.
const haveAVX2FMA = false

// useAsm is false: this build has no assembly kernels.
var useAsm = false

// dotFast is the plain-Go reference where no assembly kernel exists.
func dotFast(a, b []float32) float32 { return dotRef(a, b) }

// dotRows sets out[r] = dotFast(row r of w, x) for the len(out) rows of w
// ([len(out), len(x)]).
func dotRows(out, w, x []float32) {
	cols := len(x)
	if len(w) != len(out)*cols {
		panic("kernels: dotRows: shape mismatch")
	}
	for r := range out {
		out[r] = dotFast(w[r*cols:(r+1)*cols], x)
	}
}
