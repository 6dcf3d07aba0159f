package hf

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// hfNames are the folders under tokenizers/hf with reference vectors.
var hfNames = []string{"llama3", "qwen3", "gpt4o", "mistral7b-v0.1-from-lenml-llama2", "bert-base-uncased", "pegasus"}

var (
	loadMu sync.Mutex
	loaded = map[string]*loadResult{}
)

type loadResult struct {
	tok *Tokenizer
	err error
}

// loadShared loads tokenizers/hf/<name>/tokenizer.json once per test binary.
func loadShared(t testing.TB, name string) *Tokenizer {
	t.Helper()
	p := shared.Path(t, "tokenizers/hf/"+name+"/tokenizer.json")
	loadMu.Lock()
	defer loadMu.Unlock()
	r, ok := loaded[name]
	if !ok {
		tok, err := Load(p)
		r = &loadResult{tok, err}
		loaded[name] = r
	}
	if r.err != nil && strings.Contains(r.err.Error(), "not yet supported") {
		t.Skipf("%s: %v", name, r.err)
	}
	if r.err != nil {
		t.Fatalf("Load(%s): %v", name, r.err)
	}
	return r.tok
}

func TestReferenceVectors(t *testing.T) {
	v := shared.LoadTokenizerVectors(t)
	for _, name := range hfNames {
		t.Run(name, func(t *testing.T) {
			set := v.Set(t, "hf:"+name)
			tok := loadShared(t, name)
			for i, s := range v.Strings {
				ids, err := tok.Encode(s, tokenizer.EncodeOptions{ParseSpecial: true})
				if err != nil {
					t.Fatalf("string %d: %v", i, err)
				}
				if !slices.Equal(ids, set.IDs[i]) {
					t.Errorf("string %d %q: ids\n got %v\nwant %v", i, s, ids, set.IDs[i])
				}
				withSp, err := tok.Encode(s, tokenizer.EncodeOptions{ParseSpecial: true, AddSpecial: true})
				if err != nil {
					t.Fatalf("string %d: %v", i, err)
				}
				if !slices.Equal(withSp, set.IDsWithSpecial[i]) {
					t.Errorf("string %d %q: ids with special tokens\n got %v\nwant %v", i, s, withSp, set.IDsWithSpecial[i])
				}
				toks, err := tok.EncodeTokens(s, tokenizer.EncodeOptions{ParseSpecial: true})
				if err != nil {
					t.Fatalf("string %d: %v", i, err)
				}
				if !slices.Equal(toks, set.Tokens[i]) {
					t.Errorf("string %d %q: tokens\n got %q\nwant %q", i, s, toks, set.Tokens[i])
				}
				dec, err := tok.Decode(set.IDs[i], tokenizer.DecodeOptions{})
				if err != nil {
					t.Fatalf("string %d: decode: %v", i, err)
				}
				if dec != set.Decoded[i] {
					t.Errorf("string %d: decode\n got %q\nwant %q", i, dec, set.Decoded[i])
				}
			}
		})
	}
}
