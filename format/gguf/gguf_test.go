package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
)

// sample is a File with every value type, nested arrays and two tensors.
func sample(t testing.TB) *File {
	t.Helper()
	f := &File{
		KV: []KV{
			{"general.architecture", MustValue("llama")},
			{"general.alignment", MustValue(uint32(64))},
			{"u8", MustValue(uint8(200))},
			{"i8", MustValue(int8(-5))},
			{"u16", MustValue(uint16(65535))},
			{"i16", MustValue(int16(-300))},
			{"u32", MustValue(uint32(1 << 31))},
			{"i32", MustValue(int32(-7))},
			{"f32", MustValue(float32(1.5))},
			{"bool", MustValue(true)},
			{"u64", MustValue(uint64(1 << 40))},
			{"i64", MustValue(int64(-1 << 40))},
			{"f64", MustValue(float64(-2.25))},
			{"empty.string", MustValue("")},
			{"tokens", MustValue([]string{"<unk>", "▁hello", ""})},
			{"scores", MustValue([]float32{0, -1.5, 2})},
			{"types", MustValue([]int32{2, 1, 3})},
			{"a.u8", MustValue([]uint8{1, 2, 3})},
			{"a.i8", MustValue([]int8{-1})},
			{"a.u16", MustValue([]uint16{7})},
			{"a.i16", MustValue([]int16{-7})},
			{"a.u32", MustValue([]uint32{9})},
			{"a.bool", MustValue([]bool{true, false})},
			{"a.u64", MustValue([]uint64{1 << 63})},
			{"a.i64", MustValue([]int64{-1})},
			{"a.f64", MustValue([]float64{3.5})},
			{"a.empty", MustValue([]string{})},
			{"a.nested", MustValue([]Value{MustValue([]int32{1, 2}), MustValue([]Value{MustValue([]string{"x"})})})},
		},
		Tensors: []TensorInfo{
			{Name: "tok_embd.weight", Dims: []uint64{64, 3}, Type: TypeF32},
			{Name: "blk.0.ffn.weight", Dims: []uint64{64, 2}, Type: TypeQ8_0},
		},
	}
	if _, err := f.LayoutTensors(); err != nil {
		t.Fatal(err)
	}
	return f
}

// encode writes f and appends zeroed tensor data.
func encode(t testing.TB, f *File) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := Write(&buf, f)
	if err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != n {
		t.Fatalf("Write reported %d bytes, wrote %d", n, buf.Len())
	}
	data, err := f.LayoutTensors()
	if err != nil {
		t.Fatal(err)
	}
	buf.Write(make([]byte, data))
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	want := sample(t)
	b := encode(t, want)
	got, err := Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 3 || got.Alignment != 64 || got.DataOffset%64 != 0 {
		t.Errorf("version %d alignment %d data offset %d", got.Version, got.Alignment, got.DataOffset)
	}
	if !reflect.DeepEqual(got.KV, want.KV) {
		for i := range want.KV {
			if i >= len(got.KV) || !reflect.DeepEqual(got.KV[i], want.KV[i]) {
				t.Errorf("KV[%d]: got %#v, want %#v", i, got.KV[i], want.KV[i])
			}
		}
	}
	if !reflect.DeepEqual(got.Tensors, want.Tensors) {
		t.Errorf("tensors: got %+v, want %+v", got.Tensors, want.Tensors)
	}
	if s, ok := got.String("general.architecture"); !ok || s != "llama" {
		t.Errorf("String(general.architecture) = %q, %v", s, ok)
	}
	if n, ok := got.Uint("u32"); !ok || n != 1<<31 {
		t.Errorf("Uint(u32) = %d, %v", n, ok)
	}
	if _, ok := got.Uint("i32"); ok {
		t.Errorf("Uint(i32 = -7) should fail")
	}
	if a, ok := got.Strings("tokens"); !ok || len(a) != 3 || a[1] != "▁hello" {
		t.Errorf("Strings(tokens) = %q, %v", a, ok)
	}
	if a, ok := got.Float32s("scores"); !ok || a[1] != -1.5 {
		t.Errorf("Float32s(scores) = %v, %v", a, ok)
	}
	if a, ok := got.Int32s("types"); !ok || a[2] != 3 {
		t.Errorf("Int32s(types) = %v, %v", a, ok)
	}
	if v, ok := got.Value("a.nested"); !ok || v.Type != TypeArray || v.Elem != TypeArray || v.Len() != 2 {
		t.Errorf("Value(a.nested) = %v, %v", v, ok)
	}
	// Rewriting what we read gives the same bytes.
	if b2 := encode(t, got); !bytes.Equal(b, b2) {
		t.Errorf("Write(Read(Write(x))) differs from Write(x)")
	}
	// Tensor data is where the index says.
	sr, err := got.TensorData(1)
	if err != nil {
		t.Fatal(err)
	}
	if sr.Size() != 2*2*34 {
		t.Errorf("Q8_0 [64,2] tensor size %d, want %d", sr.Size(), 2*2*34)
	}
}

// header builds the first bytes of a file by hand.
func header(version uint32, nTensors, nKV uint64) *bytes.Buffer {
	var b bytes.Buffer
	b.WriteString("GGUF")
	binary.Write(&b, binary.LittleEndian, version)
	binary.Write(&b, binary.LittleEndian, nTensors)
	binary.Write(&b, binary.LittleEndian, nKV)
	return &b
}

func kvHeader(b *bytes.Buffer, key string, t Type) {
	binary.Write(b, binary.LittleEndian, uint64(len(key)))
	b.WriteString(key)
	binary.Write(b, binary.LittleEndian, uint32(t))
}

func TestReadErrors(t *testing.T) {
	hostileArray := func() []byte {
		b := header(3, 0, 1)
		kvHeader(b, "tokenizer.ggml.tokens", TypeArray)
		binary.Write(b, binary.LittleEndian, uint32(TypeString))
		binary.Write(b, binary.LittleEndian, uint64(1)<<60)
		return b.Bytes()
	}
	hugeString := func() []byte {
		b := header(3, 0, 1)
		kvHeader(b, "general.name", TypeString)
		binary.Write(b, binary.LittleEndian, uint64(1)<<62)
		return b.Bytes()
	}
	badAlign := func() []byte {
		b := header(3, 0, 1)
		kvHeader(b, "general.alignment", TypeUint32)
		binary.Write(b, binary.LittleEndian, uint32(24))
		return b.Bytes()
	}
	tensorPastEnd := func() []byte {
		b := header(3, 1, 0)
		binary.Write(b, binary.LittleEndian, uint64(1))
		b.WriteString("w")
		binary.Write(b, binary.LittleEndian, uint32(1))
		binary.Write(b, binary.LittleEndian, uint64(1000))
		binary.Write(b, binary.LittleEndian, uint32(TypeF32))
		binary.Write(b, binary.LittleEndian, uint64(0))
		return b.Bytes()
	}
	dupKey := func() []byte {
		b := header(3, 0, 2)
		kvHeader(b, "k", TypeUint8)
		b.WriteByte(1)
		kvHeader(b, "k", TypeUint8)
		b.WriteByte(2)
		return b.Bytes()
	}
	tests := []struct {
		name string
		in   []byte
		want []string
	}{
		{"empty", nil, []string{"magic"}},
		{"bad magic", []byte("GGML\x03\x00\x00\x00"), []string{"bad magic"}},
		{"version 1", header(1, 0, 0).Bytes(), []string{"version 1"}},
		{"version 4", header(4, 0, 0).Bytes(), []string{"unsupported GGUF version 4"}},
		{"big endian", []byte("GGUF\x00\x00\x00\x03" + strings.Repeat("\x00", 16)), []string{"big-endian"}},
		{"10 bytes claiming 2^60 tensors", append([]byte("GGUF\x03\x00\x00\x00"), 0, 0), []string{"offset 8", "tensor count"}},
		{"2^60 strings", hostileArray(), []string{"tokenizer.ggml.tokens", "offset 61", "array of string of 1152921504606846976"}},
		{"huge string", hugeString(), []string{"general.name", "string length"}},
		{"unaligned alignment", badAlign(), []string{"general.alignment = 24"}},
		{"tensor past end", tensorPastEnd(), []string{`"w"`, "runs past the end"}},
		{"duplicate key", dupKey(), []string{`duplicate key "k"`}},
		{"truncated", encode(t, sample(t))[:100], []string{"metadata count of 28"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.in), int64(len(tc.in)))
			if err == nil {
				t.Fatal("Read succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestShared parses every GGUF file in the shared data and spot-checks keys
// against values read with peers/gguf_dump.py.
func TestShared(t *testing.T) {
	dir := shared.Dir(t)
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".gguf") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no .gguf files in the shared data")
	}
	type check struct {
		arch, model, pre string
		tokens, tensors  int
	}
	want := map[string]check{
		"ggml-vocab-gpt-2.gguf":          {"gpt2", "gpt2", "gpt-2", 50257, 0},
		"ggml-vocab-bert-bge.gguf":       {"bert", "bert", "bert-bge", 30522, 0},
		"ggml-vocab-llama-spm.gguf":      {"llama", "llama", "default", 32000, 0},
		"ggml-vocab-falcon.gguf":         {"falcon", "gpt2", "falcon", 65024, 0},
		"ggml-vocab-starcoder.gguf":      {"starcoder2", "gpt2", "starcoder", 49152, 0},
		"ggml-vocab-deepseek-coder.gguf": {"llama", "gpt2", "deepseek-coder", 32256, 0},
		"ggml-vocab-phi-3.gguf":          {"phi3", "llama", "default", 32064, 0},
		"ggml-vocab-gpt-neox.gguf":       {"gptneox", "gpt2", "", 50432, 0},
		"llama-2-tiny-random.gguf":       {"llama", "llama", "", 32000, 12},
		"stories260K.gguf":               {"llama", "llama", "", 512, 48},
		"stories260K-q8_0.gguf":          {"llama", "llama", "", 512, 48},
	}
	for _, p := range files {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			f, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Version != 3 {
				t.Errorf("version %d", f.Version)
			}
			w, ok := want[name]
			if !ok {
				return
			}
			if s, _ := f.String("general.architecture"); s != w.arch {
				t.Errorf("general.architecture = %q, want %q", s, w.arch)
			}
			if s, _ := f.String("tokenizer.ggml.model"); s != w.model {
				t.Errorf("tokenizer.ggml.model = %q, want %q", s, w.model)
			}
			if s, _ := f.String("tokenizer.ggml.pre"); s != w.pre {
				t.Errorf("tokenizer.ggml.pre = %q, want %q", s, w.pre)
			}
			if a, _ := f.Strings("tokenizer.ggml.tokens"); len(a) != w.tokens {
				t.Errorf("%d tokens, want %d", len(a), w.tokens)
			}
			if len(f.Tensors) != w.tensors {
				t.Errorf("%d tensors, want %d", len(f.Tensors), w.tensors)
			}
			for i := range f.Tensors {
				sr, err := f.TensorData(i)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := sr.ReadAt(make([]byte, 1), sr.Size()-1); err != nil && !errors.Is(err, io.EOF) {
					t.Errorf("tensor %s: %v", f.Tensors[i].Name, err)
				}
			}
		})
	}
}

func TestSharedSpotValues(t *testing.T) {
	f, err := Open(shared.Path(t, "models/stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Values from peers/gguf_dump.py.
	if f.DataOffset != 14272 {
		t.Errorf("data offset %d, want 14272", f.DataOffset)
	}
	if id, ok := f.Uint("tokenizer.ggml.bos_token_id"); !ok || id != 1 {
		t.Errorf("bos = %d, %v", id, ok)
	}
	if b, ok := f.Bool("tokenizer.ggml.add_bos_token"); !ok || !b {
		t.Errorf("add_bos_token = %v, %v", b, ok)
	}
	tok, _ := f.Strings("tokenizer.ggml.tokens")
	if len(tok) < 4 || tok[0] != "<unk>" || tok[3] != "<0x00>" {
		t.Errorf("tokens start %q", tok[:4])
	}
	g, err := Open(shared.Path(t, "tokenizers/llama.cpp-vocab/ggml-vocab-gpt-2.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.DataOffset != 1766816 || g.Size != 1766807 {
		t.Errorf("vocab-only file: data offset %d size %d, want 1766816 and 1766807", g.DataOffset, g.Size)
	}
	m, _ := g.Strings("tokenizer.ggml.merges")
	if len(m) != 50000 || m[0] != "Ġ t" {
		t.Errorf("merges: %d, first %q", len(m), m[0])
	}
}

func seedFiles(t testing.TB) [][]byte {
	small := &File{KV: []KV{
		{"general.architecture", MustValue("llama")},
		{"tokenizer.ggml.tokens", MustValue([]string{"a", "b"})},
		{"nested", MustValue([]Value{MustValue([]uint8{1})})},
	}, Tensors: []TensorInfo{{Name: "w", Dims: []uint64{32}, Type: TypeQ8_0}}}
	if _, err := small.LayoutTensors(); err != nil {
		t.Fatal(err)
	}
	return [][]byte{encode(t, small), encode(t, sample(t)), header(3, 0, 0).Bytes(), header(2, 0, 0).Bytes()}
}

func FuzzRead(f *testing.F) {
	for _, b := range seedFiles(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		// Whatever parses must write and re-parse to the same metadata.
		var buf bytes.Buffer
		if _, err := Write(&buf, g); err != nil {
			return // e.g. an unknown tensor type cannot be laid out
		}
		var data []byte
		if g.DataOffset < int64(len(b)) {
			data = b[g.DataOffset:]
		}
		whole := append(buf.Bytes(), data...)
		h, err := Read(bytes.NewReader(whole), int64(len(whole)))
		if err != nil {
			t.Fatalf("re-reading a written file: %v", err)
		}
		if !reflect.DeepEqual(g.KV, h.KV) || !reflect.DeepEqual(g.Tensors, h.Tensors) {
			t.Fatalf("round trip changed the file")
		}
	})
}

// TestWriteSeedCorpus regenerates testdata/fuzz/FuzzRead when
// GGUF_WRITE_CORPUS=1.
func TestWriteSeedCorpus(t *testing.T) {
	if os.Getenv("GGUF_WRITE_CORPUS") != "1" {
		t.Skip("set GGUF_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, b := range seedFiles(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("synthetic-%d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
