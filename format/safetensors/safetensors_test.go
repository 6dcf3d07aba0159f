package safetensors

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sample() []WriteTensor {
	return []WriteTensor{
		{Name: "b", DType: F16, Shape: []uint64{3}, Data: []byte{1, 2, 3, 4, 5, 6}},
		{Name: "a", DType: F32, Shape: []uint64{2, 1}, Data: []byte{1, 0, 0, 0, 2, 0, 0, 0}},
		{Name: "s", DType: I64, Shape: []uint64{}, Data: make([]byte, 8)},
		{Name: "empty", DType: BF16, Shape: []uint64{0, 4}, Data: nil},
	}
}

func writeBytes(t *testing.T, ts []WriteTensor, meta map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := Write(&buf, ts, meta)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("Write returned %d, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

func TestWriteRead(t *testing.T) {
	b := writeBytes(t, sample(), map[string]string{"format": "pt"})
	hl := binary.LittleEndian.Uint64(b)
	if hl%8 != 0 {
		t.Errorf("header length %d not a multiple of 8", hl)
	}
	// The reference writer's layout: metadata first, tensors by dtype size
	// (largest first), then name; spaces pad the header.
	hdr := string(b[8 : 8+hl])
	want := `{"__metadata__":{"format":"pt"},"s":{"dtype":"I64","shape":[],"data_offsets":[0,8]},` +
		`"a":{"dtype":"F32","shape":[2,1],"data_offsets":[8,16]},"empty":{"dtype":"BF16","shape":[0,4],"data_offsets":[16,16]},` +
		`"b":{"dtype":"F16","shape":[3],"data_offsets":[16,22]}}`
	if strings.TrimRight(hdr, " ") != want {
		t.Errorf("header\n%s\nwant\n%s", hdr, want)
	}
	f, err := Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["format"] != "pt" || len(f.Tensors) != 4 || f.DataOffset != int64(8+hl) {
		t.Fatalf("file %+v", f)
	}
	for _, w := range sample() {
		ti, ok := f.Tensor(w.Name)
		if !ok || ti.DType != w.DType || len(ti.Shape) != len(w.Shape) || ti.NumElements()*uint64(w.DType.Size()) != uint64(len(w.Data)) {
			t.Errorf("tensor %q: %+v", w.Name, ti)
		}
		got, err := f.TensorBytes(w.Name)
		if err != nil || !bytes.Equal(got, w.Data) {
			t.Errorf("tensor %q: bytes %v, %v; want %v", w.Name, got, err, w.Data)
		}
	}
	if _, err := f.TensorBytes("nope"); err == nil {
		t.Error("missing tensor gave no error")
	}
}

// TestWriteReferenceBytes: Write's output equals the bytes the reference
// crate's serialize produces in its own tests (safetensors/src/tensor.rs:
// test_serialization, test_serialization_forced_alignement, test_empty).
func TestWriteReferenceBytes(t *testing.T) {
	f32 := []byte{0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64}
	le := func(n int) string { var b [8]byte; binary.LittleEndian.PutUint64(b[:], uint64(n)); return string(b[:]) }
	for _, tc := range []struct {
		ts   []WriteTensor
		meta map[string]string
		want string
	}{
		{[]WriteTensor{{Name: "attn.0", DType: F32, Shape: []uint64{1, 2, 3}, Data: f32}}, nil,
			le(64) + `{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}` + string(f32)},
		{[]WriteTensor{{Name: "attn0", DType: F32, Shape: []uint64{1, 1, 2, 3}, Data: f32}}, nil,
			le(72) + `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ` + string(f32)},
		{nil, nil, le(8) + `{}      `},
		{nil, map[string]string{"framework": "pt"}, le(40) + `{"__metadata__":{"framework":"pt"}}     `},
	} {
		var buf bytes.Buffer
		if _, err := Write(&buf, tc.ts, tc.meta); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tc.want {
			t.Errorf("wrote %q\nwant  %q", buf.String(), tc.want)
		}
		if _, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
			t.Error(err)
		}
	}
	// The reference's order: larger dtypes first, BF16 before F16, then names.
	got := writeBytes(t, []WriteTensor{{Name: "a", DType: F16, Shape: []uint64{}, Data: make([]byte, 2)},
		{Name: "b", DType: BF16, Shape: []uint64{}, Data: make([]byte, 2)}, {Name: "c", DType: I64, Shape: []uint64{}, Data: make([]byte, 8)}}, nil)
	if i, j, k := bytes.Index(got, []byte(`"c"`)), bytes.Index(got, []byte(`"b"`)), bytes.Index(got, []byte(`"a"`)); !(i < j && j < k) {
		t.Errorf("order in %s", got)
	}
}

func TestOpenMappedAndShards(t *testing.T) {
	dir := t.TempDir()
	ts := sample()
	for i, part := range [][]WriteTensor{ts[:2], ts[2:]} {
		name := filepath.Join(dir, []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}[i])
		if err := os.WriteFile(name, writeBytes(t, part, nil), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	index := `{"metadata":{"total_size":22},"weight_map":{"b":"model-00001-of-00002.safetensors","a":"model-00001-of-00002.safetensors",` +
		`"s":"model-00002-of-00002.safetensors","empty":"model-00002-of-00002.safetensors"}}`
	if err := os.WriteFile(filepath.Join(dir, IndexFile), []byte(index), 0o644); err != nil {
		t.Fatal(err)
	}
	ck, err := OpenCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	if len(ck.Files) != 2 || !ck.Files[0].Mapped() {
		t.Errorf("%d files, mapped %v", len(ck.Files), ck.Files[0].Mapped())
	}
	for _, w := range ts {
		got, err := ck.TensorBytes(w.Name)
		if err != nil || !bytes.Equal(got, w.Data) {
			t.Errorf("tensor %q: %v %v", w.Name, got, err)
		}
	}
	// A weight_map entry that points at the wrong shard, or outside the directory.
	for _, bad := range []string{
		strings.Replace(index, `"s":"model-00002`, `"s":"model-00001`, 1),
		strings.Replace(index, `"s":"model-00002-of-00002.safetensors"`, `"s":"../x.safetensors"`, 1),
		`{"weight_map":{}}`, `[`,
	} {
		p := filepath.Join(dir, "bad.index.json")
		os.WriteFile(p, []byte(bad), 0o644)
		if ck, err := OpenCheckpoint(p); err == nil {
			ck.Close()
			t.Errorf("index %s accepted", bad)
		}
	}
	// A single file, by path and through its directory.
	one := t.TempDir()
	os.WriteFile(filepath.Join(one, SingleFile), writeBytes(t, ts, nil), 0o644)
	for _, p := range []string{one, filepath.Join(one, SingleFile)} {
		ck, err := OpenCheckpoint(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := ck.Tensor("a"); !ok {
			t.Error("tensor a missing")
		}
		ck.Close()
	}
	if _, err := OpenCheckpoint(filepath.Join(one, "missing")); err == nil {
		t.Error("missing path accepted")
	}
}

// TestHostile: every truncation and a set of corrupted headers are errors
// (never panics), and errors name the tensor.
func TestHostile(t *testing.T) {
	good := writeBytes(t, sample(), nil)
	for n := 0; n < len(good); n++ {
		if _, err := Read(bytes.NewReader(good[:n]), int64(n)); err == nil {
			t.Errorf("truncated to %d bytes: accepted", n)
		}
	}
	huge := make([]byte, 16)
	binary.LittleEndian.PutUint64(huge, 1<<62)
	if _, err := Read(bytes.NewReader(huge), 16); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("huge header length: %v", err)
	}
	cases := map[string]string{
		`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`:                     `"x"`,
		`{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`:                     `"x"`,
		`{"x":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}`:                      `"Q4"`,
		`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999]}}`:           `"x"`,
		`{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`: `overflows`,
		`{"x":{"dtype":"F32","shape":[2]}}`:                                          `"x"`,
		`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0]}}`:                       `"x"`,
		`{"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`:                    `"x"`,
		`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`:                     `cover`,
		`{"__metadata__":{"a":1}}`:                                                   `__metadata__`,
		`["x"]`:                                                                      `JSON object`,
		`{"x":1}`:                                                                    `"x"`,
	}
	for hdr, want := range cases {
		_, _, err := ParseHeader([]byte(hdr), 8)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("header %s: error %v, want one containing %s", hdr, err, want)
		}
	}
	// Overlapping tensors.
	_, _, err := ParseHeader([]byte(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`), 8)
	if err == nil || !strings.Contains(err.Error(), `"y"`) {
		t.Errorf("overlap: %v", err)
	}
}

func TestWriteErrors(t *testing.T) {
	for _, ts := range [][]WriteTensor{
		{{Name: "x", DType: F32, Shape: []uint64{2}, Data: make([]byte, 4)}},
		{{Name: "x", DType: "Q4", Shape: []uint64{1}, Data: make([]byte, 4)}},
		{{Name: "x", DType: F32, Shape: []uint64{1}, Data: make([]byte, 4)}, {Name: "x", DType: F32, Shape: []uint64{1}, Data: make([]byte, 4)}},
		{{Name: MetadataKey, DType: F32, Shape: []uint64{1}, Data: make([]byte, 4)}},
	} {
		if _, err := Write(&bytes.Buffer{}, ts, nil); err == nil {
			t.Errorf("%v accepted", ts)
		}
	}
}

// FuzzParseHeader: any header either fails or gives tensors that tile the
// data section exactly, each sized by its shape and dtype.
func FuzzParseHeader(f *testing.F) {
	f.Add([]byte(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`), uint64(8))
	f.Fuzz(func(t *testing.T, hdr []byte, size uint64) {
		ts, _, err := ParseHeader(hdr, size)
		if err != nil {
			return
		}
		var at uint64
		for _, ti := range ts {
			if ti.Begin != at || ti.End < ti.Begin || ti.End > size {
				t.Fatalf("tensor %+v does not follow offset %d", ti, at)
			}
			if sz := ti.DType.Size(); sz > 0 && ti.NumElements()*uint64(sz) != ti.End-ti.Begin {
				t.Fatalf("tensor %+v: size mismatch", ti)
			}
			at = ti.End
		}
		if at != size {
			t.Fatalf("tensors end at %d, size %d", at, size)
		}
	})
}
