package bpetrain

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/hf"
)

func train(t testing.TB, text string, opts Options) *Result {
	t.Helper()
	r, err := Train(context.Background(), []io.Reader{strings.NewReader(text)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mergeStrings(r *Result) []string {
	var out []string
	for _, m := range r.Merges {
		out = append(out, r.Vocab[m.Left]+" "+r.Vocab[m.Right])
	}
	return out
}

// The "hug pug pun bun hugs" corpus worked by hand. Words (GPT-2 split,
// byte-level): hug×1, Ġhug×2, Ġpug, Ġpun, Ġbun, Ġhugs. Symbol ids follow the
// byte-level code points: letters are 64-89 ('a'=64), Ġ (space) is 220.
// Pair counts: (u,g)=5 (h,u)=4 (Ġ,h)=3 (Ġ,p)=2 (p,u)=2 (u,n)=2, the rest 1.
//  1. u g      → ug        then (h,ug)=4
//  2. h ug     → hug       then (Ġ,hug)=3
//  3. Ġ hug    → Ġhug      then (Ġ,p)=2 and (u,n)=2 tie: (84,77) < (220,79)
//  4. u n      → un
//  5. Ġ p      → Ġp        then all pairs count 1; smallest ids first:
//  6. b un     (65,259)
//  7. Ġ bun    (220,261)
//  8. Ġhug s   (258,82)
//  9. Ġp ug    (260,256)
//  10. Ġp un   (260,259)
var hugMerges = []string{"u g", "h ug", "Ġ hug", "u n", "Ġ p", "b un", "Ġ bun", "Ġhug s", "Ġp ug", "Ġp un"}

func TestTrainHandComputed(t *testing.T) {
	const corpus = "hug hug hug pug pun bun hugs"
	for _, tc := range []struct {
		name  string
		opts  Options
		want  []string
		vocab int
	}{
		{name: "all merges", opts: Options{VocabSize: 1000}, want: hugMerges, vocab: 256 + 10 + 1},
		{name: "vocab size stops", opts: Options{VocabSize: 256 + 4 + 1}, want: hugMerges[:4], vocab: 261},
		{name: "min frequency 2", opts: Options{VocabSize: 1000, MinFrequency: 2}, want: hugMerges[:5], vocab: 262},
		{name: "min frequency 4", opts: Options{VocabSize: 1000, MinFrequency: 4}, want: hugMerges[:2], vocab: 259},
		{name: "no specials", opts: Options{VocabSize: 258, SpecialTokens: []string{}}, want: hugMerges[:2], vocab: 258},
		{name: "two specials", opts: Options{VocabSize: 260, SpecialTokens: []string{"<s>", "</s>"}}, want: hugMerges[:2], vocab: 260},
		{name: "bytes only", opts: Options{VocabSize: 257}, want: nil, vocab: 257},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := train(t, corpus, tc.opts)
			if got := mergeStrings(r); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("merges\n got %q\nwant %q", got, tc.want)
			}
			if len(r.Vocab) != tc.vocab || r.VocabSize() != tc.vocab {
				t.Errorf("vocab size %d, want %d", len(r.Vocab), tc.vocab)
			}
			for i, m := range r.Merges {
				if m.ID != 256+i {
					t.Errorf("merge %d makes id %d, want %d", i, m.ID, 256+i)
				}
			}
		})
	}
}

func TestTrainOverlap(t *testing.T) {
	// "aaaa": (a,a) occurs 3 times; merging left to right gives "aa aa",
	// whose pair is next.
	r := train(t, "aaaa", Options{VocabSize: 1000})
	if got, want := mergeStrings(r), []string{"a a", "aa aa"}; !reflect.DeepEqual(got, want) {
		t.Errorf("merges %q, want %q", got, want)
	}
	ids, _ := r.Encode("aaaa aaa", tokenizer.EncodeOptions{})
	// "aaaa" → [aaaa]; " aaa" → [Ġ, aa, a].
	if want := []int{257, 220, 256, 64}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Encode = %v, want %v", ids, want)
	}
}

func roundTrip(t testing.TB, tok tokenizer.Tokenizer, text string) []int {
	t.Helper()
	ids, err := tok.Encode(text, tokenizer.EncodeOptions{ParseSpecial: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if id < 0 || id >= tok.VocabSize() {
			t.Fatalf("id %d outside [0, %d)", id, tok.VocabSize())
		}
	}
	got, err := tok.Decode(ids, tokenizer.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got != text {
		t.Fatalf("round trip of %q gave %q", text, got)
	}
	return ids
}

func TestEncodeDecode(t *testing.T) {
	r := train(t, "hug hug hug pug pun bun hugs", Options{VocabSize: 260}) // merges ug, hug, Ġhug
	eot := r.VocabSize() - 1
	for _, tc := range []struct {
		name string
		text string
		opts tokenizer.EncodeOptions
		want []int
	}{
		{name: "empty", text: "", want: nil},
		{name: "words", text: "hug hugs", want: []int{257, 258, 82}},
		{name: "unseen bytes", text: "é", want: []int{127, 102}}, // 0xC3 0xA9
		{name: "special parsed", text: "hug<|endoftext|>", opts: tokenizer.EncodeOptions{ParseSpecial: true}, want: []int{257, eot}},
		{name: "special as text", text: "<|", opts: tokenizer.EncodeOptions{}, want: []int{27, 91}},
		{name: "add special adds nothing", text: "hug", opts: tokenizer.EncodeOptions{AddSpecial: true}, want: []int{257}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, err := r.Encode(tc.text, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != len(tc.want) || (len(ids) > 0 && !reflect.DeepEqual(ids, tc.want)) {
				t.Errorf("Encode(%q) = %v, want %v", tc.text, ids, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		ids  []int
		opts tokenizer.DecodeOptions
		want string
	}{
		{name: "special kept", ids: []int{257, eot}, want: "hug<|endoftext|>"},
		{name: "special skipped", ids: []int{257, eot}, opts: tokenizer.DecodeOptions{SkipSpecial: true}, want: "hug"},
		{name: "truncated character", ids: []int{130}, want: "\uFFFD"},
		{name: "truncated 3-byte character", ids: []int{int(byteIDs[0xE2]), int(byteIDs[0x82]), 64}, want: "\uFFFDa"},
		{name: "stray continuation bytes", ids: []int{int(byteIDs[0x82]), int(byteIDs[0x82])}, want: "\uFFFD\uFFFD"},
		{name: "surrogate encoding", ids: []int{int(byteIDs[0xED]), int(byteIDs[0xA0]), int(byteIDs[0x80])}, want: "\uFFFD\uFFFD\uFFFD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Decode(tc.ids, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Decode(%v) = %q, want %q", tc.ids, got, tc.want)
			}
		})
	}
	if _, err := r.Decode([]int{1, r.VocabSize()}, tokenizer.DecodeOptions{}); !errors.Is(err, tokenizer.ErrUnknownID) {
		t.Errorf("Decode of an id out of range: err = %v, want ErrUnknownID", err)
	}
	if s := r.Specials(); s.EOS != eot || !reflect.DeepEqual(s.EOG, []int{eot}) || len(s.Tokens) != 1 || s.BOS != -1 {
		t.Errorf("Specials() = %+v", s)
	}
}

func TestLongWords(t *testing.T) {
	// Runs longer than scanLimit take encodeLong; both paths must agree.
	r := train(t, strings.Repeat("ab", 50)+" "+strings.Repeat(" ", 200)+"x"+strings.Repeat("!?", 40), Options{VocabSize: 300})
	for _, text := range []string{strings.Repeat("ab", 100), strings.Repeat(" ", 333) + "y", strings.Repeat("!?", 77) + "!"} {
		long := r.encodeLong(nil, text)
		var short []int
		// Reference: the quadratic scan over the whole word.
		syms := make([]int32, len(text))
		for i := range text {
			syms[i] = byteIDs[text[i]]
		}
		for len(syms) > 1 {
			best, at := rankID{}, -1
			for i := 0; i+1 < len(syms); i++ {
				if m, ok := r.rank(syms[i], syms[i+1]); ok && (at < 0 || m.rank < best.rank) {
					best, at = m, i
				}
			}
			if at < 0 {
				break
			}
			syms[at] = best.id
			syms = append(syms[:at+1], syms[at+2:]...)
		}
		for _, s := range syms {
			short = append(short, int(s))
		}
		if !reflect.DeepEqual(long, short) {
			t.Errorf("encodeLong(%.20q…) = %v, scan = %v", text, long, short)
		}
		roundTrip(t, r, text)
	}
}

func TestDeterminism(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	words := []string{"the", "cat", "sat", "on", "mat", "théâtre", "42", "!!", "  ", "\n", "ünïcödé", "😉"}
	var b strings.Builder
	for range 20000 {
		b.WriteString(words[rng.Intn(len(words))])
		if rng.Intn(3) > 0 {
			b.WriteByte(' ')
		}
	}
	text := b.String()
	var first []byte
	for i := range 3 {
		r := train(t, text, Options{VocabSize: 400})
		data, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = data
		} else if !bytes.Equal(data, first) {
			t.Fatalf("run %d produced a different tokenizer.json", i)
		}
		roundTrip(t, r, text)
	}
	// The same text split over several readers trains the same merges when
	// the split falls on line boundaries.
	lines := strings.SplitAfter(text[:len(text)/2]+"\n"+text[len(text)/2:], "\n")
	rs := []io.Reader{strings.NewReader(strings.Join(lines[:len(lines)/2], "")), strings.NewReader(strings.Join(lines[len(lines)/2:], ""))}
	r1, err := Train(context.Background(), rs, Options{VocabSize: 400})
	if err != nil {
		t.Fatal(err)
	}
	r2 := train(t, strings.Join(lines, ""), Options{VocabSize: 400})
	if !reflect.DeepEqual(r1.Merges, r2.Merges) {
		t.Error("splitting the input over readers changed the merges")
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{name: "vocab too small", opts: Options{VocabSize: 256}, want: "vocabulary size 256 is below 257"},
		{name: "bad pattern", opts: Options{VocabSize: 300, Pattern: "(("}, want: "pattern"},
		{name: "empty special", opts: Options{VocabSize: 300, SpecialTokens: []string{""}}, want: "special token 0 is empty"},
		{name: "duplicate special", opts: Options{VocabSize: 300, SpecialTokens: []string{"<s>", "<s>"}}, want: "listed twice"},
		{name: "special collides", opts: Options{VocabSize: 300, SpecialTokens: []string{"a"}}, want: "same text as a learned token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Train(context.Background(), []io.Reader{strings.NewReader("a b")}, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	_, err := TrainFiles(context.Background(), []string{filepath.Join(t.TempDir(), "missing.txt")}, Options{VocabSize: 300})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
	_, err = Train(context.Background(), []io.Reader{io.MultiReader(strings.NewReader("ab\n"), iotestErr{})}, Options{VocabSize: 300})
	if err == nil || !strings.Contains(err.Error(), "input 0") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("read error: err = %v", err)
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Train(ctx, []io.Reader{strings.NewReader(strings.Repeat("hello world\n", 5000))}, Options{VocabSize: 300})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	// Cancelling from the progress callback stops the merge loop.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var last Progress
	_, err = Train(ctx, []io.Reader{strings.NewReader(text5k())}, Options{VocabSize: 5000, Progress: func(p Progress) {
		last = p
		if p.Stage == StageMerge && p.Merges >= 64 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || last.Merges != 64 {
		t.Errorf("err = %v after %d merges, want context.Canceled after 64", err, last.Merges)
	}
}

func text5k() string {
	var b strings.Builder
	for i := range 5000 {
		b.WriteString(strings.Repeat(string(rune('a'+i%26)), 1+i%7))
		b.WriteString(string(rune('a' + i%13)))
		b.WriteByte(' ')
	}
	return b.String()
}

func TestProgress(t *testing.T) {
	var got []Progress
	r := train(t, text5k(), Options{VocabSize: 400, Progress: func(p Progress) { got = append(got, p) }})
	if len(got) < 3 {
		t.Fatalf("%d progress reports", len(got))
	}
	if got[0].Stage != StageCount || got[len(got)-1].Stage != StageDone {
		t.Errorf("stages: first %q, last %q", got[0].Stage, got[len(got)-1].Stage)
	}
	end := got[len(got)-1]
	if end.Merges != len(r.Merges) || end.Vocab != r.VocabSize() || end.Target != 400 || end.BytesRead != int64(len(text5k())) || end.Words == 0 {
		t.Errorf("final progress %+v", end)
	}
}

func TestMarshalJSON(t *testing.T) {
	r := train(t, "hug hug hug pug pun bun hugs & <tag>", Options{VocabSize: 262})
	data, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version     string `json:"version"`
		AddedTokens []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
			Special bool   `json:"special"`
		} `json:"added_tokens"`
		PreTokenizer  map[string]any `json:"pre_tokenizer"`
		PostProcessor map[string]any `json:"post_processor"`
		Decoder       map[string]any `json:"decoder"`
		Model         struct {
			Type   string         `json:"type"`
			Vocab  map[string]int `json:"vocab"`
			Merges []string       `json:"merges"`
		} `json:"model"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc.Version != "1.0" || doc.Model.Type != "BPE" || len(doc.Model.Vocab) != 262 {
		t.Errorf("version %q, model %q, vocab %d", doc.Version, doc.Model.Type, len(doc.Model.Vocab))
	}
	if want := hugMerges[:5]; !reflect.DeepEqual(doc.Model.Merges, want) {
		t.Errorf("merges %q, want %q", doc.Model.Merges, want)
	}
	for tok, id := range map[string]int{"!": 0, "Ġ": 220, "ÿ": 187, "ug": 256, "Ġp": 260, "<|endoftext|>": 261} {
		if doc.Model.Vocab[tok] != id {
			t.Errorf("vocab[%q] = %d, want %d", tok, doc.Model.Vocab[tok], id)
		}
	}
	if len(doc.AddedTokens) != 1 || doc.AddedTokens[0].ID != 261 || doc.AddedTokens[0].Content != EndOfText || !doc.AddedTokens[0].Special {
		t.Errorf("added_tokens %+v", doc.AddedTokens)
	}
	if doc.PreTokenizer["type"] != "ByteLevel" || doc.PreTokenizer["use_regex"] != true || doc.PreTokenizer["add_prefix_space"] != false {
		t.Errorf("pre_tokenizer %v", doc.PreTokenizer)
	}
	if doc.Decoder["type"] != "ByteLevel" || doc.PostProcessor["type"] != "ByteLevel" {
		t.Errorf("decoder %v, post_processor %v", doc.Decoder, doc.PostProcessor)
	}
	if bytes.Contains(data, []byte(`\u003c`)) {
		t.Error("output escapes < as \\u003c")
	}
	// The vocab is written in id order.
	if i, j := bytes.Index(data, []byte(`"ug": 256`)), bytes.Index(data, []byte(`"Ġp": 260`)); i < 0 || j < i {
		t.Error("vocab not in id order")
	}

	// A custom pattern becomes Split + ByteLevel(use_regex=false).
	r = train(t, "ab cd", Options{VocabSize: 258, Pattern: `\S+|\s+`})
	data, _ = r.MarshalJSON()
	for _, want := range []string{`"type": "Sequence"`, `"Regex": "\\S+|\\s+"`, `"behavior": "Isolated"`, `"use_regex": false`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("custom pattern output lacks %s", want)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	r := train(t, "hug hug hug pug", Options{VocabSize: 260})
	dir := t.TempDir()
	path := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := r.MarshalJSON()
	if !bytes.Equal(got, want) {
		t.Error("file differs from MarshalJSON")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d entries in the folder, want only tokenizer.json (temporary file left?)", len(entries))
	}
	if err := r.WriteJSON(filepath.Join(dir, "missing", "tokenizer.json")); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
}

// readMerges reads a reference merges file (one "left right" per line).
func readMerges(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// corpus holds the shared training text, loaded once per test binary.
var corpus struct {
	once        sync.Once
	shakespeare []byte
	stories1MiB []byte
	err         error
}

func loadCorpus(t testing.TB) ([]byte, []byte) {
	t.Helper()
	sp := shared.Path(t, "corpora/tinyshakespeare.txt")
	ts := shared.Path(t, "corpora/tinystories_sample_2MiB.txt")
	corpus.once.Do(func() {
		if corpus.shakespeare, corpus.err = os.ReadFile(sp); corpus.err != nil {
			return
		}
		var b []byte
		if b, corpus.err = os.ReadFile(ts); corpus.err == nil {
			corpus.stories1MiB = b[:1<<20]
		}
	})
	if corpus.err != nil {
		t.Fatal(corpus.err)
	}
	return corpus.shakespeare, corpus.stories1MiB
}

// TestMatchesHFTrainer compares the merges with those HF tokenizers'
// BpeTrainer learned from the same text (testdata/PROVENANCE.md).
func TestMatchesHFTrainer(t *testing.T) {
	sp, ts := loadCorpus(t)
	for _, tc := range []struct {
		name   string
		inputs [][]byte
		file   string
	}{
		{name: "tinyshakespeare", inputs: [][]byte{sp}, file: "hf_merges_tinyshakespeare.txt"},
		{name: "tinyshakespeare+tinystories1MiB", inputs: [][]byte{sp, ts}, file: "hf_merges_shakespeare_tinystories1MiB.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := readMerges(t, tc.file)
			var rs []io.Reader
			for _, in := range tc.inputs {
				rs = append(rs, bytes.NewReader(in))
			}
			// HF registers no special tokens here, so it trains on
			// "<|endoftext|>" as text; so do we without special tokens.
			r, err := Train(context.Background(), rs, Options{VocabSize: 256 + len(want), SpecialTokens: []string{}})
			if err != nil {
				t.Fatal(err)
			}
			got := mergeStrings(r)
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("merge %d = %q, HF has %q", i, got[i], want[i])
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d merges, HF has %d", len(got), len(want))
			}
		})
	}
}

// TestTrainCorpus trains the built-in configuration (vocab 4096) on the
// shared corpora and checks it round-trips the training text.
func TestTrainCorpus(t *testing.T) {
	sp, ts := loadCorpus(t)
	r, err := Train(context.Background(), []io.Reader{bytes.NewReader(sp), bytes.NewReader(ts)}, Options{VocabSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if r.VocabSize() != 4096 {
		t.Fatalf("vocab %d", r.VocabSize())
	}
	for _, s := range r.Vocab[:4095] {
		if strings.Contains(s, "endoftext") {
			t.Errorf("learned token %q: special-token text was trained on", s)
		}
	}
	text := string(sp) + string(ts)
	ids := roundTrip(t, r, text)
	if n := strings.Count(string(ts), EndOfText); countID(ids, 4095) != n {
		t.Errorf("%d <|endoftext|> ids, want %d", countID(ids, 4095), n)
	}
	t.Logf("%d bytes → %d tokens (%.2f bytes/token)", len(text), len(ids), float64(len(text))/float64(len(ids)))
	compareWithHF(t, r, text, ids)

	// This is tokenizer/builtin's configuration: its embedded file must be
	// what the trainer makes today.
	data, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if committed, err := os.ReadFile("../builtin/tokenizer.json"); err != nil {
		t.Error(err)
	} else if !bytes.Equal(committed, data) {
		t.Error("tokenizer/builtin/tokenizer.json differs from a fresh training run; run go generate ./tokenizer/builtin")
	}
}

// compareWithHF loads r's tokenizer.json with tokenizer/hf and checks that
// it encodes text to want (r's own ids) and decodes them back.
func compareWithHF(t *testing.T, r *Result, text string, want []int) {
	t.Helper()
	data, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	h, err := hf.Parse(data)
	if err != nil {
		t.Fatalf("hf.Parse: %v", err)
	}
	if h.VocabSize() != r.VocabSize() {
		t.Errorf("hf vocab size %d, want %d", h.VocabSize(), r.VocabSize())
	}
	got, err := h.Encode(text, tokenizer.EncodeOptions{ParseSpecial: true})
	if err != nil {
		t.Fatal(err)
	}
	if i := firstDiff(got, want); i >= 0 {
		t.Fatalf("hf ids differ at %d of %d/%d: hf %v, bpetrain %v", i, len(got), len(want), window(got, i), window(want, i))
	}
	dec, err := h.Decode(want, tokenizer.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dec != text {
		t.Error("hf decode differs from the text")
	}
}

func firstDiff(a, b []int) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func window(s []int, i int) []int { return s[max(i-3, 0):min(i+4, len(s))] }

func TestHFLoadsSmallTokenizers(t *testing.T) {
	text := "hug hug hug pug pun bun hugs<|endoftext|>  héllo wörld 你好 😉!!\n\n  x\r\n 42 it's"
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{name: "gpt2 pattern", opts: Options{VocabSize: 300}},
		{name: "custom pattern", opts: Options{VocabSize: 300, Pattern: `\S+|\s+`}},
		{name: "two specials", opts: Options{VocabSize: 300, SpecialTokens: []string{"<|endoftext|>", "<pad>"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := train(t, text, tc.opts)
			compareWithHF(t, r, text+"<pad>", roundTrip(t, r, text+"<pad>"))
		})
	}
}

func countID(ids []int, id int) int {
	n := 0
	for _, x := range ids {
		if x == id {
			n++
		}
	}
	return n
}

func FuzzTrainRoundTrip(f *testing.F) {
	for _, s := range []string{"", "hug hug hug pug pun bun hugs", "aaaa aaa", "héllo wörld 你好 😉!!\n\n  x", "<|endoftext|>ab<|endoftext|>", "a\r\nb\r\n"} {
		f.Add(s, 300)
	}
	f.Fuzz(func(t *testing.T, text string, vocab int) {
		if !utf8.ValidString(text) || len(text) > 4096 {
			t.Skip()
		}
		vocab = 257 + (vocab&0xffff)%200
		r, err := Train(context.Background(), []io.Reader{strings.NewReader(text)}, Options{VocabSize: vocab})
		if err != nil {
			if strings.Contains(err.Error(), "same text as a learned token") {
				t.Skip()
			}
			t.Fatal(err)
		}
		if r.VocabSize() > vocab {
			t.Fatalf("vocab %d > %d", r.VocabSize(), vocab)
		}
		roundTrip(t, r, text)
	})
}

// BenchmarkTrainBuiltin trains the built-in configuration (vocab 4096 on
// TinyShakespeare + 1 MiB of TinyStories); MB/s counts input bytes.
func BenchmarkTrainBuiltin(b *testing.B) {
	sp, ts := loadCorpus(b)
	b.SetBytes(int64(len(sp) + len(ts)))
	for b.Loop() {
		_, err := Train(context.Background(), []io.Reader{bytes.NewReader(sp), bytes.NewReader(ts)}, Options{VocabSize: 4096})
		if err != nil {
			b.Fatal(err)
		}
	}
}
