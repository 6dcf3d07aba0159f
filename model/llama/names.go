package llama

import "fmt"

// GGUF tensor names of the Llama architecture (llama.cpp's LLM_TENSOR_NAMES).
const (
	nameTokenEmbd  = "token_embd.weight"
	nameOutputNorm = "output_norm.weight"
	nameOutput     = "output.weight" // absent when tied to token_embd
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
)

// blockName is the GGUF name of weight what in block il.
func blockName(il int, what string) string {
	return fmt.Sprintf("blk.%d.%s.weight", il, what)
}
