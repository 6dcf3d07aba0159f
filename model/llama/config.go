package llama

import (
	"fmt"
	"slices"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/kernels"
)

// ArchName is the general.architecture value of the original Llama
// architecture.
const ArchName = "llama"

// ropeModes lists the general.architecture values this package runs, all
// Llama-shaped networks (llama.cpp's llm_build_llama, llm_build_qwen2,
// llm_build_qwen3), with the RoPE pairing llama.cpp gives each
// (llama_model_rope_type): Qwen2 adds q/k/v biases, Qwen3 RMS-normalizes
// each query and key head before RoPE; both use the NeoX pairing.
var ropeModes = map[string]kernels.RoPEMode{
	"llama": kernels.RoPENormal,
	"qwen2": kernels.RoPENeoX,
	"qwen3": kernels.RoPENeoX,
}

// Config is the shape of a Llama-family network, from GGUF metadata ARCH.*
// (ARCH = general.architecture: llama.*, qwen2.*, qwen3.*).
type Config struct {
	Arch          string  // general.architecture ("llama" for llama2.c and HF checkpoints)
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

// ConfigFromGGUF reads the ARCH.* metadata of f (ARCH one of the
// general.architecture values Archs lists). It does not look at tensors:
// VocabSize is left 0.
func ConfigFromGGUF(f *gguf.File) (Config, error) {
	arch, _ := f.String("general.architecture")
	mode, ok := ropeModes[arch]
	if !ok {
		return Config{}, fmt.Errorf("llama: general.architecture is %q, not one of %v", arch, archNames())
	}
	c := Config{Arch: arch}
	var err error
	req := func(key string, dst *int) {
		if err != nil {
			return
		}
		v, ok := f.Uint(arch + "." + key)
		if !ok {
			err = fmt.Errorf("llama: missing or non-integer metadata %s.%s", arch, key)
			return
		}
		if v == 0 || v > maxDim {
			err = fmt.Errorf("llama: metadata %s.%s = %d out of range [1, %d]", arch, key, v, maxDim)
			return
		}
		*dst = int(v)
	}
	opt := func(key string, dst *int, def int) {
		if err != nil {
			return
		}
		if _, ok := f.Value(arch + "." + key); !ok {
			*dst = def
			return
		}
		req(key, dst)
	}
	float := func(key string, def float64) float32 {
		v, ok := f.Value(arch + "." + key)
		if !ok {
			return float32(def)
		}
		x, ok := v.Float()
		if !ok {
			if err == nil {
				err = fmt.Errorf("llama: metadata %s.%s is %v, not a number", arch, key, v)
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
		if _, ok := f.Value(arch + ".attention.key_length"); !ok {
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
	if typ, ok := f.String(arch + ".rope.scaling.type"); ok && typ != "none" {
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
	c.RopeMode = mode
	return c, nil
}

// archNames returns the supported general.architecture values, sorted.
func archNames() []string {
	names := make([]string, 0, len(ropeModes))
	for n := range ropeModes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
