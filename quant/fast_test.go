package quant

import (
	"bytes"
	"testing"
)

// TestRegisterFastQuantizer checks the hook: a registered row quantizer
// replaces the reference in Quantize (whole rows, dst cut to the row
// size), QuantizeRef ignores it, nil restores the reference, and types
// without a reference quantizer are refused.
func TestRegisterFastQuantizer(t *testing.T) {
	old := fastQuantizers[Q8_0].Load()
	defer fastQuantizers[Q8_0].Store(old)
	x := make([]float32, 64)
	for i := range x {
		x[i] = float32(i) - 20.5
	}
	want := make([]byte, 68)
	if _, err := QuantizeRef(Q8_0, x, want); err != nil {
		t.Fatal(err)
	}
	var calls, gotN, gotLen int
	if err := RegisterFastQuantizer(Q8_0, func(src []float32, dst []byte) {
		calls++
		gotN, gotLen = len(src), len(dst)
		QuantizeRef(Q8_0, src, dst)
	}); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 70)
	n, err := Quantize(Q8_0, x, got)
	if err != nil || n != 68 || calls != 1 || gotN != 64 || gotLen != 68 || !bytes.Equal(got[:68], want) {
		t.Fatalf("Quantize with a fast path: n %d err %v, %d calls with %d values into %d bytes", n, err, calls, gotN, gotLen)
	}
	if _, err := QuantizeRef(Q8_0, x, got); err != nil || calls != 1 {
		t.Fatalf("QuantizeRef called the fast path (%d calls, err %v)", calls, err)
	}
	if _, err := Quantize(Q8_0, x[:63], got); err == nil || calls != 1 {
		t.Fatalf("a partial block reached the fast path (%d calls, err %v)", calls, err)
	}
	if err := RegisterFastQuantizer(Q8_0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Quantize(Q8_0, x, got); err != nil || calls != 1 || !bytes.Equal(got[:68], want) {
		t.Fatalf("nil did not restore the reference (%d calls, err %v)", calls, err)
	}
	for _, typ := range []Type{Type(5), Type(200)} {
		if err := RegisterFastQuantizer(typ, func([]float32, []byte) {}); err == nil {
			t.Errorf("RegisterFastQuantizer(%v) accepted a type without a reference quantizer", typ)
		}
	}
}
