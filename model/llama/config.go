package llama

import (
	"fmt"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/kernels"
)

// ArchName is the general.architecture value of this package.
const ArchName = "llama"

// Config is the shape of a Llama network, from GGUF metadata llama.*.
type Config struct {
	ContextLength int     // llama.context_length: most positions
	Dim           int     // llama.embedding_length
	NumLayers     int     // llama.block_count
	FFNDim        int     // llama.feed_forward_length
	NumHeads      int     // llama.attention.head_count
	NumKVHeads    int     // llama.attention.head_count_kv (default NumHeads)
	HeadDim       int     // llama.attention.key_length (default Dim/NumHeads)
	RMSEps        float32 // llama.attention.layer_norm_rms_epsilon
	RopeDim       int     // llama.rope.dimension_count (default HeadDim)
	RopeBase      float32 // llama.rope.freq_base (default 10000)
	RopeFreqScale float32 // 1/llama.rope.scaling.factor for linear scaling, else 1
	RopeMode      kernels.RoPEMode
	VocabSize     int // rows of token_embd.weight
}

// maxDim bounds every size read from metadata, so a hostile file cannot ask
// for a huge allocation before its tensors are checked against the file.
const maxDim = 1 << 24

// ConfigFromGGUF reads the llama.* metadata of f. It does not look at
// tensors: VocabSize is left 0.
func ConfigFromGGUF(f *gguf.File) (Config, error) {
	if a, _ := f.String("general.architecture"); a != ArchName {
		return Config{}, fmt.Errorf("llama: general.architecture is %q, not %q", a, ArchName)
	}
	var c Config
	var err error
	req := func(key string, dst *int) {
		if err != nil {
			return
		}
		v, ok := f.Uint(ArchName + "." + key)
		if !ok {
			err = fmt.Errorf("llama: missing or non-integer metadata %s.%s", ArchName, key)
			return
		}
		if v == 0 || v > maxDim {
			err = fmt.Errorf("llama: metadata %s.%s = %d out of range [1, %d]", ArchName, key, v, maxDim)
			return
		}
		*dst = int(v)
	}
	opt := func(key string, dst *int, def int) {
		if err != nil {
			return
		}
		if _, ok := f.Value(ArchName + "." + key); !ok {
			*dst = def
			return
		}
		req(key, dst)
	}
	float := func(key string, def float64) float32 {
		v, ok := f.Value(ArchName + "." + key)
		if !ok {
			return float32(def)
		}
		x, ok := v.Float()
		if !ok {
			if err == nil {
				err = fmt.Errorf("llama: metadata %s.%s is %v, not a number", ArchName, key, v)
			}
			return 0
		}
		return float32(x)
	}
	req("context_length", &c.ContextLength)
	req("embedding_length", &c.Dim)
	req("block_count", &c.NumLayers)
	req("feed_forward_length", &c.FFNDim)
	req("attention.head_count", &c.NumHeads)
	opt("attention.head_count_kv", &c.NumKVHeads, c.NumHeads)
	if err == nil && c.Dim%c.NumHeads != 0 {
		if _, ok := f.Value(ArchName + ".attention.key_length"); !ok {
			err = fmt.Errorf("llama: embedding_length %d is not a multiple of head_count %d", c.Dim, c.NumHeads)
		}
	}
	if err == nil {
		opt("attention.key_length", &c.HeadDim, c.Dim/c.NumHeads)
	}
	opt("rope.dimension_count", &c.RopeDim, c.HeadDim)
	c.RMSEps = float("attention.layer_norm_rms_epsilon", 1e-5)
	c.RopeBase = float("rope.freq_base", 10000)
	c.RopeFreqScale = 1
	if typ, ok := f.String(ArchName + ".rope.scaling.type"); ok && typ != "none" {
		if typ != "linear" {
			return Config{}, fmt.Errorf("llama: rope scaling type %q is not supported (only linear)", typ)
		}
		if factor := float("rope.scaling.factor", 1); factor > 0 {
			c.RopeFreqScale = 1 / factor
		}
	}
	if err != nil {
		return Config{}, err
	}
	switch {
	case c.NumHeads%c.NumKVHeads != 0:
		return Config{}, fmt.Errorf("llama: head_count %d is not a multiple of head_count_kv %d", c.NumHeads, c.NumKVHeads)
	case c.RopeDim > c.HeadDim || c.RopeDim%2 != 0:
		return Config{}, fmt.Errorf("llama: rope.dimension_count %d must be even and at most the head size %d", c.RopeDim, c.HeadDim)
	case c.NumHeads*c.HeadDim > maxDim:
		return Config{}, fmt.Errorf("llama: head_count·key_length = %d·%d is too large", c.NumHeads, c.HeadDim)
	case !(c.RMSEps >= 0) || !(c.RopeBase > 0):
		return Config{}, fmt.Errorf("llama: rms epsilon %v / rope freq_base %v out of range", c.RMSEps, c.RopeBase)
	}
	c.RopeMode = kernels.RoPENormal
	return c, nil
}
