package spm

import (
	"slices"
	"sync"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

const llama2Model = "tokenizers/llama2-sentencepiece/tokenizer.model"

var (
	llama2Once sync.Once
	llama2Tok  *Tokenizer
	llama2Err  error
)

// llama2 loads Llama 2's tokenizer.model once per test binary.
func llama2(t testing.TB) *Tokenizer {
	t.Helper()
	p := shared.Path(t, llama2Model)
	llama2Once.Do(func() { llama2Tok, llama2Err = Load(p) })
	if llama2Err != nil {
		t.Fatal(llama2Err)
	}
	return llama2Tok
}

func TestLlama2Options(t *testing.T) {
	tok := llama2(t)
	o := tok.Options()
	// Llama 2's model: BPE, identity normalizer, dummy prefix, whitespace kept.
	want := Options{Model: BPE, AddDummyPrefix: true, RemoveExtraWhitespaces: false, EscapeWhitespaces: true,
		ByteFallback: true, AddBOS: true, BOS: 1, EOS: 2, UNK: 0, PAD: -1}
	o.Charsmap = nil
	if !equalOptions(o, want) {
		t.Errorf("Options = %+v, want %+v", o, want)
	}
	if tok.VocabSize() != 32000 {
		t.Errorf("VocabSize = %d, want 32000", tok.VocabSize())
	}
}

func equalOptions(a, b Options) bool {
	return a.Model == b.Model && a.AddDummyPrefix == b.AddDummyPrefix && a.RemoveExtraWhitespaces == b.RemoveExtraWhitespaces &&
		a.EscapeWhitespaces == b.EscapeWhitespaces && a.ByteFallback == b.ByteFallback && a.AddBOS == b.AddBOS &&
		a.AddEOS == b.AddEOS && a.BOS == b.BOS && a.EOS == b.EOS && a.UNK == b.UNK && a.PAD == b.PAD &&
		len(a.Charsmap) == len(b.Charsmap)
}

func TestLlama2ReferenceVectors(t *testing.T) {
	tok := llama2(t)
	v := shared.LoadTokenizerVectors(t)
	set := v.Set(t, "sentencepiece:llama2-tokenizer.model")
	for i, s := range v.Strings {
		ids, err := tok.Encode(s, tokenizer.EncodeOptions{})
		if err != nil {
			t.Fatalf("string %d: %v", i, err)
		}
		if !slices.Equal(ids, set.IDs[i]) {
			t.Errorf("string %d %q:\n ids  %v\n want %v", i, s, ids, set.IDs[i])
		}
		pieces, err := tok.Pieces(s)
		if err != nil {
			t.Fatalf("string %d: %v", i, err)
		}
		if !slices.Equal(pieces, set.Pieces[i]) {
			t.Errorf("string %d %q:\n pieces %q\n want   %q", i, s, pieces, set.Pieces[i])
		}
		// SentencePiece's decode removes only the dummy prefix's space, so
		// every one of these strings (none has invalid UTF-8) round-trips.
		got, err := tok.Decode(set.IDs[i], tokenizer.DecodeOptions{})
		if err != nil {
			t.Fatalf("string %d: %v", i, err)
		}
		if got != s {
			t.Errorf("string %d: Decode = %q, want %q", i, got, s)
		}
	}
}

// TestLlama2Concurrent encodes from several goroutines at once (the
// tokenizer shares its word cache) and compares with a sequential run.
func TestLlama2Concurrent(t *testing.T) {
	tok := llama2(t)
	v := shared.LoadTokenizerVectors(t)
	set := v.Set(t, "sentencepiece:llama2-tokenizer.model")
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(v.Strings))
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				for i, s := range v.Strings {
					ids, _ := tok.Encode(s, tokenizer.EncodeOptions{})
					if !slices.Equal(ids, set.IDs[i]) {
						errs <- s
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Errorf("concurrent Encode(%q) differs from the reference", s)
	}
}
