package llama

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/quant"
)

// TestPackedQ4_0Model: a Q4_0 model loaded from a mapped file has its
// multiplied matrices packed (on CPUs where kernels.PackQ packs; token_embd
// not, unless it is the output), its file pages released, and gives the
// same logits bit for bit as the same file read unmapped (not packed), one
// sequence with Forward (prompt, then greedy steps) and three in
// ForwardBatch, on one thread and on three; the embedding rows, read from
// the released pages, are unchanged.
func TestPackedQ4_0Model(t *testing.T) {
	_, _, b := exportGGUF(t, randomModelDims(512, 256, 512, 9), ExportOptions{Type: quant.Q4_0})
	plain, err := gguf.Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := Load(plain)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "q4_0.gguf")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.OpenMapped(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	_, canPack := kernels.PackQ(quant.Q4_0, make([]byte, 16*kernels.Q4_0BlockBytes), 16, 32)
	l := &m.Weights.Layers[1]
	for name, mx := range map[string]*Matrix{"output": &m.Weights.Output, "attn_q": &l.Query, "attn_v": &l.Value, "ffn_down": &l.FFNDown} {
		if (mx.Packed != nil) != (canPack && f.Mapped()) {
			t.Errorf("%s: packed %v, want %v", name, mx.Packed != nil, canPack && f.Mapped())
		}
	}
	if m.Weights.TokenEmbd.Packed != nil && !sameBytes(m.Weights.TokenEmbd.Data, m.Weights.Output.Data) {
		t.Error("token_embd packed")
	}
	if ref.Weights.Output.Packed != nil {
		t.Error("unmapped file: packed")
	}
	row, want := make([]float32, 256), make([]float32, 256)
	for _, r := range []int{0, 77, 511} {
		m.Weights.TokenEmbd.row(row, r)
		ref.Weights.TokenEmbd.row(want, r)
		for j := range row {
			if row[j] != want[j] {
				t.Fatalf("token_embd row %d [%d]: %v, want %v", r, j, row[j], want[j])
			}
		}
	}
	prompts := [][]int{{1, 40, 41, 42, 43, 44, 45, 46, 47}, {1, 300, 301}, {1, 7, 8, 9, 10, 11}}
	for _, threads := range []int{1, 3} {
		kernels.SetThreads(threads)
		// one sequence: prompt, then greedy steps, packed against unpacked
		sa, sb := m.NewSequence(model.SequenceOptions{}), ref.NewSequence(model.SequenceOptions{})
		la, err := sa.Forward(prompts[0], false)
		if err != nil {
			t.Fatal(err)
		}
		lb, err := sb.Forward(prompts[0], false)
		if err != nil {
			t.Fatal(err)
		}
		for step := range 10 {
			checkLogits(t, "Forward", threads, step, la, lb)
			id := argmax(la)
			if la, err = sa.Forward([]int{id}, false); err != nil {
				t.Fatal(err)
			}
			if lb, err = sb.Forward([]int{id}, false); err != nil {
				t.Fatal(err)
			}
		}
		// three sequences in ForwardBatch (prompts, then decode steps of
		// 3 tokens) against each alone through the unpacked model
		var bs, rs []model.Sequence
		for range prompts {
			bs, rs = append(bs, m.NewSequence(model.SequenceOptions{})), append(rs, ref.NewSequence(model.SequenceOptions{}))
		}
		ids := prompts
		for step := range 6 {
			out, err := m.ForwardBatch(bs, ids)
			if err != nil {
				t.Fatal(err)
			}
			next := make([][]int, len(bs))
			for i := range rs {
				lw, err := rs[i].Forward(ids[i], false)
				if err != nil {
					t.Fatal(err)
				}
				checkLogits(t, "ForwardBatch", threads, step, out[i], lw)
				next[i] = []int{argmax(lw)}
			}
			ids = next
		}
	}
	kernels.SetThreads(0)
}

// sameBytes reports whether a and b are the same bytes in memory.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// checkLogits fails unless got and want are the same logits bit for bit.
func checkLogits(t *testing.T, what string, threads, step int, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s threads=%d step %d: %d logits, want %d", what, threads, step, len(got), len(want))
	}
	for j := range got {
		if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
			t.Fatalf("%s threads=%d step %d logit %d: packed %v, unpacked %v", what, threads, step, j, got[j], want[j])
		}
	}
}
