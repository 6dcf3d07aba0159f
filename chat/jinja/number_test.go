package jinja

import "testing"

// TestNumberFormatting pins JavaScript's Number#toString and Python's
// repr(float) on the boundaries where they switch notation (values as
// node 20 and CPython 3.11 print them).
func TestNumberFormatting(t *testing.T) {
	js := []struct {
		f    float64
		want string
	}{
		{0, "0"}, {1, "1"}, {-2.5, "-2.5"}, {123.456, "123.456"}, {1e20, "100000000000000000000"},
		{1e21, "1e+21"}, {1.5e-7, "1.5e-7"}, {1e-7, "1e-7"}, {1e-6, "0.000001"}, {0.30000000000000004, "0.30000000000000004"},
	}
	for _, tc := range js {
		if got := jsNumber(tc.f); got != tc.want {
			t.Errorf("jsNumber(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
	py := []struct {
		f    float64
		want string
	}{
		{0, "0.0"}, {3, "3.0"}, {-2.5, "-2.5"}, {1e15, "1000000000000000.0"}, {1e16, "1e+16"},
		{1e-4, "0.0001"}, {1e-5, "1e-05"}, {1.5e-10, "1.5e-10"}, {1e100, "1e+100"}, {0.30000000000000004, "0.30000000000000004"},
	}
	for _, tc := range py {
		if got := PyFloat(tc.f, false); got != tc.want {
			t.Errorf("PyFloat(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}
