package hf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// TestSeedFiles checks that the hand-written seed files (which exercise the
// less common components) parse, encode and decode.
func TestSeedFiles(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.json")
	if len(paths) == 0 {
		t.Fatal("no testdata/*.json")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			ids, err := tok.Encode("A ab Hey, 12 [SEP] x", tokenizer.EncodeOptions{ParseSpecial: true, AddSpecial: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) == 0 {
				t.Fatal("no ids")
			}
			if tr := tok.Truncation(); tr != nil && len(ids) > tr.MaxLength {
				t.Errorf("%d ids exceed truncation max_length %d", len(ids), tr.MaxLength)
			}
			if _, err := tok.Decode(ids, tokenizer.DecodeOptions{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
