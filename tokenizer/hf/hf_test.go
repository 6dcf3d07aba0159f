package hf

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
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

// corpusRef is one line of peers/results_hf_{whole,lines}.jsonl (native HF
// tokenizers on corpora/tinyshakespeare.txt): token count and sha256 of the
// ids as little-endian uint32.
type corpusRef struct {
	tokens int
	sha    string
}

// Reference values copied from /work/shared/peers/results_hf_whole.jsonl and
// results_hf_lines.jsonl (lib "@anush008/tokenizers@0.6.0(native)").
var shakespeareRefs = map[string]struct{ whole, lines corpusRef }{
	"llama3": {
		corpusRef{301768, "db543eccd29ae8eff96d8a99223f09f4ee46c578792f98718e1ef85ee1dc3cfd"},
		corpusRef{308986, "32106d8017a735698e5fe5be7d1e6ec514b12437f62402fbb4b864554624f212"},
	},
	"qwen3": {
		corpusRef{301829, "3ade215e4c72289718114f53c0b72cc56d44f367aeeca69fa930c8beef967f64"},
		corpusRef{309047, "a8e704207fc9be1bfe36002d16f8fc8d204bf532f9430204f7bff5c7ec4df96b"},
	},
	"gpt4o": {
		corpusRef{297606, "5f27fd8a77c3acbc33cef2fafdef7ade3475d910dee9919b341a120014799d4a"},
		corpusRef{304821, "165e23a30a82319b7f3443b7031f5c804dcd05850311c80801a5a5dfd45e30ab"},
	},
	// "tokenizers/hf/llama2" in the results files.
	"mistral7b-v0.1-from-lenml-llama2": {
		corpusRef{361972, "da9677553e88f7b5f8b209c118abe1c271bae025da4318de02953f78a62e3915"},
		corpusRef{367302, "b38ac9c3051e2c4c004b3a8c1d8b50faef039e129101856974f927f7592ecdae"},
	},
	"bert-base-uncased": {
		corpusRef{288719, "6bf0df1ccd8eb08a8cfe266660d0b14d628bc3baae93d6230dd4e3e00288aa37"},
		corpusRef{288719, "6bf0df1ccd8eb08a8cfe266660d0b14d628bc3baae93d6230dd4e3e00288aa37"},
	},
	// Whole: the native run applied the file's truncation (max_length 192).
	"pegasus": {
		corpusRef{192, "ee37e065bfd4d6f72424c63c4dd593c0f9be88d6b1d4333632d8ed09e47c6dcb"},
		corpusRef{290035, "1d290897c702c5f006c53d66992d2b3abd16cf2913edc692913fa4f59ce6a4bb"},
	},
}

// idsSha256 is hf_tokenizers_bench.mjs's hash: sha256 of the ids as
// little-endian uint32.
func idsSha256(ids []int) string {
	b := make([]byte, 4*len(ids))
	for i, id := range ids {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(id))
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// splitLines is JavaScript's text.split(/(?<=\n)/): lines with their newline.
func splitLines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

var (
	corpusOnce sync.Once
	corpus     string
	corpusErr  error
)

func shakespeare(t testing.TB) string {
	p := shared.Path(t, "corpora/tinyshakespeare.txt")
	corpusOnce.Do(func() {
		b, err := os.ReadFile(p)
		corpus, corpusErr = string(b), err
	})
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	return corpus
}

func TestShakespeareCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-corpus check skipped in -short mode")
	}
	text := shakespeare(t)
	for _, name := range hfNames {
		ref := shakespeareRefs[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tok := loadShared(t, name)
			whole, err := tok.Encode(text, tokenizer.EncodeOptions{ParseSpecial: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(whole) != ref.whole.tokens || idsSha256(whole) != ref.whole.sha {
				t.Errorf("whole: %d tokens sha256 %s, want %d %s", len(whole), idsSha256(whole), ref.whole.tokens, ref.whole.sha)
			}
			var lines []int
			for _, l := range splitLines(text) {
				ids, err := tok.Encode(l, tokenizer.EncodeOptions{ParseSpecial: true})
				if err != nil {
					t.Fatal(err)
				}
				lines = append(lines, ids...)
			}
			if len(lines) != ref.lines.tokens || idsSha256(lines) != ref.lines.sha {
				t.Errorf("lines: %d tokens sha256 %s, want %d %s", len(lines), idsSha256(lines), ref.lines.tokens, ref.lines.sha)
			}
		})
	}
}
