package kernels

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/llmpipe/llmpipe/quant"
)

// q8kBlockInput fills x (256 values) with one of several kinds of block:
// normal values of a random magnitude, with NaN (several payloads), ±Inf,
// ±0, subnormals, exact rounding ties, a repeated or sign-flipped maximum,
// all zeros, all NaN, or a subnormal maximum (iscale overflows to ∞).
func q8kBlockInput(r *rand.Rand, x []float32, kind int) {
	scale := math.Pow(10, r.Float64()*12-6)
	for j := range x {
		x[j] = float32(r.NormFloat64() * scale)
	}
	nan := func() float32 {
		return math.Float32frombits(0x7f800000 | uint32(r.IntN(1<<23-1)+1) | uint32(r.IntN(2))<<31)
	}
	switch kind {
	case 0: // plain
	case 1: // sprinkled specials
		for k := 0; k < 12; k++ {
			j := r.IntN(len(x))
			switch r.IntN(6) {
			case 0:
				x[j] = nan()
			case 1:
				x[j] = float32(math.Inf(1 - 2*r.IntN(2)))
			case 2:
				x[j] = float32(math.Copysign(0, float64(1-2*r.IntN(2))))
			case 3:
				x[j] = math.Float32frombits(uint32(r.IntN(1<<23)) | uint32(r.IntN(2))<<31)
			case 4:
				x[j] = float32(math.NaN())
			default:
				x[j] = -x[j]
			}
		}
	case 2: // ties: max 127 so iscale = -1, values k + 0.5
		for j := range x {
			x[j] = float32(r.IntN(254)-127) + 0.5
		}
		x[r.IntN(len(x))] = 127
	case 3: // the maximum magnitude several times, both signs
		m := float32(r.NormFloat64())
		for k := 0; k < 4; k++ {
			x[r.IntN(len(x))] = m
			x[r.IntN(len(x))] = -m
		}
	case 4:
		clear(x)
	case 5:
		for j := range x {
			x[j] = nan()
		}
	case 6: // subnormal maximum
		for j := range x {
			x[j] = math.Float32frombits(uint32(r.IntN(4)) | uint32(r.IntN(2))<<31)
		}
	case 7: // NaN and zeros only, or NaN with one value
		for j := range x {
			x[j] = 0
			if r.IntN(2) == 0 {
				x[j] = nan()
			}
		}
		if r.IntN(2) == 0 {
			x[r.IntN(len(x))] = float32(r.NormFloat64())
		}
	case 8: // large values near float32's range
		for j := range x {
			x[j] = float32(r.NormFloat64() * 1e37)
		}
	}
}

// TestQuantizeQ8KFast holds the registered Q8_K quantizer (the assembly
// where it runs) to quant's reference, byte for byte, on rows of 0..6
// blocks of every input kind, and checks the fallback with useAsm off.
func TestQuantizeQ8KFast(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 8))
	for _, asm := range []bool{true, false} {
		old := useAsm
		useAsm = asm && old
		for iter := 0; iter < 300; iter++ {
			nb := iter % 7
			x := make([]float32, nb*qkK)
			for i := 0; i < nb; i++ {
				q8kBlockInput(r, x[i*qkK:(i+1)*qkK], r.IntN(9))
			}
			got := make([]byte, nb*q8KBlockBytes+3)
			want := make([]byte, nb*q8KBlockBytes+3)
			for i := range got {
				got[i], want[i] = 0xa5, 0xa5
			}
			if _, err := quant.Quantize(quant.Q8_K, x, got); err != nil {
				t.Fatal(err)
			}
			if _, err := quant.QuantizeRef(quant.Q8_K, x, want); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("asm=%v iter %d: %d blocks, first difference at byte %d (block %d offset %d): %#x, want %#x",
							useAsm, iter, nb, i, i/q8KBlockBytes, i%q8KBlockBytes, got[i], want[i])
					}
				}
			}
			conv := make([]byte, nb*q8KBlockBytes)
			ConvertRow(quant.Q8_K, conv, x)
			if !bytes.Equal(conv, want[:len(conv)]) {
				t.Fatalf("asm=%v iter %d: ConvertRow differs from the reference", useAsm, iter)
			}
		}
		useAsm = old
	}
}
