//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// ilTypes are the weight types of the row-lane tiles with their block
// sizes.
var ilTypes = []struct {
	t  quant.Type
	bb int
	q4 bool
}{{quant.Q8_0, Q8_0BlockBytes, false}, {quant.Q4_0, Q4_0BlockBytes, true}}

// checkIL runs rowsQIL and Rows (VNNI on and off) on w and xq and holds
// every element of rows [lo, hi) to the registered Dot (q8DotAVX2 /
// q4DotAVX2), bit for bit (Rows of a Q4_0 matrix of rows%8 == 0: to the
// repacked order's reference, q4RowsWant); the other elements must stay untouched.
func checkIL(t *testing.T, typ quant.Type, bb int, q4 bool, w, xq []byte, nTok, rows, cols, lo, hi int) {
	t.Helper()
	k := LookupQKernel(typ)
	nb := cols / QK
	wb, xb := nb*bb, nb*Q8_0BlockBytes
	const sentinel = float32(-12345.5)
	var got [3][]float32
	for i := range got {
		got[i] = make([]float32, nTok*rows)
		for j := range got[i] {
			got[i][j] = sentinel
		}
	}
	rowsQIL(got[0], w, xq, nTok, rows, cols, lo, hi, bb, q4)
	useVNNI = true
	k.Rows(got[1], w, xq, nTok, rows, cols, lo, hi)
	useVNNI = false
	k.Rows(got[2], w, xq, nTok, rows, cols, lo, hi)
	useVNNI = haveVNNI
	for tk := range nTok {
		for j := range rows {
			want, wantRows := sentinel, sentinel
			if j >= lo && j < hi {
				want = k.Dot(w[j*wb:(j+1)*wb], xq[tk*xb:(tk+1)*xb], cols)
				wantRows = want
				if q4 {
					wantRows = q4RowsWant(w[j*wb:(j+1)*wb], xq[tk*xb:(tk+1)*xb], rows)
				}
			}
			for i, name := range []string{"rowsQIL", "Rows (VNNI)", "Rows (AVX2)"} {
				if i > 0 {
					want = wantRows
				}
				if g := got[i][tk*rows+j]; !sameFloat(g, want) {
					t.Fatalf("%v %d tokens × %d rows × %d cols, rows [%d,%d): token %d row %d: %s %v (%#x), Dot %v (%#x)",
						typ, nTok, rows, cols, lo, hi, tk, j, name, g, f32bits(g), want, f32bits(want))
				}
			}
		}
	}
}

// TestILRowsBitIdentical: the row-lane tiles give the bits of Dot for
// every token count 1..20 and row count 1..37 (16-row groups, an 8-row
// group, a padded group of fewer rows), at 1, 3, 9 and 128 blocks, row
// ranges that start inside a matrix, and with VNNI off the AVX2 tiles give
// the same.
func TestILRowsBitIdentical(t *testing.T) {
	if !haveVNNI {
		t.Skip("no AVX-512 VNNI on this CPU: rowsQIL does not run")
	}
	defer func() { useVNNI = haveVNNI }()
	r := rand.New(rand.NewPCG(81, 82))
	for _, it := range ilTypes {
		for _, cols := range []int{32, 96, 288, 4096} {
			nb := cols / QK
			rowsList := []int{1, 2, 3, 5, 7, 8, 9, 12, 15, 16, 17, 23, 24, 31, 32, 33, 37}
			toks := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
			if cols == 4096 {
				rowsList, toks = []int{7, 16, 37}, []int{1, 3, 8, 20}
			}
			for _, rows := range rowsList {
				w := randBlocks(r, rows*nb, it.bb, 128)
				for _, nTok := range toks {
					xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
					checkIL(t, it.t, it.bb, it.q4, w, xq, nTok, rows, cols, 0, rows)
					if rows > 5 && nTok%4 == 1 {
						checkIL(t, it.t, it.bb, it.q4, w, xq, nTok, rows, cols, 3, rows-1)
					}
				}
			}
		}
	}
}

// TestILRowsExtremes: activations all -127 or 127 with weights at their
// extremes (Q8_0 -128 and 127, Q4_0 nibbles 0 and 15: the largest lanes),
// and scales that are the largest finite fp16, subnormal, zero, infinite
// or NaN give Dot's bits.
func TestILRowsExtremes(t *testing.T) {
	if !haveVNNI {
		t.Skip("no AVX-512 VNNI on this CPU: rowsQIL does not run")
	}
	defer func() { useVNNI = haveVNNI }()
	r := rand.New(rand.NewPCG(83, 84))
	scales := []uint16{0x7bff, 0xfbff, 0x0001, 0x8001, 0x03ff, 0x0000, 0x7c00, 0xfc00, 0x7e00, 0x3c00}
	for _, it := range ilTypes {
		for _, shape := range [][3]int{{9, 21, 256}, {4, 16, 64}, {7, 5, 32}} {
			nTok, rows, cols := shape[0], shape[1], shape[2]
			nb := cols / QK
			for trial := range 6 {
				w := randBlocks(r, rows*nb, it.bb, 128)
				xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
				for i := 0; i < len(w); i += it.bb {
					for j := i + 2; j < i+it.bb; j++ {
						switch {
						case trial < 2 && it.q4:
							w[j] = 0xff * byte(trial&1) // nibbles all 15 or all 0
						case trial < 2:
							w[j] = byte(0x80 - byte(trial&1)) // -128 or 127
						case trial < 4 && it.q4:
							w[j] = []byte{0x00, 0xff, 0x0f, 0xf0}[r.IntN(4)]
						case trial < 4:
							w[j] = []byte{0x80, 0x7f}[r.IntN(2)]
						}
					}
					if trial >= 2 {
						h := scales[r.IntN(len(scales))]
						w[i], w[i+1] = byte(h), byte(h>>8)
					}
				}
				for i := 0; i < len(xq); i += Q8_0BlockBytes {
					x := byte(127) // a block all 127 or all -127
					if r.IntN(2) == 0 {
						x = byte(0x81)
					}
					for j := i + 2; j < i+Q8_0BlockBytes && trial < 4; j++ {
						xq[j] = x
					}
					if trial >= 4 {
						h := scales[r.IntN(len(scales))]
						xq[i], xq[i+1] = byte(h), byte(h>>8)
					}
				}
				t.Run(fmt.Sprint(it.t, shape, trial), func(t *testing.T) {
					checkIL(t, it.t, it.bb, it.q4, w, xq, nTok, rows, cols, 0, rows)
				})
			}
		}
	}
}

func f32bits(f float32) uint32 { return math.Float32bits(f) }
