package spm

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// naiveSegment is bpe_model.cc's algorithm written as plainly as possible
// (quadratic, on strings): the specification the fast path is checked
// against. It takes the normalized text and returns the model's pieces
// before byte fallback.
func naiveSegment(t *Tokenizer, norm string) []string {
	var syms []string
	var freeze []bool
	for norm != "" {
		n := t.user.match(norm)
		f := n > 0
		if n == 0 {
			n = min(oneCharLen(norm[0]), len(norm))
		}
		syms = append(syms, norm[:n])
		freeze = append(freeze, f)
		norm = norm[n:]
	}
	for {
		best, at := float32(0), -1
		for i := 0; i+1 < len(syms); i++ {
			if freeze[i] || freeze[i+1] {
				continue
			}
			info, ok := t.normal[syms[i]+syms[i+1]]
			if ok && (at < 0 || info.score > best) {
				best, at = info.score, i
			}
		}
		if at < 0 {
			return syms
		}
		syms = slices.Replace(syms, at, at+2, syms[at]+syms[at+1])
		freeze = slices.Delete(freeze, at, at+1)
	}
}

// naiveEncode is naiveSegment followed by PopulateSentencePieceText's byte
// fallback and unknown fusing (models without unused pieces).
func naiveEncode(t *Tokenizer, text string) []int {
	norm := string(t.normalize(nil, text))
	var ids []int
	prevUnk := false
	for _, w := range naiveSegment(t, norm) {
		id := t.pieceToID(w)
		unk := t.isUnknown(id)
		switch {
		case unk && t.opts.ByteFallback:
			for _, b := range []byte(w) {
				ids = append(ids, int(t.byteID[b]))
			}
		case unk && prevUnk:
		default:
			ids = append(ids, int(id))
		}
		prevUnk = unk
	}
	return ids
}

// TestLlama2MatchesNaive checks the fast segmenter (cut at spaces, merge
// table by id pairs, heap) against the plain algorithm on TinyShakespeare
// paragraphs.
func TestLlama2MatchesNaive(t *testing.T) {
	tok := llama2(t)
	data, err := os.ReadFile(shared.Path(t, "corpora/tinyshakespeare.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// The naive algorithm is quadratic: check the first 40 kB.
	paras := strings.Split(string(data[:40000]), "\n\n")
	for i, p := range paras {
		got, _ := tok.Encode(p, tokenizer.EncodeOptions{})
		want := naiveEncode(tok, p)
		if !slices.Equal(got, want) {
			t.Fatalf("paragraph %d %q:\n got  %v\n want %v", i, p, got, want)
		}
	}
}
