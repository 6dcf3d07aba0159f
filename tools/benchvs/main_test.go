//go:build linux

package main

import (
	"math"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
)

func TestSumWords(t *testing.T) {
	for n := range 40 {
		b := make([]uint64, n)
		var want uint64
		for i := range b {
			b[i] = uint64(i*i + 1)
			want += b[i]
		}
		if got := sumWords(b); got != want {
			t.Errorf("n=%d: %d, want %d", n, got, want)
		}
		for _, th := range []int{1, 2, 3} {
			if _, got := readPass(b, th); got != want {
				t.Errorf("n=%d threads=%d: %d, want %d", n, th, got, want)
			}
		}
	}
}

// BenchmarkReadBandwidth streams a 1 GiB buffer with 1 and 2 goroutines
// (SetBytes: go test reports MB/s = 1e6 bytes/s). benchvs -bandwidth prints
// the same measurement as a table.
func BenchmarkReadBandwidth(b *testing.B) {
	buf := newBandwidthBuffer()
	for _, th := range []int{1, 2} {
		b.Run(map[int]string{1: "threads=1", 2: "threads=2"}[th], func(b *testing.B) {
			b.SetBytes(int64(len(buf) * 8))
			for b.Loop() {
				readPass(buf, th)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in          []float64
		med, lo, hi float64
	}{
		{nil, 0, 0, 0},
		{[]float64{3}, 3, 3, 3},
		{[]float64{5, 1, 3}, 3, 1, 5},
		{[]float64{4, 1, 3, 2}, 2.5, 1, 4},
	} {
		m, lo, hi := median(tc.in)
		if m != tc.med || lo != tc.lo || hi != tc.hi {
			t.Errorf("median(%v) = %v %v %v", tc.in, m, lo, hi)
		}
	}
}

// TestParseEngineJSON reads the line each engine prints: llmpipe bench
// --json and llamacpp_bench.mjs (a row of results_llamacpp_bench.jsonl's
// format, shortened).
func TestParseEngineJSON(t *testing.T) {
	var r row
	ours := `{"pp_tok_s":250.5,"tg_tok_s":40.25,"prompt_ids":[1,2],"gen_ids":[7,8],"load_s":0.02,"kv_bytes":1000,"peak_rss_mb":200,"rss_file_mb":130.5,"rss_anon_mb":60}`
	if err := parseEngineJSON(engineOurs, ours, &r); err != nil {
		t.Fatal(err)
	}
	if r.PPTokS != 250.5 || r.TGTokS != 40.25 || r.KVBytes != 1000 || r.RSSFileMiB != 130.5 || r.RSSAnonMiB != 60 || r.LoadS != 0.02 || len(r.GenIDs) != 2 || len(r.PromptIDs) != 2 {
		t.Errorf("llmpipe row %+v", r)
	}
	r = row{}
	llama := `{"model":"m.gguf","threads":1,"mem":{"VmHWMKiB":307200,"RssAnonKiB":117760,"RssFileKiB":190464},"loadMs":1214.9,"promptIds":[1,2],"runs":[{"ppTokS":259,"tgTokS":41,"ppMs":988,"tgMs":3122,"genIds":[7,9]}]}`
	if err := parseEngineJSON(engineLlama, llama, &r); err != nil {
		t.Fatal(err)
	}
	if r.PPTokS != 259 || r.TGTokS != 41 || math.Abs(r.LoadS-1.2149) > 1e-9 || r.RSSFileMiB != 186 || r.RSSAnonMiB != 115 || len(r.GenIDs) != 2 {
		t.Errorf("llama.cpp row %+v", r)
	}
	if err := parseEngineJSON(engineLlama, `{"runs":[]}`, &r); err == nil {
		t.Error("no runs: no error")
	}
	if err := parseEngineJSON(engineOurs, "llmpipe: boom", &r); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("not JSON: %v", err)
	}
}

// TestPrintTable: medians skip disturbed runs, ratios are ours / llama.cpp,
// the memory budget is file + KV + 100 MB, and the ids columns compare the
// runs of the same repetition.
func TestPrintTable(t *testing.T) {
	const file, kv = 143274432, 28311552
	rows := []row{
		{Engine: engineOurs, Model: "bench-110m-q8_0.gguf", Threads: 1, Rep: 0, PPTokS: 100, TGTokS: 40, PeakRSSMiB: 200, FileBytes: file, KVBytes: kv, DecodeBytes: 1e8, PromptIDs: []int{1, 2}, GenIDs: []int{5, 6, 7}},
		{Engine: engineLlama, Model: "bench-110m-q8_0.gguf", Threads: 1, Rep: 0, PPTokS: 200, TGTokS: 40, PeakRSSMiB: 300, FileBytes: file, DecodeBytes: 1e8, PromptIDs: []int{1, 2}, GenIDs: []int{5, 6, 9}},
		{Engine: engineOurs, Model: "bench-110m-q8_0.gguf", Threads: 1, Rep: 1, PPTokS: 1, TGTokS: 1, PeakRSSMiB: 900, Disturbed: true},
		{Engine: engineOurs, Model: "bench-110m-f32.gguf", Threads: 2, Rep: 0, PPTokS: 50, TGTokS: 20, Disturbed: true, FileBytes: file, DecodeBytes: 1e8},
	}
	var b strings.Builder
	if err := printTable(&b, rows, map[int]float64{1: 10}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(out, "\n")
	// f32 sorts before q8_0 (BENCH.md's order); its only run was disturbed.
	if !strings.HasPrefix(lines[2], "| bench-110m-f32 | 2 | 50.00* |") {
		t.Errorf("f32 line %q", lines[2])
	}
	q8 := lines[3]
	for _, want := range []string{"| bench-110m-q8_0 | 1 | 100.0 | 200.0 | 0.50 | 40.00 | 40.00 | 1.00 | 4.0 (4.0) | 40% of 10.0 | 200 | 259 ok | 300 | 1 (1) / 1 (0) | yes, 2 |"} {
		if !strings.Contains(q8, want) {
			t.Errorf("q8_0 line\n%s\nlacks\n%s", q8, want)
		}
	}
}

// TestDecodeBytes: every tensor of stories260K.gguf but token_embd, plus one
// row of it.
func TestDecodeBytes(t *testing.T) {
	n, err := decodeBytes(shared.Path(t, "models/stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	// stories260K: dim 64, 5 layers, kv dim 32, ffn 172, vocab 512, F32,
	// separate output.weight: 5·(64+64·64+2·32·64+64·64+64+3·172·64) + 64 + 512·64 + one row of 64.
	want := int64(4 * (5*(64+64*64+2*32*64+64*64+64+3*172*64) + 64 + 512*64 + 64))
	if n != want {
		t.Errorf("decodeBytes = %d, want %d", n, want)
	}
}
