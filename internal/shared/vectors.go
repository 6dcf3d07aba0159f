package shared

import (
	"encoding/json"
	"os"
	"testing"
)

// TokenizerVectors is reference/tokenizer_vectors.json: tricky strings and,
// per tokenizer, the ids independent tools (tiktoken, HF tokenizers,
// SentencePiece, llama.cpp) produced for them.
type TokenizerVectors struct {
	Strings    []string                   `json:"strings"`
	Tokenizers map[string]VectorSet       `json:"tokenizers"`
	Chat       map[string]ChatTemplateRef `json:"chatTemplates"`
}

// VectorSet is one tokenizer's reference output; IDs[i] belongs to Strings[i].
type VectorSet struct {
	Impl string `json:"impl"`
	// File is the tokenizer file, relative to the shared data folder (HF sets).
	File string `json:"file"`
	// IDs are the ids without special tokens added.
	IDs [][]int `json:"ids"`
	// IDsWithSpecial are the ids with add_special_tokens=True (HF sets).
	IDsWithSpecial [][]int `json:"idsWithSpecialTokens"`
	// Tokens are the token strings (HF sets); Pieces likewise (SentencePiece).
	Tokens [][]string `json:"tokens"`
	Pieces [][]string `json:"pieces"`
	// Decoded is decode(ids) (HF sets).
	Decoded []string `json:"decoded"`
	// BOS and EOS are the ids llama.cpp reports (llama.cpp sets).
	BOS *int `json:"bos"`
	EOS *int `json:"eos"`
}

// ChatTemplateRef is transformers.js's apply_chat_template output.
type ChatTemplateRef struct {
	Impl           string            `json:"impl"`
	TemplateSource string            `json:"template_source"`
	Messages       []json.RawMessage `json:"messages"`
	Text           string            `json:"text"`
	IDs            []int             `json:"ids"`
}

// LoadTokenizerVectors reads reference/tokenizer_vectors.json, skipping t when
// it is absent (failing under CI=true).
func LoadTokenizerVectors(t testing.TB) *TokenizerVectors {
	t.Helper()
	b, err := os.ReadFile(Path(t, "reference/tokenizer_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v TokenizerVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("reference/tokenizer_vectors.json: %v", err)
	}
	return &v
}

// Set returns the vector set named key ("tiktoken:cl100k_base", "hf:llama3"…),
// failing t when it is missing.
func (v *TokenizerVectors) Set(t testing.TB, key string) VectorSet {
	t.Helper()
	s, ok := v.Tokenizers[key]
	if !ok {
		t.Fatalf("tokenizer_vectors.json has no set %q", key)
	}
	return s
}
