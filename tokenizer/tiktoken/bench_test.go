package tiktoken

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

// benchCorpora are the corpora of peers/results_tiktoken.jsonl.
var benchCorpora = []string{
	"corpora/tinyshakespeare.txt",
	"corpora/wikitext-2-raw-test.hfrows.crlf.txt",
	"corpora/tinystories_sample_2MiB.txt",
}

// TestLoadTime logs how long building cl100k_base from its file takes
// (reading, sha256, parsing, indexing, compiling the pattern); the target is
// under 50 ms. It asserts only that the load works.
func TestLoadTime(t *testing.T) {
	path := shared.Path(t, "tokenizers/tiktoken/cl100k_base.tiktoken")
	best := time.Duration(1 << 62)
	for i := 0; i < 3; i++ {
		start := time.Now()
		e, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		best = min(best, time.Since(start))
		if e.VocabSize() != 100277 {
			t.Fatalf("VocabSize %d, want 100277", e.VocabSize())
		}
	}
	t.Logf("cl100k_base: Open took %v (best of 3)", best)
}

func BenchmarkLoadCl100k(b *testing.B) {
	path := shared.Path(b, "tokenizers/tiktoken/cl100k_base.tiktoken")
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode is EncodeOrdinary on whole corpus files, one goroutine.
func BenchmarkEncode(b *testing.B) {
	for _, name := range []string{"cl100k_base", "o200k_base"} {
		for _, rel := range benchCorpora {
			b.Run(name+"/"+filepath.Base(rel), func(b *testing.B) {
				e := sharedEncoding(b, name)
				text := readCorpus(b, rel)
				b.SetBytes(int64(len(text)))
				b.ReportAllocs()
				for b.Loop() {
					e.EncodeOrdinary(text)
				}
			})
		}
	}
}

// BenchmarkEncodeBatch is EncodeBatch over each corpus cut into its lines,
// with 1 and 2 workers.
func BenchmarkEncodeBatch(b *testing.B) {
	for _, name := range []string{"cl100k_base", "o200k_base"} {
		for _, rel := range benchCorpora {
			for _, workers := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/workers=%d", name, filepath.Base(rel), workers), func(b *testing.B) {
					e := sharedEncoding(b, name)
					text := readCorpus(b, rel)
					lines := strings.SplitAfter(text, "\n")
					b.SetBytes(int64(len(text)))
					b.ReportAllocs()
					for b.Loop() {
						e.EncodeBatch(lines, workers)
					}
				})
			}
		}
	}
}

// BenchmarkSplit is the pre-tokenizer alone (tokenizer/pretok), to show how
// encoding time divides between splitting and merging.
func BenchmarkSplit(b *testing.B) {
	for _, name := range []string{"cl100k_base", "o200k_base"} {
		b.Run(name, func(b *testing.B) {
			spec, _ := SpecFor(name)
			s, err := pretok.Compile(spec.Pattern)
			if err != nil {
				b.Fatal(err)
			}
			text := readCorpus(b, benchCorpora[0])
			b.SetBytes(int64(len(text)))
			var spans []pretok.Span
			for b.Loop() {
				spans = s.FindAll(spans[:0], text)
			}
		})
	}
}

// BenchmarkMerge is the rank lookups and merging alone, over the pieces of
// TinyShakespeare (split once, outside the timer).
func BenchmarkMerge(b *testing.B) {
	for _, bc := range []struct {
		name    string
		noCache bool
	}{{"cl100k_base", false}, {"cl100k_base/nocache", true}, {"o200k_base", false}, {"o200k_base/nocache", true}} {
		name := strings.TrimSuffix(bc.name, "/nocache")
		b.Run(bc.name, func(b *testing.B) {
			noPieceCache = bc.noCache
			defer func() { noPieceCache = false }()
			e := sharedEncoding(b, name)
			text := readCorpus(b, benchCorpora[0])
			spans := e.split.FindAll(nil, text)
			b.SetBytes(int64(len(text)))
			dst := make([]int, 0, len(text)/3)
			sc := new(scratch)
			for b.Loop() {
				dst = dst[:0]
				for _, s := range spans {
					dst = e.ranks.appendPiece(dst, text[s.Start:s.End], sc)
				}
			}
		})
	}
}
