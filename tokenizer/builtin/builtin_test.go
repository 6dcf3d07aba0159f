package builtin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/hf"
)

// hfVectors is testdata/hf_vectors.json, made by HF tokenizers from the
// embedded tokenizer.json (see testdata/PROVENANCE.md).
type hfVectors struct {
	TokenizerSHA256 string `json:"tokenizer_sha256"`
	Strings         []struct {
		IDs     []int    `json:"ids"`
		Tokens  []string `json:"tokens"`
		Decoded string   `json:"decoded"`
	} `json:"strings"`
	Corpora map[string]struct {
		Count  int    `json:"count"`
		SHA256 string `json:"sha256"`
	} `json:"corpora"`
}

func loadVectors(t *testing.T) *hfVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/hf_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v hfVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(tokenizerJSON)
	if got := hex.EncodeToString(sum[:]); got != v.TokenizerSHA256 {
		t.Fatalf("embedded tokenizer.json has sha256 %s, the HF vectors were made from %s: regenerate testdata/hf_vectors.json", got, v.TokenizerSHA256)
	}
	return &v
}

func mustTokenizer(t testing.TB) tokenizer.Tokenizer {
	t.Helper()
	tok, err := Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestShape(t *testing.T) {
	tok := mustTokenizer(t)
	if tok.VocabSize() != VocabSize {
		t.Errorf("VocabSize() = %d, want %d", tok.VocabSize(), VocabSize)
	}
	ids, err := tok.Encode("<|endoftext|>", tokenizer.EncodeOptions{ParseSpecial: true})
	if err != nil || len(ids) != 1 || ids[0] != EndOfText {
		t.Errorf("Encode(<|endoftext|>) = %v, %v; want [%d]", ids, err, EndOfText)
	}
	if len(tokenizerJSON) >= 300_000 {
		t.Errorf("tokenizer.json is %d bytes; keep it under 300 KB", len(tokenizerJSON))
	}
	if j := JSON(); string(j) != string(tokenizerJSON) || &j[0] == &tokenizerJSON[0] {
		t.Error("JSON() must return a copy of the embedded file")
	}
}

func TestLoadOnce(t *testing.T) {
	var wg sync.WaitGroup
	toks := make([]tokenizer.Tokenizer, 8)
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			toks[i] = mustTokenizer(t)
		}()
	}
	wg.Wait()
	for _, tok := range toks[1:] {
		if tok != toks[0] {
			t.Fatal("Tokenizer() returned different tokenizers")
		}
	}
}

// TestHFStrings checks the tricky strings of reference/tokenizer_vectors.json
// against HF tokenizers' output for the same tokenizer.json.
func TestHFStrings(t *testing.T) {
	v := loadVectors(t)
	ref := shared.LoadTokenizerVectors(t)
	if len(ref.Strings) != len(v.Strings) {
		t.Fatalf("%d reference strings, %d HF results", len(ref.Strings), len(v.Strings))
	}
	tok := mustTokenizer(t)
	h := tok.(*hf.Tokenizer)
	for i, s := range ref.Strings {
		want := v.Strings[i]
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			ids, err := tok.Encode(s, tokenizer.EncodeOptions{ParseSpecial: true})
			if err != nil {
				t.Fatal(err)
			}
			if !equalInts(ids, want.IDs) {
				t.Errorf("Encode(%q)\n got %v\nwant %v", s, ids, want.IDs)
			}
			toks, err := h.EncodeTokens(s, tokenizer.EncodeOptions{ParseSpecial: true})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(toks, "\x00") != strings.Join(want.Tokens, "\x00") {
				t.Errorf("tokens of %q\n got %q\nwant %q", s, toks, want.Tokens)
			}
			dec, err := tok.Decode(want.IDs, tokenizer.DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if dec != want.Decoded {
				t.Errorf("Decode = %q, want %q", dec, want.Decoded)
			}
		})
	}
}

// TestHFCorpora compares whole-file encodings (id count and hash) with HF's.
func TestHFCorpora(t *testing.T) {
	v := loadVectors(t)
	tok := mustTokenizer(t)
	for name, want := range v.Corpora {
		t.Run(name, func(t *testing.T) {
			text, err := os.ReadFile(shared.Path(t, name))
			if err != nil {
				t.Fatal(err)
			}
			ids, err := tok.Encode(string(text), tokenizer.EncodeOptions{ParseSpecial: true})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, id := range ids {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strconv.Itoa(id))
			}
			sum := sha256.Sum256([]byte(b.String()))
			if len(ids) != want.Count || hex.EncodeToString(sum[:]) != want.SHA256 {
				t.Errorf("%d ids (sha256 %x), HF has %d (sha256 %s)", len(ids), sum, want.Count, want.SHA256)
			}
			dec, err := tok.Decode(ids, tokenizer.DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if dec != string(text) {
				t.Error("decode does not give the text back")
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
