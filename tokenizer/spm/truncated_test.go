package spm

import (
	"os"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
)

// TestParseTruncatedLlama2 cuts Llama 2's tokenizer.model at many lengths,
// including exact piece boundaries (where the protobuf is still well-formed),
// and requires an error every time instead of a smaller, wrong model.
func TestParseTruncatedLlama2(t *testing.T) {
	data, err := os.ReadFile(shared.Path(t, "tokenizers/llama2-sentencepiece/tokenizer.model"))
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(data); n += 1 + n/7 {
		if _, err := Parse(data[:n]); err == nil {
			t.Fatalf("Parse of the first %d of %d bytes succeeded", n, len(data))
		}
	}
	// 2000 bytes ends exactly on a piece boundary.
	_, err = Parse(data[:2000])
	if err == nil || !strings.Contains(err.Error(), "trainer_spec") {
		t.Errorf("Parse(first 2000 bytes) = %v, want an error naming the missing trainer_spec", err)
	}
	if _, err := Parse(data); err != nil {
		t.Fatalf("whole file: %v", err)
	}
}
