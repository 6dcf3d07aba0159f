package llama

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/llmpipe/llmpipe/format/gguf"
)

// GGUF token types (llama.cpp's llama_token_type, tokenizer.ggml.token_type).
const (
	tokenTypeNormal      = 1
	tokenTypeControl     = 3
	tokenTypeUserDefined = 4
)

// TokenizerKVs returns every tokenizer.* metadata pair of f (the vocabulary
// llama.cpp reads: tokenizer.ggml.model, tokens, scores, token_type, merges,
// special ids and flags, tokenizer.chat_template…), to carry a GGUF model's
// vocabulary over to an exported file unchanged.
func TokenizerKVs(f *gguf.File) []gguf.KV {
	var out []gguf.KV
	for _, kv := range f.KV {
		if strings.HasPrefix(kv.Key, "tokenizer.") {
			out = append(out, kv)
		}
	}
	return out
}

// hfTokenizerJSON is the part of a HF tokenizer.json that BPETokenizerKVs
// reads.
type hfTokenizerJSON struct {
	AddedTokens []struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer   json.RawMessage `json:"normalizer"`
	PreTokenizer *struct {
		Type           string `json:"type"`
		AddPrefixSpace bool   `json:"add_prefix_space"`
		UseRegex       *bool  `json:"use_regex"`
	} `json:"pre_tokenizer"`
	Model struct {
		Type         string          `json:"type"`
		Vocab        map[string]int  `json:"vocab"`
		Merges       json.RawMessage `json:"merges"`
		ByteFallback bool            `json:"byte_fallback"`
	} `json:"model"`
}

// BPETokenizerKVs converts a byte-level BPE tokenizer.json (the GPT-2 layout
// tokenizer/bpetrain writes: model BPE, a ByteLevel pre-tokenizer with the
// GPT-2 split regex, no normalizer) to the tokenizer.* metadata llama.cpp
// reads for it, as convert_hf_to_gguf.py's _set_vocab_gpt2 writes it:
// tokenizer.ggml.model "gpt2", tokenizer.ggml.pre "gpt-2" (the GPT-2 split
// regex in llama-vocab.cpp), tokens in id order, token_type (1 normal, 3
// control for special added tokens, 4 user-defined for other added tokens),
// merges ("left right"), and bos/eos = "<|endoftext|>" when present, with
// add_bos_token false. Other tokenizer.json files (a normalizer, a custom
// split pattern, gaps in the ids) are an error naming what is unsupported.
func BPETokenizerKVs(tokenizerJSON []byte) ([]gguf.KV, error) {
	var tj hfTokenizerJSON
	if err := json.Unmarshal(tokenizerJSON, &tj); err != nil {
		return nil, fmt.Errorf("llama: tokenizer.json: %w", err)
	}
	if tj.Model.Type != "BPE" {
		return nil, fmt.Errorf("llama: tokenizer.json model type %q: only byte-level BPE is exported", tj.Model.Type)
	}
	if tj.Model.ByteFallback {
		return nil, fmt.Errorf("llama: tokenizer.json: byte_fallback BPE (SentencePiece style) is not exported")
	}
	if n := bytes.TrimSpace(tj.Normalizer); len(n) > 0 && !bytes.Equal(n, []byte("null")) {
		return nil, fmt.Errorf("llama: tokenizer.json has a normalizer (%s); only the plain GPT-2 byte-level layout is exported", n)
	}
	pt := tj.PreTokenizer
	if pt == nil || pt.Type != "ByteLevel" || pt.AddPrefixSpace || (pt.UseRegex != nil && !*pt.UseRegex) {
		return nil, fmt.Errorf("llama: tokenizer.json: the pre-tokenizer must be ByteLevel with the GPT-2 regex and no prefix space (llama.cpp pre \"gpt-2\")")
	}
	n := 0 // the largest id + 1
	for s, id := range tj.Model.Vocab {
		if id < 0 || id >= maxDim {
			return nil, fmt.Errorf("llama: tokenizer.json: token %q has id %d outside [0, %d)", s, id, maxDim)
		}
		n = max(n, id+1)
	}
	for _, a := range tj.AddedTokens {
		if a.ID < 0 || a.ID >= maxDim {
			return nil, fmt.Errorf("llama: tokenizer.json: added token %q has id %d outside [0, %d)", a.Content, a.ID, maxDim)
		}
		n = max(n, a.ID+1)
	}
	if n == 0 {
		return nil, fmt.Errorf("llama: tokenizer.json has an empty vocabulary")
	}
	if k := len(tj.Model.Vocab) + len(tj.AddedTokens); n > k {
		// checked before allocating n entries for a hostile id
		return nil, fmt.Errorf("llama: tokenizer.json: ids go up to %d but there are only %d tokens (ids must be 0..n-1 without gaps)", n-1, k)
	}
	tokens := make([]string, n)
	types := make([]int32, n)
	set := make([]bool, n)
	put := func(s string, id int, typ int32) error {
		if id < 0 || id >= n {
			return fmt.Errorf("llama: tokenizer.json: token %q has id %d outside [0, %d)", s, id, n)
		}
		if set[id] && tokens[id] != s {
			return fmt.Errorf("llama: tokenizer.json: id %d is both %q and %q", id, tokens[id], s)
		}
		tokens[id], types[id], set[id] = s, typ, true
		return nil
	}
	for s, id := range tj.Model.Vocab {
		if err := put(s, id, tokenTypeNormal); err != nil {
			return nil, err
		}
	}
	eot := -1
	for _, a := range tj.AddedTokens {
		typ := int32(tokenTypeUserDefined)
		if a.Special {
			typ = tokenTypeControl
		}
		if err := put(a.Content, a.ID, typ); err != nil {
			return nil, err
		}
		if a.Content == "<|endoftext|>" {
			eot = a.ID
		}
	}
	for id, ok := range set {
		if !ok {
			return nil, fmt.Errorf("llama: tokenizer.json: no token has id %d (ids must be 0..%d without gaps)", id, n-1)
		}
	}
	merges, err := parseMerges(tj.Model.Merges)
	if err != nil {
		return nil, err
	}
	kvs := []gguf.KV{
		{Key: "tokenizer.ggml.model", Value: gguf.MustValue("gpt2")},
		{Key: "tokenizer.ggml.pre", Value: gguf.MustValue("gpt-2")},
		{Key: "tokenizer.ggml.tokens", Value: gguf.MustValue(tokens)},
		{Key: "tokenizer.ggml.token_type", Value: gguf.MustValue(types)},
		{Key: "tokenizer.ggml.merges", Value: gguf.MustValue(merges)},
	}
	if eot >= 0 {
		kvs = append(kvs,
			gguf.KV{Key: "tokenizer.ggml.bos_token_id", Value: gguf.MustValue(uint32(eot))},
			gguf.KV{Key: "tokenizer.ggml.eos_token_id", Value: gguf.MustValue(uint32(eot))})
	}
	kvs = append(kvs, gguf.KV{Key: "tokenizer.ggml.add_bos_token", Value: gguf.MustValue(false)})
	return kvs, nil
}

// parseMerges reads model.merges: ["a b", ...] (tokenizers < 0.20) or
// [["a", "b"], ...]. Pieces holding a space cannot be written in llama.cpp's
// "a b" form and are an error.
func parseMerges(raw json.RawMessage) ([]string, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return []string{}, nil
	}
	var flat []string
	if err := json.Unmarshal(raw, &flat); err == nil {
		for i, m := range flat {
			if strings.Count(m, " ") != 1 {
				return nil, fmt.Errorf("llama: tokenizer.json: merge %d %q is not \"left right\"", i, m)
			}
		}
		return flat, nil
	}
	var pairs [][]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, fmt.Errorf("llama: tokenizer.json: merges: %w", err)
	}
	out := make([]string, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 || strings.Contains(p[0], " ") || strings.Contains(p[1], " ") {
			return nil, fmt.Errorf("llama: tokenizer.json: merge %d %q cannot be written as \"left right\"", i, p)
		}
		out[i] = p[0] + " " + p[1]
	}
	return out, nil
}
