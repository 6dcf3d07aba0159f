package llama

import "fmt"

// GGUF tensor names of the Llama architecture (llama.cpp's LLM_TENSOR_NAMES).
const (
	nameTokenEmbd  = "token_embd.weight"
	nameOutputNorm = "output_norm.weight"
	nameOutput     = "output.weight"     // absent when tied to token_embd
	nameRopeFreqs  = "rope_freqs.weight" // optional: RoPE frequency factors
)

// Per-block tensor names: blockName(il, nameAttnQ) = "blk.<il>.attn_q.weight".
const (
	nameAttnNorm   = "attn_norm"
	nameAttnQ      = "attn_q"
	nameAttnK      = "attn_k"
	nameAttnV      = "attn_v"
	nameAttnOutput = "attn_output"
	nameFFNNorm    = "ffn_norm"
	nameFFNGate    = "ffn_gate"
	nameFFNUp      = "ffn_up"
	nameFFNDown    = "ffn_down"
	nameAttnQNorm  = "attn_q_norm" // Qwen3
	nameAttnKNorm  = "attn_k_norm" // Qwen3
)

// blockName is the GGUF name of weight what in block il.
func blockName(il int, what string) string {
	return fmt.Sprintf("blk.%d.%s.weight", il, what)
}

// blockBias is the GGUF name of the bias of what in block il
// ("blk.<il>.attn_q.bias").
func blockBias(il int, what string) string {
	return fmt.Sprintf("blk.%d.%s.bias", il, what)
}
