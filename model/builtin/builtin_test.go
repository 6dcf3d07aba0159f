package builtin

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"unicode"

	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// TestEmbeddedFileSHA256 holds the embedded GGUF file to the sha256
// recorded in SHA256 and docs/MODEL_CARD.md.
func TestEmbeddedFileSHA256(t *testing.T) {
	sum := sha256.Sum256(GGUF())
	if got := hex.EncodeToString(sum[:]); got != SHA256 {
		t.Fatalf("embedded %s.gguf has sha256 %s, want %s (update SHA256 and docs/MODEL_CARD.md with the file)", Name, got, SHA256)
	}
	if len(ggufFile) > 8<<20 {
		t.Fatalf("embedded model is %d bytes, over the 8 MiB budget", len(ggufFile))
	}
}

// TestLoadGeneratesText loads the model and greedily continues "Once upon
// a time": the continuation is non-empty printable text made of words.
func TestLoadGeneratesText(t *testing.T) {
	m, tok, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if m.Arch() != "llama" || m.VocabSize() != tok.VocabSize() {
		t.Fatalf("arch %q, vocab %d, tokenizer vocab %d", m.Arch(), m.VocabSize(), tok.VocabSize())
	}
	ids, err := tok.Encode("Once upon a time", tokenizer.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seq := m.NewSequence(model.SequenceOptions{})
	var out []int
	for range 24 {
		logits, err := seq.Forward(ids, false)
		if err != nil {
			t.Fatal(err)
		}
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		out = append(out, best)
		ids = []int{best}
	}
	text, err := tok.Decode(out, tokenizer.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Once upon a time%s", text)
	letters := 0
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
		}
		if !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			t.Fatalf("continuation %q has the unprintable %q", text, r)
		}
	}
	if letters < 20 || len(strings.Fields(text)) < 5 {
		t.Fatalf("continuation %q is not a few words of text", text)
	}
}

// TestLoadReturnsNewModels: each Load is independent, so a caller that
// changes one model's configuration does not change another's.
func TestLoadReturnsNewModels(t *testing.T) {
	a, _, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("Load returned the same model twice")
	}
}
