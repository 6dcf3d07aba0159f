package quant

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func floats(b []byte) []float32 {
	f := make([]float32, len(b)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f
}

func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b)
}

var byName = func() map[string]Type {
	m := map[string]Type{}
	for _, t := range Types() {
		m[t.String()] = t
	}
	return m
}()

// TestGGMLDequantize holds every dequantizer to ggml's own dequantize_row_*
// (testdata/ggml/dequant_*.bin, made by testdata/ggml/gen.c linked with
// ggml-quants.c): random blocks, bit for bit, NaN payloads included.
func TestGGMLDequantize(t *testing.T) {
	names, _ := filepath.Glob("testdata/ggml/dequant_*.bin")
	if len(names) != 11 {
		t.Fatalf("found %d dequant fixtures, want 11", len(names))
	}
	for _, path := range names {
		name := filepath.Base(path)
		typ := byName[name[len("dequant_"):len(name)-len(".bin")]]
		t.Run(typ.String(), func(t *testing.T) {
			b := readFixture(t, "ggml/"+name)
			bs, ts := typ.BlockSize(), typ.TypeSize()
			nb := len(b) / (ts + 4*bs)
			if nb*(ts+4*bs) != len(b) || nb == 0 {
				t.Fatalf("fixture size %d", len(b))
			}
			raw, want := b[:nb*ts], floats(b[nb*ts:])
			got := make([]float32, nb*bs)
			if err := Dequantize(typ, raw, got); err != nil {
				t.Fatal(err)
			}
			bad := 0
			for i := range got {
				if !sameBits(got[i], want[i]) {
					if bad < 5 {
						t.Errorf("element %d (block %d): got %v (%#08x), ggml %v (%#08x)", i, i/bs,
							got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d elements differ", bad, len(got))
			}
		})
	}
}

// TestGGMLQuantize holds every reference quantizer we have to ggml's
// quantize_row_*_ref on the inputs in testdata/ggml/quant_*.bin: bytes identical.
func TestGGMLQuantize(t *testing.T) {
	names, _ := filepath.Glob("testdata/ggml/quant_*.bin")
	if len(names) != 12 {
		t.Fatalf("found %d quant fixtures, want 12", len(names))
	}
	for _, path := range names {
		name := filepath.Base(path)
		typ := byName[name[len("quant_"):len(name)-len(".bin")]]
		t.Run(typ.String(), func(t *testing.T) {
			if !CanQuantize(typ) {
				t.Skipf("no reference quantizer for %v yet", typ)
			}
			b := readFixture(t, "ggml/"+name)
			bs, ts := typ.BlockSize(), typ.TypeSize()
			nb := len(b) / (ts + 4*bs)
			if nb*(ts+4*bs) != len(b) || nb == 0 {
				t.Fatalf("fixture size %d", len(b))
			}
			x, want := floats(b[:nb*bs*4]), b[nb*bs*4:]
			got := make([]byte, nb*ts)
			n, err := Quantize(typ, x, got)
			if err != nil || n != len(got) {
				t.Fatalf("Quantize: %d, %v", n, err)
			}
			for i := 0; i < nb; i++ {
				if g, w := got[i*ts:(i+1)*ts], want[i*ts:(i+1)*ts]; !bytes.Equal(g, w) {
					t.Errorf("block %d differs:\n got  %x\n ggml %x", i, g, w)
				}
			}
		})
	}
}

// TestGGMLHalf compares the conversions with ggml-impl.h's on special values,
// rounding ties and random bits (testdata/ggml/fp32_to_*.bin), and FP16ToFP32
// on all 65536 halves against the sha256 of ggml's table (see PROVENANCE.md).
func TestGGMLHalf(t *testing.T) {
	for _, c := range []struct {
		file string
		conv func(float32) uint16
	}{{"fp32_to_fp16.bin", FP32ToFP16}, {"fp32_to_bf16.bin", FP32ToBF16}} {
		b := readFixture(t, "ggml/"+c.file)
		n := len(b) / 6
		bad := 0
		for i := 0; i < n; i++ {
			in := binary.LittleEndian.Uint32(b[4*i:])
			want := binary.LittleEndian.Uint16(b[4*n+2*i:])
			if got := c.conv(math.Float32frombits(in)); got != want {
				if bad < 5 {
					t.Errorf("%s: %#08x -> %#04x, ggml %#04x", c.file, in, got, want)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d differ", c.file, bad, n)
		}
	}
	h := sha256.New()
	var buf [4]byte
	for i := 0; i < 65536; i++ {
		binary.LittleEndian.PutUint32(buf[:], math.Float32bits(FP16ToFP32(uint16(i))))
		h.Write(buf[:])
	}
	const want = "b636c5716ff84d972782faf02d0194cb8951526bea4cc487082feb47b1860ddf"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("sha256 of FP16ToFP32 over all halves = %s, ggml's %s", got, want)
	}
}

// TestNumpyQ4_0Q8_0 compares with the numpy quantizers of
// ../shared/peers/make_bench_model.py (testdata/numpy_q4_0_q8_0.bin).
func TestNumpyQ4_0Q8_0(t *testing.T) {
	b := readFixture(t, "numpy_q4_0_q8_0.bin")
	nb := int(binary.LittleEndian.Uint32(b))
	if len(b) != 4+nb*(128+18+34) {
		t.Fatalf("fixture size %d for %d blocks", len(b), nb)
	}
	x := floats(b[4 : 4+nb*128])
	off := 4 + nb*128
	for _, c := range []struct {
		typ  Type
		want []byte
	}{{Q4_0, b[off : off+nb*18]}, {Q8_0, b[off+nb*18:]}} {
		got := make([]byte, nb*c.typ.TypeSize())
		if _, err := Quantize(c.typ, x, got); err != nil {
			t.Fatal(err)
		}
		ts := c.typ.TypeSize()
		for i := 0; i < nb; i++ {
			if g, w := got[i*ts:(i+1)*ts], c.want[i*ts:(i+1)*ts]; !bytes.Equal(g, w) {
				t.Errorf("%v block %d:\n got   %x\n numpy %x", c.typ, i, g, w)
			}
		}
	}
}

func ExampleQuantize() {
	x := make([]float32, 32)
	for i := range x {
		x[i] = float32(i) - 16
	}
	b := make([]byte, 34)
	n, _ := Quantize(Q8_0, x, b)
	y := make([]float32, 32)
	_ = Dequantize(Q8_0, b, y)
	fmt.Println(n, y[0], y[31])
	// Output: 34 -15.999023 14.991211
}
