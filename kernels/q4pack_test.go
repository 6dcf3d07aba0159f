package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// packShapes are the token counts × rows × columns the packed tests run:
// 1..20 tokens (every tile width, spread over calls, and chunks of
// several calls), 16..80 rows and 32..2048 columns.
func packShapes() [][3]int {
	var s [][3]int
	for nTok := 1; nTok <= 20; nTok++ {
		s = append(s, [3]int{nTok, 16 * (1 + nTok%5), []int{32, 64, 160, 768}[nTok%4]})
	}
	return append(s, [3]int{1, 16, 4096}, [3]int{8, 32, 2048}, [3]int{3, 48, 2048}, [3]int{17, 16, 768}, [3]int{1, 256, 768})
}

// checkPackedRows runs rowsPacked on rows [lo, hi) and holds every element
// to dotQ4_0RPRef of the file bytes w bit for bit; the other elements must
// stay untouched.
func checkPackedRows(t *testing.T, name string, p *PackedQ, w, xq []byte, nTok, lo, hi int, rows func([]float32, *PackedQ, []byte, int, int, int)) {
	t.Helper()
	nb := p.cols / QK
	wb, xb := nb*Q4_0BlockBytes, nb*Q8_0BlockBytes
	const sentinel = float32(-12345.5)
	got := make([]float32, nTok*p.rows)
	for i := range got {
		got[i] = sentinel
	}
	rows(got, p, xq, nTok, lo, hi)
	for tk := range nTok {
		for j := range p.rows {
			want := sentinel
			if j >= lo && j < hi {
				want = dotQ4_0RPRef(w[j*wb:(j+1)*wb], xq[tk*xb:(tk+1)*xb])
			}
			if g := got[tk*p.rows+j]; !sameFloat(g, want) {
				t.Fatalf("%s: %d tokens × %d rows × %d cols, rows [%d,%d): token %d row %d: %v (%#x), want %v (%#x)",
					name, nTok, p.rows, p.cols, lo, hi, tk, j, g, math.Float32bits(g), want, math.Float32bits(want))
			}
		}
	}
}

// TestPackedRef: the packed layout's plain-Go product (every build) gives
// the repacked reference's bits for the file bytes, whole and cut groups,
// extreme values included.
func TestPackedRef(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	for _, s := range packShapes() {
		nTok, rows, cols := s[0], s[1], s[2]
		nb := cols / QK
		w := randBlocks(r, rows*nb, Q4_0BlockBytes, 8)
		xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
		p := packQ4(w, rows, cols)
		if p.Size() != len(w) || p.Rows() != rows || p.Cols() != cols {
			t.Fatalf("packQ4 of [%d, %d]: %d bytes, [%d, %d]; want %d bytes", rows, cols, p.Size(), p.Rows(), p.Cols(), len(w))
		}
		checkPackedRows(t, "ref", p, w, xq, nTok, 0, rows, rowsPackedRef)
		checkPackedRows(t, "ref", p, w, xq, nTok, 5, rows-3, rowsPackedRef)
		we, xe := q4Extremes(r, rows, nTok, nb)
		checkPackedRows(t, "ref extremes", packQ4(we, rows, cols), we, xe, nTok, 0, rows, rowsPackedRef)
	}
}

// TestMatMulPacked: where PackQ packs (AVX-512 VNNI CPUs), MatMulPacked
// and rowsPacked (whole and cut groups) give MatMulQ's bits on the file
// bytes (rowsQ4RP) and dotQ4_0RPRef's for 1..20 tokens; where it does not,
// it says so.
func TestMatMulPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	for _, s := range packShapes() {
		nTok, rows, cols := s[0], s[1], s[2]
		nb := cols / QK
		w := randBlocks(r, rows*nb, Q4_0BlockBytes, 8)
		p, ok := PackQ(quant.Q4_0, w, rows, cols)
		if ok != canPackQ4() {
			t.Fatalf("PackQ of [%d, %d]: packed %v, want %v", rows, cols, ok, canPackQ4())
		}
		if !ok {
			if p != nil {
				t.Fatal("PackQ: not packed but a matrix")
			}
			continue
		}
		x := make([]float32, nTok*cols)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		got, want := make([]float32, nTok*rows), make([]float32, nTok*rows)
		MatMulPacked(got, p, x, nTok)
		MatMulQ(want, quant.Q4_0, w, x, nTok, rows, cols)
		for i := range got {
			if !sameFloat(got[i], want[i]) {
				t.Fatalf("MatMulPacked %d tokens × [%d, %d]: element %d = %v, MatMulQ %v", nTok, rows, cols, i, got[i], want[i])
			}
		}
		xq := randBlocks(r, nTok*nb, Q8_0BlockBytes, 127)
		name := fmt.Sprintf("packed %d", nTok)
		checkPackedRows(t, name, p, w, xq, nTok, 0, rows, rowsPacked)
		checkPackedRows(t, name, p, w, xq, nTok, 5, rows-3, rowsPacked)
		checkPackedRows(t, name, p, w, xq, nTok, 3, 9, rowsPacked)
		checkPackedRows(t, name, p, w, xq, nTok, 16, rows, rowsPacked)
		checkPackedRows(t, name, p, w, xq, nTok, 0, rows-1, rowsPacked)
		we, xe := q4Extremes(r, rows, nTok, nb)
		pe, _ := PackQ(quant.Q4_0, we, rows, cols)
		checkPackedRows(t, name+" extremes", pe, we, xe, nTok, 0, rows, rowsPacked)
	}
}

// TestPackQNot: PackQ packs nothing but whole 16-row groups of Q4_0 with
// the assembly on, and a matrix it did not pack is left to MatMulQ.
func TestPackQNot(t *testing.T) {
	defer func(v bool) { useAsm = v }(useAsm)
	r := rand.New(rand.NewPCG(65, 66))
	w := randBlocks(r, 24*2, Q4_0BlockBytes, 8)
	for _, c := range []struct {
		name       string
		t          quant.Type
		w          []byte
		rows, cols int
	}{
		{"Q8_0", quant.Q8_0, w, 16, 64},
		{"24 rows", quant.Q4_0, w, 24, 64},
		{"short", quant.Q4_0, w[:16*2*Q4_0BlockBytes-1], 16, 64},
		{"cols", quant.Q4_0, w, 16, 60},
		{"empty", quant.Q4_0, nil, 0, 64},
	} {
		if p, ok := PackQ(c.t, c.w, c.rows, c.cols); ok || p != nil {
			t.Errorf("PackQ %s: packed", c.name)
		}
	}
	useAsm = false
	if p, ok := PackQ(quant.Q4_0, w[:16*2*Q4_0BlockBytes], 16, 64); ok || p != nil {
		t.Error("PackQ without the assembly: packed")
	}
}

// TestMatMulManyPacked: MatMulMany with packed operands gives the bits of
// the same products on the file bytes, with whole groups (split on
// groups) and with a matrix of rows%16 != 0 beside them.
func TestMatMulManyPacked(t *testing.T) {
	if !canPackQ4() {
		t.Skip("PackQ packs nothing on this CPU or build")
	}
	r := rand.New(rand.NewPCG(67, 68))
	cols := 256
	nb := cols / QK
	for _, rowsList := range [][]int{{64, 32, 32}, {48, 40, 16}, {256, 256}} {
		for _, nTok := range []int{1, 3, 8, 13} {
			x := make([]float32, nTok*cols)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			var plain, packed []MatMulOp
			for _, rows := range rowsList {
				w := randBlocks(r, rows*nb, Q4_0BlockBytes, 8)
				p, _ := PackQ(quant.Q4_0, w, rows, cols)
				plain = append(plain, MatMulOp{Out: make([]float32, nTok*rows), Type: quant.Q4_0, Data: w, Rows: rows})
				packed = append(packed, MatMulOp{Out: make([]float32, nTok*rows), Type: quant.Q4_0, Data: w, Packed: p, Rows: rows})
			}
			MatMulMany(plain, x, nTok, cols)
			MatMulMany(packed, x, nTok, cols)
			for i := range plain {
				for j := range plain[i].Out {
					if !sameFloat(plain[i].Out[j], packed[i].Out[j]) {
						t.Fatalf("rows %v, %d tokens: op %d element %d: packed %v, file bytes %v", rowsList, nTok, i, j, packed[i].Out[j], plain[i].Out[j])
					}
				}
			}
		}
	}
}
