package llama2c

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
)

// Config is the checkpoint header.
type Config struct {
	Dim        int // transformer width
	HiddenDim  int // feed-forward width
	NumLayers  int
	NumHeads   int // query heads
	NumKVHeads int // key/value heads (grouped-query attention)
	VocabSize  int // |vocab_size| of the header
	SeqLen     int // most positions
	// SharedClassifier is true when the header's vocab_size is positive: the
	// output classifier is the token embedding.
	SharedClassifier bool
}

// HeadSize is Dim / NumHeads.
func (c Config) HeadSize() int { return c.Dim / c.NumHeads }

// KVDim is NumKVHeads · HeadSize, the rows of wk and wv.
func (c Config) KVDim() int { return c.NumKVHeads * c.HeadSize() }

// Layer is the weights of one transformer block. Matrices are row-major
// [out, in].
type Layer struct {
	RMSAtt []float32 // [dim]
	WQ     []float32 // [dim, dim]
	WK     []float32 // [kvDim, dim]
	WV     []float32 // [kvDim, dim]
	WO     []float32 // [dim, dim]
	RMSFFN []float32 // [dim]
	W1     []float32 // [hidden, dim]: the gate
	W2     []float32 // [dim, hidden]: the down projection
	W3     []float32 // [hidden, dim]: the up projection
}

// Checkpoint is a legacy llama2.c model.
type Checkpoint struct {
	Config         Config
	TokenEmbedding []float32 // [vocab, dim]
	Layers         []Layer   // [layers]
	RMSFinal       []float32 // [dim]
	// Classifier is wcls [vocab, dim]; the same slice as TokenEmbedding when
	// Config.SharedClassifier.
	Classifier []float32
}

// HeaderSize is the size in bytes of the checkpoint header.
const HeaderSize = 7 * 4

// MaxDim bounds every header field, so that sizes computed from them cannot
// overflow before they are checked against the file.
const MaxDim = 1 << 24

// magicV1 is "ak42" as export.py's version 1 and 2 files start with it.
const magicV1 = 0x616b3432

// OpenCheckpoint reads the checkpoint at path.
func OpenCheckpoint(path string) (*Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("llama2c: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("llama2c: %w", err)
	}
	ck, err := ReadCheckpoint(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ck, nil
}

// mul returns a·b, ok false when it overflows (or exceeds max).
func mul(max uint64, xs ...uint64) (uint64, bool) {
	p := uint64(1)
	for _, x := range xs {
		hi, lo := bits.Mul64(p, x)
		if hi != 0 || lo > max {
			return 0, false
		}
		p = lo
	}
	return p, true
}

// ReadCheckpoint reads a legacy checkpoint of size bytes from r. Every tensor
// size is checked against size before anything is read; the file must end
// exactly after the last tensor.
func ReadCheckpoint(r io.ReaderAt, size int64) (*Checkpoint, error) {
	if size < HeaderSize {
		return nil, fmt.Errorf("llama2c: checkpoint header: file has %d bytes, the header needs %d", size, HeaderSize)
	}
	var hb [HeaderSize]byte
	if n, err := r.ReadAt(hb[:], 0); n < len(hb) {
		return nil, fmt.Errorf("llama2c: reading the checkpoint header: %w", err)
	}
	if binary.LittleEndian.Uint32(hb[:]) == magicV1 {
		return nil, errors.New("llama2c: the file starts with magic \"ak42\" (export.py version 1/2); only the legacy version 0 format is supported")
	}
	names := [7]string{"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"}
	var h [7]int
	for i := range h {
		v := int(int32(binary.LittleEndian.Uint32(hb[4*i:])))
		if i == 5 && v < 0 {
			v = -v
		}
		if v <= 0 || v > MaxDim {
			return nil, fmt.Errorf("llama2c: header field %s = %d at offset %d is out of range [1, %d]",
				names[i], int32(binary.LittleEndian.Uint32(hb[4*i:])), 4*i, MaxDim)
		}
		h[i] = v
	}
	c := Config{
		Dim: h[0], HiddenDim: h[1], NumLayers: h[2], NumHeads: h[3], NumKVHeads: h[4], VocabSize: h[5], SeqLen: h[6],
		SharedClassifier: int32(binary.LittleEndian.Uint32(hb[20:])) > 0,
	}
	switch {
	case c.Dim%c.NumHeads != 0:
		return nil, fmt.Errorf("llama2c: header: dim %d is not a multiple of n_heads %d", c.Dim, c.NumHeads)
	case c.NumKVHeads > c.NumHeads || c.NumHeads%c.NumKVHeads != 0:
		return nil, fmt.Errorf("llama2c: header: n_heads %d is not a multiple of n_kv_heads %d", c.NumHeads, c.NumKVHeads)
	case c.HeadSize()%2 != 0:
		return nil, fmt.Errorf("llama2c: header: head size %d (dim/n_heads) is odd; RoPE rotates pairs", c.HeadSize())
	}

	rd := &reader{r: r, size: size, off: HeaderSize}
	L, D, H, V, KV := uint64(c.NumLayers), uint64(c.Dim), uint64(c.HiddenDim), uint64(c.VocabSize), uint64(c.KVDim())
	ck := &Checkpoint{Config: c}
	ck.TokenEmbedding = rd.floats("token_embedding", V, D)
	rmsAtt := rd.floats("rms_att", L, D)
	wq := rd.floats("wq", L, D, D)
	wk := rd.floats("wk", L, KV, D)
	wv := rd.floats("wv", L, KV, D)
	wo := rd.floats("wo", L, D, D)
	rmsFFN := rd.floats("rms_ffn", L, D)
	w1 := rd.floats("w1", L, H, D)
	w2 := rd.floats("w2", L, D, H)
	w3 := rd.floats("w3", L, H, D)
	ck.RMSFinal = rd.floats("rms_final", D)
	rd.skip("freq_cis_real", uint64(c.SeqLen), uint64(c.HeadSize()/2))
	rd.skip("freq_cis_imag", uint64(c.SeqLen), uint64(c.HeadSize()/2))
	if c.SharedClassifier {
		ck.Classifier = ck.TokenEmbedding
	} else {
		ck.Classifier = rd.floats("wcls", V, D)
	}
	if rd.err != nil {
		return nil, rd.err
	}
	if rd.off != size {
		return nil, fmt.Errorf("llama2c: %d trailing bytes after the last tensor at offset %d (header %v)", size-rd.off, rd.off, h)
	}
	d, kv, hd := c.Dim, c.KVDim(), c.HiddenDim
	ck.Layers = make([]Layer, c.NumLayers)
	for l := range ck.Layers {
		ck.Layers[l] = Layer{
			RMSAtt: rmsAtt[l*d : (l+1)*d : (l+1)*d],
			WQ:     wq[l*d*d : (l+1)*d*d : (l+1)*d*d],
			WK:     wk[l*kv*d : (l+1)*kv*d : (l+1)*kv*d],
			WV:     wv[l*kv*d : (l+1)*kv*d : (l+1)*kv*d],
			WO:     wo[l*d*d : (l+1)*d*d : (l+1)*d*d],
			RMSFFN: rmsFFN[l*d : (l+1)*d : (l+1)*d],
			W1:     w1[l*hd*d : (l+1)*hd*d : (l+1)*hd*d],
			W2:     w2[l*d*hd : (l+1)*d*hd : (l+1)*d*hd],
			W3:     w3[l*hd*d : (l+1)*hd*d : (l+1)*hd*d],
		}
	}
	return ck, nil
}

// reader reads consecutive float32 arrays, keeping the first error.
type reader struct {
	r    io.ReaderAt
	size int64
	off  int64
	err  error
}

// span checks that the array name of dims fits in the rest of the file and
// returns its element count.
func (rd *reader) span(name string, dims ...uint64) (int, bool) {
	if rd.err != nil {
		return 0, false
	}
	left := uint64(rd.size - rd.off)
	n, ok := mul(math.MaxInt64/4, dims...)
	if !ok || 4*n > left {
		rd.err = fmt.Errorf("llama2c: tensor %s %v at offset %d needs %s bytes, the file has %d left", name, dims, rd.off, bytesNeeded(dims), left)
		return 0, false
	}
	return int(n), true
}

func bytesNeeded(dims []uint64) string {
	n, ok := mul(math.MaxUint64/4, dims...)
	if !ok {
		return "more than 2^64"
	}
	return fmt.Sprint(4 * n)
}

func (rd *reader) skip(name string, dims ...uint64) {
	if n, ok := rd.span(name, dims...); ok {
		rd.off += 4 * int64(n)
	}
}

func (rd *reader) floats(name string, dims ...uint64) []float32 {
	n, ok := rd.span(name, dims...)
	if !ok {
		return nil
	}
	out := make([]float32, n)
	const chunk = 1 << 16 // floats per read
	buf := make([]byte, 4*min(n, chunk))
	for i := 0; i < n; i += chunk {
		k := min(n-i, chunk)
		b := buf[:4*k]
		if m, err := rd.r.ReadAt(b, rd.off+4*int64(i)); m < len(b) {
			rd.err = fmt.Errorf("llama2c: reading tensor %s at offset %d: %w", name, rd.off+4*int64(i), err)
			return nil
		}
		for j := range k {
			out[i+j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
		}
	}
	rd.off += 4 * int64(n)
	return out
}
