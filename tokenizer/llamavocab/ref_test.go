package llamavocab

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

var (
	vocabMu    sync.Mutex
	vocabCache = map[string]*Vocab{}
)

// loadShared loads (once per test binary) the vocabulary of a shared .gguf.
func loadShared(t testing.TB, rel string) *Vocab {
	t.Helper()
	p := shared.Path(t, rel)
	vocabMu.Lock()
	defer vocabMu.Unlock()
	if v, ok := vocabCache[rel]; ok {
		return v
	}
	f, err := gguf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := Load(f)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	vocabCache[rel] = v
	return v
}

// TestReferenceVectors checks the llama.cpp:* sets of
// reference/tokenizer_vectors.json (node-llama-cpp model.tokenize: no BOS,
// specials not parsed).
func TestReferenceVectors(t *testing.T) {
	vec := shared.LoadTokenizerVectors(t)
	n := 0
	for key, set := range vec.Tokenizers {
		rel, ok := strings.CutPrefix(key, "llama.cpp:")
		if !ok {
			continue
		}
		n++
		t.Run(rel, func(t *testing.T) {
			v := loadShared(t, rel)
			if set.BOS != nil && *set.BOS != v.bos {
				t.Errorf("bos %d, want %d", v.bos, *set.BOS)
			}
			if set.EOS != nil && *set.EOS != v.eos {
				t.Errorf("eos %d, want %d", v.eos, *set.EOS)
			}
			if set.EOS == nil && v.eos != null {
				t.Errorf("eos %d, want none", v.eos)
			}
			for i, s := range vec.Strings {
				got, err := v.Encode(s, tokenizer.EncodeOptions{})
				if err != nil {
					t.Fatalf("string %d: %v", i, err)
				}
				if want := set.IDs[i]; !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Errorf("string %d %q:\n got %v\nwant %v", i, s, got, want)
				}
			}
		})
	}
	if n < 5 {
		t.Errorf("only %d llama.cpp sets in tokenizer_vectors.json", n)
	}
}

// vocabCases reads a test-tokenizer-0 pair: the .inp holds the cases, each
// followed by "\n__ggml_vocab_test__\n"; the .out holds one line of
// space-separated ids per case (llama_tokenize with add_special=false,
// parse_special=false).
func vocabCases(t *testing.T, inp, outp string) ([]string, [][]int) {
	t.Helper()
	in, err := os.ReadFile(inp)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(outp)
	if err != nil {
		t.Fatal(err)
	}
	cases := strings.Split(string(in), "\n__ggml_vocab_test__\n")
	if cases[len(cases)-1] == "" {
		cases = cases[:len(cases)-1]
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("%d cases but %d result lines", len(cases), len(lines))
	}
	ids := make([][]int, len(lines))
	for i, l := range lines {
		for _, f := range strings.Fields(l) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%s line %d: %v", outp, i+1, err)
			}
			ids[i] = append(ids[i], n)
		}
	}
	return cases, ids
}

// TestLlamaCppVocabCases runs every .inp/.out pair whose .gguf is present.
func TestLlamaCppVocabCases(t *testing.T) {
	dir := filepath.Join(shared.Dir(t), "tokenizers", "llama.cpp-vocab")
	inps, _ := filepath.Glob(filepath.Join(dir, "*.gguf.inp"))
	ran := 0
	for _, inp := range inps {
		g := strings.TrimSuffix(inp, ".inp")
		if _, err := os.Stat(g); err != nil {
			continue
		}
		ran++
		name := filepath.Base(g)
		t.Run(name, func(t *testing.T) {
			v := loadShared(t, "tokenizers/llama.cpp-vocab/"+name)
			cases, want := vocabCases(t, inp, g+".out")
			for i, c := range cases {
				got, err := v.Encode(c, tokenizer.EncodeOptions{})
				if err != nil {
					t.Fatalf("case %d: %v", i, err)
				}
				if !slices.Equal(got, want[i]) && !(len(got) == 0 && len(want[i]) == 0) {
					t.Errorf("case %d %q:\n got %v\nwant %v", i, c, got, want[i])
				}
			}
		})
	}
	if ran == 0 {
		t.Fatal("no .inp/.out pair with its .gguf")
	}
	t.Logf("%d vocabularies", ran)
}

var _ = fmt.Sprint
