package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/internal/shared"
)

// storiesTensors is the tensor index of models/stories260K.gguf and
// models/stories260K-q8_0.gguf (same names and shapes) as
// /work/shared/peers/gguf_dump.py prints it: name, ne[], offset in the F32
// file, type and offset in the Q8_0 file (the F32 file is all F32).
var storiesTensors = []struct {
	name   string
	ne     []uint64
	off    uint64
	q8Type string
	q8Off  uint64
}{
	{"token_embd.weight", []uint64{64, 512}, 0, "Q8_0", 0},
	{"blk.0.attn_norm.weight", []uint64{64}, 131072, "F32", 34816},
	{"blk.0.attn_q.weight", []uint64{64, 64}, 131328, "Q8_0", 35072},
	{"blk.0.attn_k.weight", []uint64{64, 32}, 147712, "Q8_0", 39424},
	{"blk.0.attn_v.weight", []uint64{64, 32}, 155904, "Q8_0", 41600},
	{"blk.0.attn_output.weight", []uint64{64, 64}, 164096, "Q8_0", 43776},
	{"blk.0.ffn_norm.weight", []uint64{64}, 180480, "F32", 48128},
	{"blk.0.ffn_gate.weight", []uint64{64, 172}, 180736, "Q8_0", 48384},
	{"blk.0.ffn_down.weight", []uint64{172, 64}, 224768, "F32", 60096},
	{"blk.0.ffn_up.weight", []uint64{64, 172}, 268800, "Q8_0", 104128},
	{"blk.1.attn_norm.weight", []uint64{64}, 312832, "F32", 115840},
	{"blk.1.attn_q.weight", []uint64{64, 64}, 313088, "Q8_0", 116096},
	{"blk.1.attn_k.weight", []uint64{64, 32}, 329472, "Q8_0", 120448},
	{"blk.1.attn_v.weight", []uint64{64, 32}, 337664, "Q8_0", 122624},
	{"blk.1.attn_output.weight", []uint64{64, 64}, 345856, "Q8_0", 124800},
	{"blk.1.ffn_norm.weight", []uint64{64}, 362240, "F32", 129152},
	{"blk.1.ffn_gate.weight", []uint64{64, 172}, 362496, "Q8_0", 129408},
	{"blk.1.ffn_down.weight", []uint64{172, 64}, 406528, "F32", 141120},
	{"blk.1.ffn_up.weight", []uint64{64, 172}, 450560, "Q8_0", 185152},
	{"blk.2.attn_norm.weight", []uint64{64}, 494592, "F32", 196864},
	{"blk.2.attn_q.weight", []uint64{64, 64}, 494848, "Q8_0", 197120},
	{"blk.2.attn_k.weight", []uint64{64, 32}, 511232, "Q8_0", 201472},
	{"blk.2.attn_v.weight", []uint64{64, 32}, 519424, "Q8_0", 203648},
	{"blk.2.attn_output.weight", []uint64{64, 64}, 527616, "Q8_0", 205824},
	{"blk.2.ffn_norm.weight", []uint64{64}, 544000, "F32", 210176},
	{"blk.2.ffn_gate.weight", []uint64{64, 172}, 544256, "Q8_0", 210432},
	{"blk.2.ffn_down.weight", []uint64{172, 64}, 588288, "F32", 222144},
	{"blk.2.ffn_up.weight", []uint64{64, 172}, 632320, "Q8_0", 266176},
	{"blk.3.attn_norm.weight", []uint64{64}, 676352, "F32", 277888},
	{"blk.3.attn_q.weight", []uint64{64, 64}, 676608, "Q8_0", 278144},
	{"blk.3.attn_k.weight", []uint64{64, 32}, 692992, "Q8_0", 282496},
	{"blk.3.attn_v.weight", []uint64{64, 32}, 701184, "Q8_0", 284672},
	{"blk.3.attn_output.weight", []uint64{64, 64}, 709376, "Q8_0", 286848},
	{"blk.3.ffn_norm.weight", []uint64{64}, 725760, "F32", 291200},
	{"blk.3.ffn_gate.weight", []uint64{64, 172}, 726016, "Q8_0", 291456},
	{"blk.3.ffn_down.weight", []uint64{172, 64}, 770048, "F32", 303168},
	{"blk.3.ffn_up.weight", []uint64{64, 172}, 814080, "Q8_0", 347200},
	{"blk.4.attn_norm.weight", []uint64{64}, 858112, "F32", 358912},
	{"blk.4.attn_q.weight", []uint64{64, 64}, 858368, "Q8_0", 359168},
	{"blk.4.attn_k.weight", []uint64{64, 32}, 874752, "Q8_0", 363520},
	{"blk.4.attn_v.weight", []uint64{64, 32}, 882944, "Q8_0", 365696},
	{"blk.4.attn_output.weight", []uint64{64, 64}, 891136, "Q8_0", 367872},
	{"blk.4.ffn_norm.weight", []uint64{64}, 907520, "F32", 372224},
	{"blk.4.ffn_gate.weight", []uint64{64, 172}, 907776, "Q8_0", 372480},
	{"blk.4.ffn_down.weight", []uint64{172, 64}, 951808, "F32", 384192},
	{"blk.4.ffn_up.weight", []uint64{64, 172}, 995840, "Q8_0", 428224},
	{"output_norm.weight", []uint64{64}, 1039872, "F32", 439936},
	{"output.weight", []uint64{64, 512}, 1040128, "Q8_0", 440192},
}

// inspectJSONOut is the part of `inspect --json` the tests decode.
type inspectJSONOut struct {
	File          string `json:"file"`
	Version       uint32 `json:"version"`
	Alignment     uint64 `json:"alignment"`
	TensorCount   int    `json:"tensor_count"`
	MetadataCount int    `json:"metadata_count"`
	DataOffset    int64  `json:"data_offset"`
	FileSize      int64  `json:"file_size"`
	Metadata      []struct {
		Key      string            `json:"key"`
		Type     string            `json:"type"`
		ElemType string            `json:"elem_type"`
		Len      *int              `json:"len"`
		Value    json.RawMessage   `json:"value"`
		Head     []json.RawMessage `json:"head"`
	} `json:"metadata"`
	Tensors []tensorRow `json:"tensors"`
	Totals  struct {
		Parameters uint64      `json:"parameters"`
		Bytes      uint64      `json:"bytes"`
		ByType     []typeTotal `json:"by_type"`
	} `json:"totals"`
}

func inspectJSONRun(t *testing.T, args ...string) (inspectJSONOut, string) {
	t.Helper()
	out, err := runCLI(t, "", append([]string{"inspect", "--json"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Errorf("--json printed %d lines, want one object on one line", strings.Count(out, "\n"))
	}
	var got inspectJSONOut
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("--json output does not parse: %v\n%.500s", err, out)
	}
	return got, out
}

// meta returns the --json entry for key.
func (o inspectJSONOut) meta(t *testing.T, key string) (typ, elem string, n int, value json.RawMessage, head []json.RawMessage) {
	t.Helper()
	for _, m := range o.Metadata {
		if m.Key == key {
			if m.Len != nil {
				n = *m.Len
			}
			return m.Type, m.ElemType, n, m.Value, m.Head
		}
	}
	t.Fatalf("--json has no metadata key %q", key)
	return
}

func jsonEq(t *testing.T, what string, got any, want string) {
	t.Helper()
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("%s = %s, want %s", what, gb, wb)
	}
}

// squash collapses runs of spaces in every line of the text output, so
// that tests do not depend on column widths.
func squash(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

func alignUp32(n uint64) uint64 { return (n + 31) / 32 * 32 }

// TestInspectStories260K checks `inspect --json` on both stories260K files
// against gguf_dump.py: header, known keys, the 512-token vocabulary, and
// every tensor's name, type, shape and offset; element counts are the
// products of the reference shapes and each tensor's bytes end where the
// next (aligned) tensor starts, the last one at the end of the file.
func TestInspectStories260K(t *testing.T) {
	for _, tc := range []struct {
		file            string
		dataStart, size int64
		q8              bool
		wantF32, wantQ8 int // tensors per type
	}{
		{"models/stories260K.gguf", 14272, 1185472, false, 48, 0},
		{"models/stories260K-q8_0.gguf", 14336, 489344, true, 16, 32},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			path := shared.Path(t, tc.file)
			got, _ := inspectJSONRun(t, path)
			if got.Version != 3 || got.Alignment != 32 || got.TensorCount != 48 || got.MetadataCount != 21 ||
				got.DataOffset != tc.dataStart || got.FileSize != tc.size {
				t.Errorf("header: version %d alignment %d tensors %d kv %d data offset %d size %d, want 3 32 48 21 %d %d",
					got.Version, got.Alignment, got.TensorCount, got.MetadataCount, got.DataOffset, got.FileSize, tc.dataStart, tc.size)
			}
			for key, want := range map[string]string{
				"general.architecture": `"llama"`, "llama.embedding_length": "64", "llama.block_count": "5",
				"llama.context_length": "512", "llama.attention.head_count_kv": "4", "llama.rope.freq_base": "10000",
				"llama.attention.layer_norm_rms_epsilon": "1e-05", "tokenizer.ggml.add_bos_token": "true",
				"tokenizer.ggml.add_eos_token": "false", "tokenizer.ggml.unknown_token_id": "0",
			} {
				_, _, _, v, _ := got.meta(t, key)
				jsonEq(t, key, v, want)
			}
			typ, elem, n, v, head := got.meta(t, "tokenizer.ggml.tokens")
			if typ != "array" || elem != "string" || n != 512 || v != nil {
				t.Errorf("tokens: %s of %s, len %d, value %s; want a summarised array of 512 strings", typ, elem, n, v)
			}
			jsonEq(t, "tokens head", head, `["<unk>", "<s>", "</s>"]`)
			_, elem, n, _, head = got.meta(t, "tokenizer.ggml.token_type")
			if elem != "int32" || n != 512 {
				t.Errorf("token_type: %s × %d", elem, n)
			}
			jsonEq(t, "token_type head", head, `[2, 3, 3]`)

			if len(got.Tensors) != len(storiesTensors) {
				t.Fatalf("%d tensors, want %d", len(got.Tensors), len(storiesTensors))
			}
			var params uint64
			count := map[string]int{}
			for i, want := range storiesTensors {
				g := got.Tensors[i]
				wantType, wantOff := "F32", want.off
				if tc.q8 {
					wantType, wantOff = want.q8Type, want.q8Off
				}
				elems := uint64(1)
				for _, d := range want.ne {
					elems *= d
				}
				if g.Name != want.name || g.Type != wantType || !equalU64(g.Shape, want.ne) || g.Offset != wantOff ||
					g.Elements != elems || g.FileOffset != uint64(tc.dataStart)+wantOff {
					t.Errorf("tensor %d = %+v, want %s %s %v offset %d elements %d", i, g, want.name, wantType, want.ne, wantOff, elems)
				}
				end := uint64(tc.size - tc.dataStart)
				if i+1 < len(storiesTensors) {
					end = storiesTensors[i+1].off
					if tc.q8 {
						end = storiesTensors[i+1].q8Off
					}
				}
				if alignUp32(wantOff+g.Bytes) != end {
					t.Errorf("tensor %s: %d bytes at %d do not end at the next tensor/file end %d", g.Name, g.Bytes, wantOff, end)
				}
				params += elems
				count[g.Type]++
			}
			if got.Totals.Parameters != params {
				t.Errorf("parameters %d, want %d", got.Totals.Parameters, params)
			}
			for _, bt := range got.Totals.ByType {
				if want := map[string]int{"F32": tc.wantF32, "Q8_0": tc.wantQ8}[bt.Type]; bt.Tensors != want || bt.Tensors != count[bt.Type] {
					t.Errorf("by type %s: %d tensors, want %d", bt.Type, bt.Tensors, want)
				}
			}
		})
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestInspectFullArrays: --full prints the whole vocabulary; first and last
// tokens as gguf_dump.py prints them.
func TestInspectFullArrays(t *testing.T) {
	for _, tc := range []struct {
		file  string
		n     int
		first string
		last  string
	}{
		{"models/stories260K.gguf", 512, `["<unk>", "<s>", "</s>", "<0x00>"]`, "[\"]\", \"~\", \"\u200a\"]"},
		{"models/llama-2-tiny-random.gguf", 32000, `["<unk>", "<s>", "</s>", "<0x00>"]`, `["收", "弘", "给"]`},
	} {
		got, _ := inspectJSONRun(t, shared.Path(t, tc.file), "--full")
		_, _, n, v, head := got.meta(t, "tokenizer.ggml.tokens")
		var toks []string
		if err := json.Unmarshal(v, &toks); err != nil || head != nil {
			t.Fatalf("%s: tokens value %.80s (%v), head %v", tc.file, v, err, head)
		}
		if n != tc.n || len(toks) != tc.n {
			t.Fatalf("%s: %d / %d tokens, want %d", tc.file, n, len(toks), tc.n)
		}
		jsonEq(t, tc.file+" first tokens", toks[:4], tc.first)
		jsonEq(t, tc.file+" last tokens", toks[len(toks)-3:], tc.last)
	}
	got, _ := inspectJSONRun(t, shared.Path(t, "models/llama-2-tiny-random.gguf"))
	if got.TensorCount != 12 || got.MetadataCount != 18 || got.DataOffset != 724416 || got.FileSize != 1750560 {
		t.Errorf("llama-2-tiny-random header %+v", got)
	}
	_, _, _, v, _ := got.meta(t, "general.file_type")
	jsonEq(t, "file_type", v, "1")
	if tt := got.Tensors[0]; tt.Name != "token_embd.weight" || tt.Type != "F16" || !equalU64(tt.Shape, []uint64{8, 32000}) || tt.Bytes != 512000 {
		t.Errorf("tensor 0 = %+v", tt)
	}
}

// TestInspectText checks the human-readable output on stories260K.gguf.
func TestInspectText(t *testing.T) {
	out, err := runCLI(t, "", "inspect", shared.Path(t, "models/stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	out = squash(out)
	for _, want := range []string{
		"version 3\n", "alignment 32\n", "tensors 48\n", "data offset 14272\n", "file size 1185472 (",
		"metadata (21 keys)\n",
		"llama.embedding_length uint32 64\n",
		"llama.block_count uint32 5\n",
		"llama.attention.layer_norm_rms_epsilon float32 1e-05\n",
		"tokenizer.ggml.tokens array[string] [512 strings] \"<unk>\", \"<s>\", \"</s>\", …\n",
		"tokenizer.ggml.scores array[float32] [512 float32s] 0, 0, 0, …\n",
		"tensors (48)\n",
		"\n8 blk.0.ffn_down.weight F32 [172, 64] 11008 44032 224768\n",
		"\n47 output.weight F32 [64, 512] 32768 131072 1040128\n",
		"parameters 292800 (292.8K)\n",
		"\nF32 48 292800 1171200 32.00\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestInspectValues covers every metadata type, nested and empty arrays,
// non-finite floats, a long string and an awkward key on a file made here.
func TestInspectValues(t *testing.T) {
	long := strings.Repeat("{% if x %}<tag>", 40)
	kvs := []gguf.KV{
		{Key: "u8", Value: gguf.MustValue(uint8(200))}, {Key: "i8", Value: gguf.MustValue(int8(-5))},
		{Key: "u16", Value: gguf.MustValue(uint16(65535))}, {Key: "i16", Value: gguf.MustValue(int16(-300))},
		{Key: "u32", Value: gguf.MustValue(uint32(0))}, {Key: "i32", Value: gguf.MustValue(int32(-7))},
		{Key: "f32", Value: gguf.MustValue(float32(0.1))}, {Key: "nan", Value: gguf.MustValue(float32(math.NaN()))},
		{Key: "inf", Value: gguf.MustValue(math.Inf(-1))}, {Key: "b", Value: gguf.MustValue(false)},
		{Key: "s", Value: gguf.MustValue("a \"q\"\n<b>")}, {Key: "u64", Value: gguf.MustValue(uint64(1) << 63)},
		{Key: "i64", Value: gguf.MustValue(int64(-1) << 40)}, {Key: "f64", Value: gguf.MustValue(0.1)},
		{Key: "long", Value: gguf.MustValue(long)},
		{Key: "bytes", Value: gguf.MustValue([]uint8{1, 2, 3, 4, 5})},
		{Key: "one", Value: gguf.MustValue([]string{"x"})},
		{Key: "empty", Value: gguf.MustValue([]float64{})},
		{Key: "floats", Value: gguf.MustValue([]float32{1.5, float32(math.Inf(1)), 2})},
		{Key: "nested", Value: gguf.MustValue([]gguf.Value{gguf.MustValue([]int32{1, 2, 3, 4}), gguf.MustValue([]bool{true})})},
		{Key: "key with space", Value: gguf.MustValue(true)},
	}
	f := &gguf.File{KV: kvs, Tensors: []gguf.TensorInfo{
		{Name: "a", Dims: []uint64{256, 2}, Type: gguf.TypeQ4_K},
		{Name: "b", Dims: []uint64{3}, Type: gguf.TypeF32},
		{Name: "scalar", Dims: nil, Type: gguf.TypeF16},
	}}
	dataSize, err := f.LayoutTensors()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := gguf.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	buf.Write(make([]byte, dataSize))
	path := filepath.Join(t.TempDir(), "all.gguf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	out, err := runCLI(t, "", "inspect", path)
	if err != nil {
		t.Fatal(err)
	}
	out = squash(out)
	for _, want := range []string{
		"\nu8 uint8 200\n", "\ni16 int16 -300\n",
		"\nf32 float32 0.1\n", "\nnan float32 NaN\n",
		"\ninf float64 -Inf\n", "\nb bool false\n",
		`s string "a \"q\"\n<b>"` + "\n", "\nu64 uint64 9223372036854775808\n",
		"\nf64 float64 0.1\n",
		`long string "{% if x %}<tag>{% if x %}`, `…` + " (600 bytes)\n",
		"\nbytes array[uint8] [5 uint8s] 1, 2, 3, …\n", "\none array[string] [1 string] \"x\"\n",
		"\nempty array[float64] [0 float64s]\n", "\nfloats array[float32] [3 float32s] 1.5, +Inf, 2\n",
		"\nnested array[array] [2 arrays] ([4 int32s] 1, 2, 3, …), ([1 bool] true)\n",
		`"key with space" bool true`,
		"\n0 a Q4_K [256, 2] 512 288 0\n", "\n2 scalar F16 [] 1 2 ",
		"parameters 516 (516)\n", "\nF16 1 1 2 16.00\nQ4_K 1 512 288 4.50\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	full, err := runCLI(t, "", "inspect", "--full", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[5 uint8s] 1, 2, 3, 4, 5\n", `"` + strings.ReplaceAll(long, `"`, `\"`) + `"` + "\n", "([4 int32s] 1, 2, 3, 4), ([1 bool] true)"} {
		if !strings.Contains(full, want) {
			t.Errorf("--full output lacks %q:\n%s", want, full)
		}
	}

	got, raw := inspectJSONRun(t, path)
	for key, want := range map[string]string{
		"u8": "200", "i8": "-5", "u16": "65535", "u32": "0", "i32": "-7", "f32": "0.1", "nan": `"NaN"`, "inf": `"-Inf"`,
		"b": "false", "s": `"a \"q\"\n<b>"`, "u64": "9223372036854775808", "i64": "-1099511627776", "f64": "0.1",
		"long": mustJSON(long),
	} {
		_, _, _, v, head := got.meta(t, key)
		if head != nil {
			t.Errorf("%s: scalar has a head", key)
		}
		jsonEq(t, key, v, want)
	}
	if !strings.Contains(raw, `"value":0.1`) || !strings.Contains(raw, `<b>`) {
		t.Errorf("floats not in shortest form or HTML escaped: %s", raw)
	}
	for key, want := range map[string]string{
		"bytes": "[1, 2, 3]", "one": `["x"]`, "empty": "[]", "floats": `[1.5, "+Inf", 2]`,
		"nested": `[{"type":"array","elem_type":"int32","len":4,"head":[1,2,3]},{"type":"array","elem_type":"bool","len":1,"head":[true]}]`,
	} {
		typ, _, _, v, head := got.meta(t, key)
		if typ != "array" || v != nil || head == nil {
			t.Errorf("%s: type %s value %s head %v; want an array with head only", key, typ, v, head)
		}
		jsonEq(t, key+" head", head, want)
	}
	got, _ = inspectJSONRun(t, path, "--full")
	for key, want := range map[string]string{
		"bytes": "[1, 2, 3, 4, 5]", "empty": "[]",
		"nested": `[{"type":"array","elem_type":"int32","len":4,"value":[1,2,3,4]},{"type":"array","elem_type":"bool","len":1,"value":[true]}]`,
	} {
		_, _, _, v, head := got.meta(t, key)
		if head != nil {
			t.Errorf("%s: --full has a head", key)
		}
		jsonEq(t, key+" value", v, want)
	}
	if s := got.Tensors[2]; s.Name != "scalar" || s.Shape == nil || len(s.Shape) != 0 || s.Elements != 1 || s.Bytes != 2 {
		t.Errorf("0-dim tensor = %+v", s)
	}
	if a := got.Tensors[0]; a.Bytes != 288 || a.Elements != 512 {
		t.Errorf("Q4_K tensor = %+v, want 2 blocks of 144 bytes", a)
	}
}

func mustJSON(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return strings.TrimSpace(b.String())
}

// TestInspectBadFiles: truncated and hostile files give an error naming the
// key or tensor and the offset, and print nothing.
func TestInspectBadFiles(t *testing.T) {
	good, err := os.ReadFile(shared.Path(t, "models/stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) int {
		i := bytes.Index(good, []byte(s))
		if i < 0 {
			t.Fatalf("%q not in the file", s)
		}
		return i
	}
	hostile := append([]byte("GGUF"), binary.LittleEndian.AppendUint32(nil, 3)...)
	hostile = binary.LittleEndian.AppendUint64(hostile, 1<<62) // tensor count
	hostile = binary.LittleEndian.AppendUint64(hostile, 0)
	badKeyLen := bytes.Clone(good)
	binary.LittleEndian.PutUint64(badKeyLen[at("llama.block_count")-8:], 1<<40)
	for _, tc := range []struct {
		name string
		data []byte
		want []string
	}{
		{"empty", nil, []string{"magic", "offset 0"}},
		{"not gguf", []byte("PK\x03\x04 not a model at all"), []string{"not a GGUF file"}},
		{"in tokens array", good[:at("tokenizer.ggml.tokens")+2000], []string{`"tokenizer.ggml.tokens"`, "offset"}},
		{"count beyond the file", good[:at("llama.block_count")+5], []string{"tensor count of 48", "offset 8"}},
		{"key length corrupted", badKeyLen, []string{"metadata[6] key", "offset"}},
		{"in tensor dims", good[:at("blk.2.attn_q.weight")+len("blk.2.attn_q.weight")+6], []string{`"blk.2.attn_q.weight"`, "dim", "offset"}},
		{"in tensor data", good[:20000], []string{`"token_embd.weight"`, "file offset 14272", "20000-byte file"}},
		{"last byte missing", good[:len(good)-1], []string{`"output.weight"`, "runs past the end"}},
		{"huge tensor count", hostile, []string{"tensor count"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.gguf")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"inspect", path}, {"inspect", "--json", "--full", path}} {
				out, err := runCLI(t, "", args...)
				if err == nil {
					t.Fatalf("%v: no error; output %.200s", args, out)
				}
				if out != "" {
					t.Errorf("%v: printed %.200q before failing", args, out)
				}
				for _, w := range append(tc.want, path) {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%v: error %q lacks %q", args, err, w)
					}
				}
			}
		})
	}
	// Every 61st truncation point fails cleanly; seeded byte corruptions of
	// the header either fail or print something that is valid JSON.
	dir := t.TempDir()
	for n := 0; n < 14272; n += 61 {
		path := filepath.Join(dir, "cut.gguf")
		if err := os.WriteFile(path, good[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := runCLI(t, "", "inspect", path); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	parsed := 0
	for i := 0; i < 200; i++ {
		b := bytes.Clone(good)
		for range 1 + rng.IntN(3) {
			b[rng.IntN(14272)] = byte(rng.Uint32())
		}
		path := filepath.Join(dir, "flip.gguf")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := runCLI(t, "", "inspect", path); err != nil {
			continue
		}
		out, err := runCLI(t, "", "inspect", "--json", "--full", path)
		if err != nil || !json.Valid([]byte(out)) {
			t.Fatalf("corruption %d: text worked but --json gave %v / invalid JSON", i, err)
		}
		parsed++
	}
	t.Logf("%d of 200 corrupted headers still parse", parsed)

	if _, err := runCLI(t, "", "inspect"); err == nil {
		t.Error("inspect without a path: no error")
	}
	if _, err := runCLI(t, "", "inspect", filepath.Join(t.TempDir(), "missing.gguf")); err == nil || !strings.Contains(err.Error(), "missing.gguf") {
		t.Errorf("missing file: err = %v", err)
	}
}
