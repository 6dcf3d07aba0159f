package tensor

import (
	"math"
	"testing"
)

func TestF16Known(t *testing.T) {
	cases := []struct {
		h uint16
		f float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x3555, 0.333251953125},
		{0x7bff, 65504}, {0x0001, 5.960464477539063e-08}, {0x0400, 6.103515625e-05},
		{0x7c00, float32(math.Inf(1))}, {0xfc00, float32(math.Inf(-1))},
	}
	for _, c := range cases {
		if got := F16ToF32(c.h); got != c.f {
			t.Errorf("F16ToF32(%#04x) = %v, want %v", c.h, got, c.f)
		}
		if got := F32ToF16(c.f); got != c.h {
			t.Errorf("F32ToF16(%v) = %#04x, want %#04x", c.f, got, c.h)
		}
	}
	if v := F16ToF32(0x7e00); !math.IsNaN(float64(v)) {
		t.Errorf("NaN decodes to %v", v)
	}
	if h := F32ToF16(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("NaN encodes to %#04x", h)
	}
	// Ties go to even: 1 + 2^-11 is halfway between 1 and 1+2^-10.
	if h := F32ToF16(1 + 1.0/2048); h != 0x3c00 {
		t.Errorf("tie rounds to %#04x, want 0x3c00", h)
	}
	if h := F32ToF16(70000); h != 0x7c00 {
		t.Errorf("overflow gives %#04x", h)
	}
}

// Every finite half round-trips through float32.
func TestF16RoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := F16ToF32(uint16(h))
		if math.IsNaN(float64(f)) {
			continue
		}
		if got := F32ToF16(f); got != uint16(h) {
			t.Fatalf("%#04x -> %v -> %#04x", h, f, got)
		}
	}
}

func TestByteDecoders(t *testing.T) {
	b := []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0} // float32 1, -2
	got := make([]float32, 2)
	F32BytesToF32(got, b)
	if got[0] != 1 || got[1] != -2 {
		t.Errorf("F32BytesToF32 = %v", got)
	}
	if v, ok := F32View(b); ok && (v[0] != 1 || v[1] != -2) {
		t.Errorf("F32View = %v", v)
	}
	F16BytesToF32(got, []byte{0x00, 0x3c, 0x00, 0xc0}) // half 1, -2
	if got[0] != 1 || got[1] != -2 {
		t.Errorf("F16BytesToF32 = %v", got)
	}
	BF16BytesToF32(got, []byte{0x80, 0x3f, 0x00, 0xc0}) // bf16 1, -2
	if got[0] != 1 || got[1] != -2 {
		t.Errorf("BF16BytesToF32 = %v", got)
	}
	F16BytesToF32(nil, nil)
}
