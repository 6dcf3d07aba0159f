package builtin

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/llmpipe/llmpipe/model"
)

// TestGreedyMatchesLlamaCpp: the embedded model — trained and exported by
// llmpipe — gives llama.cpp's 48 greedy ids after the same prompt ids, with
// llama.cpp's f16 KV cache (testdata/llamacpp_greedy.json).
func TestGreedyMatchesLlamaCpp(t *testing.T) {
	b, err := os.ReadFile("testdata/llamacpp_greedy.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		SHA256       string `json:"sha256"`
		PromptTokens []int  `json:"promptTokens"`
		GreedyIDs    []int  `json:"greedyIds"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if ref.SHA256 != SHA256 {
		t.Fatalf("the reference was made on sha256 %s, the embedded file is %s: rerun llama.cpp (testdata/PROVENANCE.md)", ref.SHA256, SHA256)
	}
	m, _, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	seq := m.NewSequence(model.SequenceOptions{KVF16: true})
	logits, err := seq.Forward(ref.PromptTokens, false)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for len(ids) < len(ref.GreedyIDs) {
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		ids = append(ids, best)
		if logits, err = seq.Forward([]int{best}, false); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(ids, ref.GreedyIDs) {
		t.Errorf("greedy ids\n got %v\nwant %v (llama.cpp)", ids, ref.GreedyIDs)
	}
}
