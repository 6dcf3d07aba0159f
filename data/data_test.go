package data

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// byteTok is a byte-level tokenizer (id = byte), with an optional offset
// that pushes ids past the vocabulary to test that check.
type byteTok struct {
	vocab, offset int
}

func (b byteTok) Encode(text string, _ tokenizer.EncodeOptions) ([]int, error) {
	ids := make([]int, len(text))
	for i := range len(text) {
		ids[i] = int(text[i]) + b.offset
	}
	return ids, nil
}

func (b byteTok) Decode(ids []int, _ tokenizer.DecodeOptions) (string, error) {
	var sb strings.Builder
	for _, id := range ids {
		sb.WriteByte(byte(id))
	}
	return sb.String(), nil
}
func (b byteTok) VocabSize() int               { return b.vocab }
func (b byteTok) Specials() tokenizer.Specials { return tokenizer.NoSpecials() }

func readAll(t *testing.T, tk *Tokens) []int {
	t.Helper()
	ids := make([]int, tk.Len())
	tk.Read(ids, 0)
	return ids
}

func TestWriteOpenRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		vocab int
		width int
	}{{"uint16", 65536, 2}, {"uint32", 70000, 4}} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			ids := make([]int, 1000)
			for i := range ids {
				ids[i] = rng.IntN(tc.vocab)
			}
			ids[0], ids[1] = 0, tc.vocab-1
			path := filepath.Join(t.TempDir(), "tok.bin")
			if err := WriteFile(path, ids, tc.vocab); err != nil {
				t.Fatal(err)
			}
			tk, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer tk.Close()
			if tk.Width != tc.width || tk.Vocab != tc.vocab || tk.Len() != len(ids) {
				t.Fatalf("header %+v, want width %d vocab %d count %d", tk.Header, tc.width, tc.vocab, len(ids))
			}
			if got := readAll(t, tk); !slices.Equal(got, ids) {
				t.Fatal("ids differ after the round trip")
			}
			if err := tk.CheckIDs(); err != nil {
				t.Fatal(err)
			}
			st, _ := os.Stat(path)
			if st.Size() != int64(HeaderSize+tc.width*len(ids)) {
				t.Errorf("file size %d", st.Size())
			}
		})
	}
}

func TestTokenize(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "corpus.tok")
	text := "First line\nsecond line\n\nthird, without a newline"
	var progress []Progress
	n, err := Tokenize(context.Background(), byteTok{vocab: 257}, out,
		[]io.Reader{strings.NewReader(text), strings.NewReader("more")},
		Options{Separator: []int{256}, ChunkSize: 8, Progress: func(p Progress) { progress = append(progress, p) }})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := byteTok{}.Encode(text, tokenizer.EncodeOptions{})
	want = append(want, 256)
	more, _ := byteTok{}.Encode("more", tokenizer.EncodeOptions{})
	want = append(append(want, more...), 256)
	if n != int64(len(want)) {
		t.Fatalf("wrote %d ids, want %d", n, len(want))
	}
	tk, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer tk.Close()
	if got := readAll(t, tk); !slices.Equal(got, want) {
		t.Fatalf("ids %v\nwant %v", got, want)
	}
	if len(progress) < 3 || progress[len(progress)-1].BytesRead != int64(len(text)+4) {
		t.Errorf("progress %+v", progress)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].BytesRead < progress[i-1].BytesRead || progress[i].Tokens < progress[i-1].Tokens {
			t.Errorf("progress goes backwards: %+v", progress)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("folder holds %d entries (a temporary file left behind?)", len(ents))
	}
}

// TestTokenizeErrors: an empty corpus, ids beyond the vocabulary and a
// cancelled context are errors that leave the previous file intact and no
// temporary file behind.
func TestTokenizeErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "corpus.tok")
	if err := WriteFile(out, []int{1, 2, 3}, 10); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(out)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		tok  tokenizer.Tokenizer
		in   string
		want string
		is   error
	}{
		{"empty", context.Background(), byteTok{vocab: 256}, "", "gave no tokens", ErrTooSmall},
		{"beyond vocab", context.Background(), byteTok{vocab: 256, offset: 200}, "hello", "outside the vocabulary", nil},
		{"cancelled", ctx, byteTok{vocab: 256}, "hello", "canceled", context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Tokenize(tc.ctx, tc.tok, out, []io.Reader{strings.NewReader(tc.in)}, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if after, _ := os.ReadFile(out); !bytes.Equal(after, before) {
				t.Error("the previous file changed")
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("folder holds %d entries", len(ents))
			}
		})
	}
	if _, err := Create(out, 0); err == nil {
		t.Error("vocabulary 0: no error")
	}
}

// TestCorruptFiles: every damaged file is an error wrapping ErrCorrupt,
// never a panic.
func TestCorruptFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tok")
	if err := WriteFile(good, []int{5, 6, 7, 8}, 300); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	edit := func(f func(b []byte) []byte) []byte { return f(slices.Clone(b)) }
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "shorter than"},
		{"short header", b[:20], "shorter than"},
		{"truncated ids", b[:len(b)-1], "truncated"},
		{"padded", append(slices.Clone(b), 0), "truncated or padded"},
		{"magic", edit(func(b []byte) []byte { b[0] = 'X'; return b }), "magic"},
		{"version", edit(func(b []byte) []byte { b[8] = 9; return b }), "version 9"},
		{"width", edit(func(b []byte) []byte { b[12] = 3; return b }), "width 3"},
		{"vocab 0", edit(func(b []byte) []byte { clear(b[16:20]); return b }), "vocabulary size 0"},
		{"vocab too big for uint16", edit(func(b []byte) []byte { b[18] = 2; return b }), "does not fit"},
		{"reserved", edit(func(b []byte) []byte { b[20] = 1; return b }), "reserved"},
		{"huge count", edit(func(b []byte) []byte { b[31] = 0x7f; return b }), "too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.WriteFile(p, tc.b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(p)
			if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want ErrCorrupt containing %q", err, tc.want)
			}
		})
	}
	// an id beyond the vocabulary: CheckIDs names it; Read clamps it.
	bad := edit(func(b []byte) []byte { b[HeaderSize+2] = 0xff; b[HeaderSize+3] = 0xff; return b })
	tk, err := Decode(bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := tk.CheckIDs(); err == nil || !strings.Contains(err.Error(), "id 65535 at position 1") {
		t.Errorf("CheckIDs: %v", err)
	}
	if got := readAll(t, tk); got[1] != 299 {
		t.Errorf("Read gave %v, want the bad id clamped to 299", got)
	}
}

func TestSplit(t *testing.T) {
	train, val, err := Split(1000, 0.1, 64)
	if err != nil {
		t.Fatal(err)
	}
	if train != (Range{0, 900}) || val != (Range{900, 1000}) {
		t.Errorf("train %v val %v", train, val)
	}
	if _, _, err := Split(600, 0.1, 64); !errors.Is(err, ErrTooSmall) || !strings.Contains(err.Error(), "validation tokens") {
		t.Errorf("small validation: %v", err)
	}
	if _, _, err := Split(50, 0, 64); !errors.Is(err, ErrTooSmall) || !strings.Contains(err.Error(), "at least 66") {
		t.Errorf("small corpus: %v", err)
	}
	for _, f := range []float64{-0.1, 1, 2} {
		if _, _, err := Split(1000, f, 8); err == nil {
			t.Errorf("fraction %v: no error", f)
		}
	}
	if _, _, err := Split(1000, 0.1, 0); err == nil {
		t.Error("context 0: no error")
	}
}

func TestRandomBatch(t *testing.T) {
	src := make(Slice, 500)
	for i := range src {
		src[i] = i
	}
	r := Range{100, 200}
	const B, T = 7, 16
	a, b := NewBatch(B, T), NewBatch(B, T)
	seen := map[int]bool{}
	rngA, rngB := rand.New(rand.NewPCG(3, 4)), rand.New(rand.NewPCG(3, 4))
	for range 200 {
		if err := RandomBatch(a, src, r, rngA); err != nil {
			t.Fatal(err)
		}
		if err := RandomBatch(b, src, r, rngB); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Inputs, b.Inputs) || !slices.Equal(a.Targets, b.Targets) {
			t.Fatal("same seed, different batches")
		}
		for w := range B {
			in, tg := a.Inputs[w*T:(w+1)*T], a.Targets[w*T:(w+1)*T]
			start := in[0]
			seen[start] = true
			if start < r.Start || start+T+1 > r.End {
				t.Fatalf("window at %d leaves the range %v", start, r)
			}
			for k := range T {
				if in[k] != start+k || tg[k] != start+k+1 {
					t.Fatalf("window %d: inputs %v targets %v", w, in, tg)
				}
			}
		}
	}
	if len(seen) != r.Len()-T || !seen[r.Start] || !seen[r.End-T-1] {
		t.Errorf("%d distinct starts, want %d (every offset in [%d, %d])", len(seen), r.Len()-T, r.Start, r.End-T-1)
	}
	if err := RandomBatch(a, src, Range{0, T}, rngA); !errors.Is(err, ErrTooSmall) {
		t.Errorf("short range: %v", err)
	}
	if err := RandomBatch(a, src, Range{490, 600}, rngA); err == nil {
		t.Error("range outside the source: no error")
	}
	if err := RandomBatch(&Batch{B: 2, T: T}, src, r, rngA); err == nil {
		t.Error("batch without buffers: no error")
	}
}

func TestWindows(t *testing.T) {
	src := make(Slice, 100)
	for i := range src {
		src[i] = i
	}
	var starts, sizes []int
	for bt, err := range Windows(src, Range{10, 60}, 2, 8) {
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, bt.B)
		for w := range bt.B {
			in, tg := bt.Inputs[w*8:(w+1)*8], bt.Targets[w*8:(w+1)*8]
			starts = append(starts, in[0])
			if in[7] != in[0]+7 || tg[0] != in[0]+1 || tg[7] != in[0]+8 {
				t.Fatalf("window %v / %v", in, tg)
			}
		}
	}
	// 50 ids: windows of 9 at 10, 18, …, 50 (the one at 58 would need id 66).
	if !slices.Equal(starts, []int{10, 18, 26, 34, 42, 50}) || !slices.Equal(sizes, []int{2, 2, 2}) {
		t.Errorf("starts %v sizes %v", starts, sizes)
	}
	for _, err := range Windows(src, Range{0, 5}, 2, 8) {
		if !errors.Is(err, ErrTooSmall) {
			t.Errorf("short range: %v", err)
		}
	}
}

// TestTokenizeShakespeare: TinyShakespeare as bytes, chunked, equals the
// whole file's bytes, and splits 90/10 into nanoGPT's 1,003,854 / 111,540.
func TestTokenizeShakespeare(t *testing.T) {
	path := shared.Path(t, "corpora/tinyshakespeare.txt")
	out := filepath.Join(t.TempDir(), "shakespeare.tok")
	n, err := TokenizeFiles(context.Background(), byteTok{vocab: 256}, out, []string{path}, Options{ChunkSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(path)
	if n != int64(len(text)) {
		t.Fatalf("%d ids for %d bytes", n, len(text))
	}
	tk, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer tk.Close()
	for i := range text {
		if tk.At(i) != int(text[i]) {
			t.Fatalf("id %d is %d, byte %d", i, tk.At(i), text[i])
		}
	}
	train, val, err := Split(tk.Len(), 0.1, 64)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 1003854 || val.Len() != 111540 {
		t.Errorf("split %d / %d", train.Len(), val.Len())
	}
}

// FuzzDecode: any bytes decode to an error or to a Tokens whose every id
// can be read, never a panic.
func FuzzDecode(f *testing.F) {
	var good bytes.Buffer
	good.Write(appendHeader(nil, Header{Width: 2, Vocab: 300, Count: 3}))
	good.Write([]byte{1, 0, 2, 1, 44, 1})
	f.Add(good.Bytes())
	f.Add(appendHeader(nil, Header{Width: 4, Vocab: 1 << 20, Count: 0}))
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		tk, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		ids := make([]int, tk.Len())
		tk.Read(ids, 0)
		for _, id := range ids {
			if id < 0 || id >= tk.Vocab {
				t.Fatalf("Read gave id %d outside [0, %d)", id, tk.Vocab)
			}
		}
		_ = tk.CheckIDs()
	})
}
