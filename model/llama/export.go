package llama

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"unsafe"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/quant"
)

// ExportOptions controls WriteGGUF and WriteSafetensors. The zero value
// writes F32 matrices, no general.name and no tokenizer.
type ExportOptions struct {
	// Type is the storage type of the matrices (token embedding, attention
	// and FFN projections, output): quant.F32 (the zero value), F16, BF16,
	// Q8_0, Q4_0 or any type quant.Quantize has a reference quantizer for
	// (GGUF only; safetensors takes F32, F16 and BF16). A matrix whose row
	// length is not a multiple of the type's block size is written as F32,
	// as llama.cpp's quantizer falls back for such rows. Norms, biases and
	// RoPE factors are always F32.
	Type quant.Type
	// Name is general.name ("" leaves the key out).
	Name string
	// Tokenizer is the tokenizer.* metadata to embed (see TokenizerKVs and
	// BPETokenizerKVs). Without it the GGUF file has no vocabulary, which
	// llama.cpp refuses to load.
	Tokenizer []gguf.KV
}

// llama.cpp's llama_ftype values for general.file_type (LLAMA_FTYPE_*).
var fileTypes = map[quant.Type]uint32{
	quant.F32: 0, quant.F16: 1, quant.Q4_0: 2, quant.Q4_1: 3, quant.Q8_0: 7, quant.Q5_0: 8,
	quant.Q5_1: 9, quant.Q2_K: 10, quant.Q3_K: 12, quant.Q4_K: 15, quant.Q5_K: 17,
	quant.Q6_K: 18, quant.BF16: 32,
}

// exportTensor is one tensor to write: its GGUF info and how to make its
// bytes (called once, while writing, so only one tensor is in memory).
type exportTensor struct {
	info gguf.TensorInfo
	data func() ([]byte, error)
}

// WriteGGUF writes m as a GGUF version 3 file that llama.cpp loads (a GPT-2,
// m.GPT2 set, as general.architecture gpt2: gpt2Metadata, gpt2Tensors):
// general.architecture and general.name, the ARCH.* hyperparameters that
// ConfigFromGGUF reads (context, embedding, block count, feed-forward, head
// counts, key length where it is not dim/heads, RoPE dimension and base,
// linear RoPE scaling, RMS epsilon), general.file_type, opts.Tokenizer, then
// every tensor under its ggml name (names.go) with ggml dims ([in, out] for
// matrices). Matrices are converted to opts.Type through package quant
// (bit-exact with ggml's reference quantizers); a matrix already stored in
// that type is copied unchanged. A tied output matrix (the same data as the
// token embedding) is left out, as llama.cpp's converters do. It returns the
// bytes written.
func (m *Model) WriteGGUF(w io.Writer, opts ExportOptions) (int64, error) {
	ft, ok := fileTypes[opts.Type]
	if !ok || !quantizable(opts.Type) {
		return 0, fmt.Errorf("llama: export: matrix type %v is not supported (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K…Q6_K)", opts.Type)
	}
	c := m.Config
	check := m.checkExport
	if m.GPT2 != nil {
		check = m.checkGPT2Export
	}
	if err := check(); err != nil {
		return 0, err
	}
	if n, ok := tokenCount(opts.Tokenizer); ok && n != c.VocabSize {
		return 0, fmt.Errorf("llama: export: the tokenizer has %d tokens but token_embd has %d rows (llama.cpp requires them equal)", n, c.VocabSize)
	}
	arch := m.Arch()
	f := &gguf.File{}
	kv := func(key string, v any) { f.KV = append(f.KV, gguf.KV{Key: key, Value: gguf.MustValue(v)}) }
	kv("general.architecture", arch)
	if opts.Name != "" {
		kv("general.name", opts.Name)
	}
	if m.GPT2 != nil {
		m.gpt2Metadata(kv)
	} else {
		m.llamaMetadata(kv)
	}
	kv("general.file_type", ft)
	if opts.Type != quant.F32 && opts.Type != quant.F16 && opts.Type != quant.BF16 {
		kv("general.quantization_version", uint32(2)) // GGML_QNT_VERSION
	}
	for _, t := range opts.Tokenizer {
		if t.Key == "general.architecture" || t.Key == "general.alignment" {
			continue
		}
		if _, dup := f.Value(t.Key); dup {
			return 0, fmt.Errorf("llama: export: tokenizer metadata repeats key %q", t.Key)
		}
		f.KV = append(f.KV, t)
	}

	ts, err := m.ggufTensors(opts.Type)
	if err != nil {
		return 0, err
	}
	for _, t := range ts {
		f.Tensors = append(f.Tensors, t.info)
	}
	if _, err := f.LayoutTensors(); err != nil {
		return 0, fmt.Errorf("llama: export: %w", err)
	}
	n, err := gguf.Write(w, f)
	if err != nil {
		return n, fmt.Errorf("llama: export: %w", err)
	}
	align := uint64(gguf.DefaultAlignment)
	var pos uint64
	for i, t := range ts {
		t.info = f.Tensors[i] // with its offset
		b, err := t.data()
		if err != nil {
			return n, err
		}
		if want, _ := t.info.Size(); uint64(len(b)) != want {
			return n, fmt.Errorf("llama: export: tensor %q: %d bytes, want %d", t.info.Name, len(b), want)
		}
		if pad := t.info.Offset - pos; pad > 0 {
			k, err := w.Write(make([]byte, pad))
			n += int64(k)
			if err != nil {
				return n, fmt.Errorf("llama: export: %w", err)
			}
		}
		k, err := w.Write(b)
		n += int64(k)
		if err != nil {
			return n, fmt.Errorf("llama: export: tensor %q: %w", t.info.Name, err)
		}
		pos = t.info.Offset + uint64(len(b))
	}
	if end := (pos + align - 1) / align * align; end > pos {
		k, err := w.Write(make([]byte, end-pos))
		n += int64(k)
		if err != nil {
			return n, fmt.Errorf("llama: export: %w", err)
		}
	}
	return n, nil
}

// llamaMetadata adds the ARCH.* hyperparameters ConfigFromGGUF reads.
func (m *Model) llamaMetadata(kv func(key string, v any)) {
	c, arch := m.Config, m.Arch()
	kv(arch+".context_length", uint32(c.ContextLength))
	kv(arch+".embedding_length", uint32(c.Dim))
	kv(arch+".block_count", uint32(c.NumLayers))
	kv(arch+".feed_forward_length", uint32(c.FFNDim))
	kv(arch+".rope.dimension_count", uint32(c.RopeDim))
	kv(arch+".attention.head_count", uint32(c.NumHeads))
	kv(arch+".attention.head_count_kv", uint32(c.NumKVHeads))
	if c.HeadDim != c.Dim/c.NumHeads || c.Dim%c.NumHeads != 0 {
		kv(arch+".attention.key_length", uint32(c.HeadDim))
		kv(arch+".attention.value_length", uint32(c.HeadDim))
	}
	kv(arch+".rope.freq_base", c.RopeBase)
	if c.RopeFreqScale != 1 && c.RopeFreqScale > 0 {
		kv(arch+".rope.scaling.type", "linear")
		kv(arch+".rope.scaling.factor", 1/c.RopeFreqScale)
	}
	kv(arch+".attention.layer_norm_rms_epsilon", c.RMSEps)
	kv(arch+".vocab_size", uint32(c.VocabSize))
}

// quantizable reports whether package quant can encode type t.
func quantizable(t quant.Type) bool {
	_, err := quant.Quantize(t, make([]float32, t.BlockSize()), make([]byte, t.TypeSize()))
	return err == nil
}

// tokenCount returns the length of tokenizer.ggml.tokens in kvs.
func tokenCount(kvs []gguf.KV) (int, bool) {
	for _, kv := range kvs {
		if kv.Key == "tokenizer.ggml.tokens" {
			return kv.Value.Len(), true
		}
	}
	return 0, false
}

// checkExport checks that every weight has the size the config says, so a
// model assembled by hand (or by training) fails with a clear error rather
// than writing a file llama.cpp rejects.
func (m *Model) checkExport() error {
	c, w := m.Config, m.Weights
	if w == nil {
		return fmt.Errorf("llama: export: model has no weights")
	}
	if c.NumLayers != len(w.Layers) || c.NumLayers <= 0 {
		return fmt.Errorf("llama: export: config says %d layers, weights have %d", c.NumLayers, len(w.Layers))
	}
	if c.NumHeads <= 0 || c.NumKVHeads <= 0 || c.HeadDim <= 0 || c.Dim <= 0 || c.FFNDim <= 0 || c.VocabSize <= 0 || c.ContextLength <= 0 {
		return fmt.Errorf("llama: export: config %+v has a non-positive size", c)
	}
	qDim, kvDim := c.NumHeads*c.HeadDim, c.NumKVHeads*c.HeadDim
	var err error
	mat := func(name string, mx *Matrix, rows, cols int) {
		if err == nil {
			err = mx.check(name, rows, cols)
		}
	}
	vec := func(name string, v []float32, n int) {
		if err == nil && v != nil && len(v) != n {
			err = fmt.Errorf("llama: export: %s has %d values, want %d", name, len(v), n)
		}
	}
	mat(nameTokenEmbd, &w.TokenEmbd, c.VocabSize, c.Dim)
	mat(nameOutput, &w.Output, c.VocabSize, c.Dim)
	if len(w.OutputNorm) != c.Dim {
		return fmt.Errorf("llama: export: %s has %d values, want %d", nameOutputNorm, len(w.OutputNorm), c.Dim)
	}
	vec(nameRopeFreqs, w.RopeFreqs, c.RopeDim/2)
	for il := range w.Layers {
		l := &w.Layers[il]
		if len(l.AttnNorm) != c.Dim || len(l.FFNNorm) != c.Dim {
			return fmt.Errorf("llama: export: block %d: norms have %d and %d values, want %d", il, len(l.AttnNorm), len(l.FFNNorm), c.Dim)
		}
		mat(blockName(il, nameAttnQ), &l.Query, qDim, c.Dim)
		mat(blockName(il, nameAttnK), &l.Key, kvDim, c.Dim)
		mat(blockName(il, nameAttnV), &l.Value, kvDim, c.Dim)
		mat(blockName(il, nameAttnOutput), &l.AttnOutput, c.Dim, qDim)
		mat(blockName(il, nameFFNGate), &l.FFNGate, c.FFNDim, c.Dim)
		mat(blockName(il, nameFFNUp), &l.FFNUp, c.FFNDim, c.Dim)
		mat(blockName(il, nameFFNDown), &l.FFNDown, c.Dim, c.FFNDim)
		vec(blockName(il, nameAttnQNorm), l.QNorm, c.HeadDim)
		vec(blockName(il, nameAttnKNorm), l.KNorm, c.HeadDim)
		if (l.QNorm == nil) != (l.KNorm == nil) && err == nil {
			err = fmt.Errorf("llama: export: block %d has only one of the q/k head norms", il)
		}
	}
	return err
}

// check reports whether mx is a [rows, cols] matrix with as many values or
// bytes as its type needs, and a bias of rows values if it has one.
func (mx *Matrix) check(name string, rows, cols int) error {
	if mx.Rows != rows || mx.Cols != cols {
		return fmt.Errorf("llama: export: %s is [%d, %d], want [%d, %d]", name, mx.Rows, mx.Cols, rows, cols)
	}
	if mx.Type == quant.F32 {
		if len(mx.F32) != rows*cols {
			return fmt.Errorf("llama: export: %s has %d values, want %d", name, len(mx.F32), rows*cols)
		}
	} else {
		rs, err := mx.Type.RowSize(int64(cols))
		if err != nil {
			return fmt.Errorf("llama: export: %s: %w", name, err)
		}
		if int64(len(mx.Data)) != rs*int64(rows) {
			return fmt.Errorf("llama: export: %s: %d bytes of %v, want %d", name, len(mx.Data), mx.Type, rs*int64(rows))
		}
	}
	if mx.Bias != nil && len(mx.Bias) != rows {
		return fmt.Errorf("llama: export: bias of %s has %d values, want %d", name, len(mx.Bias), rows)
	}
	return nil
}

// tied reports whether the output matrix is the token embedding (the same
// storage), so it is not written twice.
func (w *Weights) tied() bool {
	a, b := &w.TokenEmbd, &w.Output
	if a.Type != b.Type || a.Rows != b.Rows || a.Cols != b.Cols {
		return false
	}
	if a.Type == quant.F32 {
		return len(a.F32) > 0 && unsafe.SliceData(a.F32) == unsafe.SliceData(b.F32)
	}
	return len(a.Data) > 0 && unsafe.SliceData(a.Data) == unsafe.SliceData(b.Data)
}

// ggufTensors lists m's tensors in llama.cpp's order (token_embd,
// output_norm, output, rope_freqs, then each block) with the storage type
// each gets for matrix type t.
func (m *Model) ggufTensors(t quant.Type) ([]exportTensor, error) {
	if m.GPT2 != nil {
		return m.gpt2Tensors(t)
	}
	w := m.Weights
	list := &exportList{typ: t}
	vec, mat := list.vec, list.mat
	mat(nameTokenEmbd, &w.TokenEmbd)
	vec(nameOutputNorm, w.OutputNorm)
	if !w.tied() {
		mat(nameOutput, &w.Output)
	}
	vec(nameRopeFreqs, w.RopeFreqs)
	for il := range w.Layers {
		l := &w.Layers[il]
		vec(blockName(il, nameAttnNorm), l.AttnNorm)
		mat(blockName(il, nameAttnQ), &l.Query)
		mat(blockName(il, nameAttnK), &l.Key)
		mat(blockName(il, nameAttnV), &l.Value)
		mat(blockName(il, nameAttnOutput), &l.AttnOutput)
		vec(blockName(il, nameAttnQNorm), l.QNorm)
		vec(blockName(il, nameAttnKNorm), l.KNorm)
		vec(blockName(il, nameFFNNorm), l.FFNNorm)
		mat(blockName(il, nameFFNGate), &l.FFNGate)
		mat(blockName(il, nameFFNDown), &l.FFNDown)
		mat(blockName(il, nameFFNUp), &l.FFNUp)
	}
	return list.ts, nil
}

// float32s returns the matrix as float32 [Rows·Cols]: F32 as is, any other
// type dequantized.
func (mx *Matrix) float32s(name string) ([]float32, error) {
	if mx.Type == quant.F32 {
		return mx.F32, nil
	}
	out := make([]float32, mx.Rows*mx.Cols)
	if err := quant.Dequantize(mx.Type, mx.Data, out); err != nil {
		return nil, fmt.Errorf("llama: export: %s: %w", name, err)
	}
	return out, nil
}

// encode returns the matrix's bytes in type t: its own bytes when it is
// already stored as t, else its float32 values encoded by quant.Quantize.
func (mx *Matrix) encode(name string, t quant.Type) ([]byte, error) {
	if mx.Type == t {
		if t == quant.F32 {
			return f32Bytes(mx.F32), nil
		}
		return mx.Data, nil
	}
	x, err := mx.float32s(name)
	if err != nil {
		return nil, err
	}
	if t == quant.F32 {
		return f32Bytes(x), nil
	}
	rs, err := t.RowSize(int64(mx.Cols))
	if err != nil {
		return nil, fmt.Errorf("llama: export: %s: %w", name, err)
	}
	out := make([]byte, rs*int64(mx.Rows))
	for r := 0; r < mx.Rows; r++ {
		if _, err := quant.Quantize(t, x[r*mx.Cols:(r+1)*mx.Cols], out[int64(r)*rs:int64(r+1)*rs]); err != nil {
			return nil, fmt.Errorf("llama: export: %s: %w", name, err)
		}
	}
	return out, nil
}

// f32Bytes returns v as little-endian bytes.
func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// ropeNormal reports whether the model pairs adjacent rotary dimensions
// (llama), so HF's rotate_half layout differs from the file's.
func (c *Config) ropeNormal() bool { return c.RopeMode == kernels.RoPENormal }

// exportList collects the tensors of an export in file order: vectors in
// F32, matrices in typ (F32 when their rows are not whole blocks of it),
// each matrix followed by its bias.
type exportList struct {
	typ quant.Type
	ts  []exportTensor
}

// vec appends the F32 vector v as tensor name (nothing when v is nil).
func (l *exportList) vec(name string, v []float32) {
	if v == nil {
		return
	}
	l.ts = append(l.ts, exportTensor{
		info: gguf.TensorInfo{Name: name, Dims: []uint64{uint64(len(v))}, Type: gguf.TypeF32},
		data: func() ([]byte, error) { return f32Bytes(v), nil },
	})
}

// mat appends matrix mx as tensor name (a "….weight" name), then its bias
// as "….bias" when it has one.
func (l *exportList) mat(name string, mx *Matrix) {
	typ := l.typ
	if mx.Cols%typ.BlockSize() != 0 {
		typ = quant.F32
	}
	l.ts = append(l.ts, exportTensor{
		info: gguf.TensorInfo{Name: name, Dims: []uint64{uint64(mx.Cols), uint64(mx.Rows)}, Type: gguf.GGMLType(typ)},
		data: func() ([]byte, error) { return mx.encode(name, typ) },
	})
	if mx.Bias != nil {
		l.vec(name[:len(name)-len("weight")]+"bias", mx.Bias)
	}
}
