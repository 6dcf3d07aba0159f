package tiktoken

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/internal/shared"
)

// corpusRef is one line of peers/results_tiktoken.jsonl (tiktoken's WASM
// build and js-tiktoken on whole corpus files).
type corpusRef struct {
	File      string `json:"file"`
	Bytes     int    `json:"bytes"`
	Encoding  string `json:"encoding"`
	Lib       string `json:"lib"`
	Tokens    int    `json:"tokens"`
	IDsSHA256 string `json:"idsSha256"`
}

// corpusFiles maps the names results_tiktoken.jsonl uses to the shared
// corpora (the sizes in the results pin the exact files).
var corpusFiles = map[string]string{
	"corpora/tinyshakespeare.txt":     "corpora/tinyshakespeare.txt",
	"corpora/wiki.test.raw":           "corpora/wikitext-2-raw-test.hfrows.crlf.txt",
	"corpora/tinystories_sample.txt":  "corpora/tinystories_sample_2MiB.txt",
	"corpora/wikitext-2-raw-test.txt": "corpora/wikitext-2-raw-test.hfrows.crlf.txt",
}

// idsSHA256 hashes ids as tiktoken_bench.mjs does: sha256 over the ids as
// little-endian uint32s (Buffer.from(Uint32Array.from(ids).buffer)).
func idsSHA256(ids []int) string {
	buf := make([]byte, 4*len(ids))
	for i, id := range ids {
		binary.LittleEndian.PutUint32(buf[4*i:], uint32(id))
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

func loadCorpusRefs(t testing.TB) []corpusRef {
	t.Helper()
	// results_tiktoken.jsonl lives in ../peers beside the data folder.
	p := filepath.Join(filepath.Dir(shared.Dir(t)), "peers", "results_tiktoken.jsonl")
	f, err := os.Open(p)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("peer results %s: %v (CI=true requires them)", p, err)
		}
		t.Skipf("peer results %s: %v", p, err)
	}
	defer f.Close()
	var refs []corpusRef
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r corpusRef
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if strings.HasPrefix(r.Lib, "tiktoken(wasm)") {
			refs = append(refs, r)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(refs) == 0 {
		t.Fatalf("%s: no tiktoken(wasm) rows", p)
	}
	return refs
}

var (
	corpusMu    sync.Mutex
	corpusCache = map[string]string{}
)

// readCorpus reads a shared corpus once per test binary.
func readCorpus(t testing.TB, rel string) string {
	t.Helper()
	p := shared.Path(t, rel)
	corpusMu.Lock()
	defer corpusMu.Unlock()
	if s, ok := corpusCache[rel]; ok {
		return s
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	corpusCache[rel] = string(b)
	return string(b)
}

// TestCorpora encodes whole corpus files and compares the token count and the
// ids' sha256 with tiktoken's (peers/results_tiktoken.jsonl).
func TestCorpora(t *testing.T) {
	refs := loadCorpusRefs(t)
	for _, ref := range refs {
		rel, ok := corpusFiles[ref.File]
		if !ok {
			t.Errorf("results_tiktoken.jsonl names unknown corpus %q", ref.File)
			continue
		}
		t.Run(ref.Encoding+"/"+filepath.Base(rel), func(t *testing.T) {
			t.Parallel()
			text := readCorpus(t, rel)
			if len(text) != ref.Bytes {
				t.Fatalf("%s has %d bytes, the reference run had %d", rel, len(text), ref.Bytes)
			}
			e := sharedEncoding(t, ref.Encoding)
			start := time.Now()
			ids := e.EncodeOrdinary(text)
			el := time.Since(start)
			t.Logf("%d tokens in %v (%.1f MB/s)", len(ids), el, float64(len(text))/1e6/el.Seconds())
			if len(ids) != ref.Tokens {
				t.Errorf("%d tokens, tiktoken has %d", len(ids), ref.Tokens)
			}
			if got := idsSHA256(ids); got != ref.IDsSHA256 {
				t.Errorf("ids sha256 %s, tiktoken's is %s", got, ref.IDsSHA256)
			}
		})
	}
}
