package gguf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTensorFile writes a GGUF file with two F32 tensors whose bytes count up
// from 0 and returns its path and the data section.
func writeTensorFile(t *testing.T) (string, []byte) {
	t.Helper()
	f := &File{Tensors: []TensorInfo{
		{Name: "a", Dims: []uint64{3}, Type: TypeF32},
		{Name: "b", Dims: []uint64{2, 2}, Type: TypeF32},
	}}
	n, err := f.LayoutTensors()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i)
	}
	buf.Write(data)
	p := filepath.Join(t.TempDir(), "t.gguf")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func TestTensorBytes(t *testing.T) {
	p, data := writeTensorFile(t)
	for _, open := range []struct {
		name string
		fn   func(string) (*File, error)
	}{{"Open", Open}, {"OpenMapped", OpenMapped}} {
		t.Run(open.name, func(t *testing.T) {
			f, err := open.fn(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for _, ti := range f.Tensors {
				got, err := f.TensorBytes(ti.Name)
				if err != nil {
					t.Fatal(err)
				}
				n, _ := ti.Size()
				if want := data[ti.Offset : ti.Offset+n]; !bytes.Equal(got, want) {
					t.Errorf("%s: got %v, want %v", ti.Name, got, want)
				}
			}
			if _, err := f.TensorBytes("missing"); err == nil || !strings.Contains(err.Error(), `"missing"`) {
				t.Errorf("missing tensor: err = %v", err)
			}
			// A tensor index changed after Read (offset or dims past the end)
			// is caught again, naming the tensor.
			f.Tensors[1].Offset = 1 << 40
			f.Tensors[0].Dims = []uint64{1 << 30}
			for _, name := range []string{"a", "b"} {
				if _, err := f.TensorBytes(name); err == nil || !strings.Contains(err.Error(), `"`+name+`"`) {
					t.Errorf("hostile %s: err = %v", name, err)
				}
			}
		})
	}
}

// TestHostileTensorOffset: a file whose tensor index points past the end is
// rejected by Read with the tensor's name.
func TestHostileTensorOffset(t *testing.T) {
	f := &File{Tensors: []TensorInfo{{Name: "blk.0.attn_q.weight", Dims: []uint64{4}, Type: TypeF32, Offset: 1 << 20}}}
	var buf bytes.Buffer
	if _, err := Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	buf.Write(make([]byte, 16))
	_, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err == nil || !strings.Contains(err.Error(), "blk.0.attn_q.weight") {
		t.Fatalf("err = %v, want one naming the tensor", err)
	}
}

// TestRelease: releasing a mapped tensor's pages leaves its bytes readable
// (they re-fault from the file); bytes outside the mapping (a heap copy,
// or any tensor of a file read with Open) are left alone, where a
// MADV_DONTNEED would have turned their whole pages into zeros.
func TestRelease(t *testing.T) {
	const n = 5 * 4096 // float32s: several pages whatever the page size up to 16 KiB
	f := &File{Tensors: []TensorInfo{{Name: "w", Dims: []uint64{n}, Type: TypeF32}}}
	size, err := f.LayoutTensors()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7+i>>9) | 1 // no zero byte: zeroed pages show
	}
	buf.Write(data)
	p := filepath.Join(t.TempDir(), "big.gguf")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, open := range []struct {
		name string
		fn   func(string) (*File, error)
	}{{"Open", Open}, {"OpenMapped", OpenMapped}} {
		t.Run(open.name, func(t *testing.T) {
			g, err := open.fn(p)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			b, err := g.TensorBytes("w")
			if err != nil {
				t.Fatal(err)
			}
			heap := bytes.Clone(b)
			for _, r := range [][]byte{b, b[100 : len(b)-100], heap, nil} {
				if err := g.Release(r); err != nil {
					t.Fatalf("Release: %v", err)
				}
			}
			if want := data[:4*n]; !bytes.Equal(b, want) || !bytes.Equal(heap, want) {
				t.Fatal("after Release the tensor (or its heap copy) reads other bytes")
			}
		})
	}
}
