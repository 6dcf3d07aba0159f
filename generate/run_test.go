package generate

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/sample"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// tableModel is a fake model whose next-token distribution depends only on
// the last id: table[last] maps ids to probabilities (others get -30).
type tableModel struct {
	table map[int]map[int]float64
	ctx   int
}

const tableVocab = 8

func (m tableModel) Arch() string       { return "table" }
func (m tableModel) ContextLength() int { return m.ctx }
func (m tableModel) VocabSize() int     { return tableVocab }
func (m tableModel) NewSequence(model.SequenceOptions) model.Sequence {
	return &tableSeq{m: m}
}

type tableSeq struct {
	m tableModel
	n int
}

func (s *tableSeq) Len() int { return s.n }
func (s *tableSeq) Forward(ids []int, all bool) ([]float32, error) {
	if s.n+len(ids) > s.m.ctx {
		return nil, model.ErrContextFull
	}
	s.n += len(ids)
	return s.m.logits(ids[len(ids)-1]), nil
}

func (m tableModel) logits(last int) []float32 {
	out := make([]float32, tableVocab)
	for i := range out {
		out[i] = -30
	}
	for id, p := range m.table[last] {
		out[id] = float32(math.Log(p))
	}
	return out
}

// lp is the log-probability the model gives id after last.
func (m tableModel) lp(last, id int) float64 {
	l := m.logits(last)
	return float64(l[id]) - sample.LogSumExp(l)
}

// tree: greedy takes b (0.5) then c, but "c" then EOS (0.4·0.9) is likelier
// than anything through b. With letters, id 0 is BOS and 5 ('f') EOS.
var tree = tableModel{ctx: 64, table: map[int]map[int]float64{
	0: {1: 0.5, 2: 0.4, 3: 0.1},
	1: {2: 0.34, 3: 0.33, 4: 0.33},
	2: {5: 0.9, 6: 0.1},
	3: {5: 0.5, 6: 0.5},
	4: {5: 1},
	6: {5: 0.6, 6: 0.4},
	7: {7: 1},
}}

func TestStopStrings(t *testing.T) {
	m := countModel{vocab: 26, ctx: 20}
	cases := []struct {
		name   string
		stop   []string
		text   string
		pieces []string
		hit    string
	}{
		{name: "across two tokens", stop: []string{"de"}, text: "c", pieces: []string{"c"}, hit: "de"},
		{name: "prefix that does not complete is released", stop: []string{"dx"}, text: "cde", pieces: []string{"c", "de"}},
		{name: "first token", stop: []string{"cd"}, text: "", hit: "cd"},
		{name: "one token", stop: []string{"e"}, text: "cd", pieces: []string{"c", "d"}, hit: "e"},
		{name: "earliest of several", stop: []string{"e", "cd"}, text: "", hit: "cd"},
		{name: "never seen", stop: []string{"zz"}, text: "cde", pieces: []string{"c", "d", "e"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var pieces []string
			res, err := RunText(context.Background(), m, letters{}, "b", Options{Stop: tc.stop, OnText: func(s string) error {
				pieces = append(pieces, s)
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Text != tc.text || !slices.Equal(pieces, tc.pieces) || res.StopString != tc.hit {
				t.Errorf("text %q pieces %q hit %q, want %q %q %q", res.Text, pieces, res.StopString, tc.text, tc.pieces, tc.hit)
			}
			wantStop := StopEOG
			if tc.hit != "" {
				wantStop = StopString
			}
			if res.Stop != wantStop || res.Stop.FinishReason() != "stop" {
				t.Errorf("stop %s (%s), want %s", res.Stop, res.Stop.FinishReason(), wantStop)
			}
		})
	}
	if _, err := RunText(context.Background(), m, letters{}, "b", Options{Stop: []string{""}}); err == nil {
		t.Error("empty stop string accepted")
	}
}

// TestStopper: the held-back text never contains a stop string's start, at
// any split of the text into pieces.
func TestStopper(t *testing.T) {
	const text = "Hello, world! END of story. Done."
	for _, stops := range [][]string{{"END"}, {"ENDING", "Done"}, {"! E"}, {"story. D", "o"}, {"xyz"}} {
		want := text
		for _, s := range stops {
			if i := strings.Index(want, s); i >= 0 {
				want = want[:i]
			}
		}
		for step := 1; step <= 5; step++ {
			var out strings.Builder
			st := NewStopper(stops, func(s string) error {
				out.WriteString(s)
				if !strings.HasPrefix(want, out.String()) {
					t.Errorf("stops %q: emitted %q, past %q", stops, out.String(), want)
				}
				return nil
			})
			stopped := false
			for i := 0; i < len(text) && !stopped; i += step {
				var err error
				if stopped, err = st.Push(text[i:min(i+step, len(text))]); err != nil {
					t.Fatal(err)
				}
			}
			if !stopped {
				st.Flush()
			}
			if out.String() != want {
				t.Errorf("stops %q, pieces of %d: %q, want %q", stops, step, out.String(), want)
			}
		}
	}
}

func TestFinishReasons(t *testing.T) {
	m := countModel{vocab: 26, ctx: 6}
	for _, tc := range []struct {
		opts Options
		stop StopReason
		fr   string
	}{
		{Options{MaxTokens: 1}, StopMaxTokens, "length"},
		{Options{}, StopEOG, "stop"},
	} {
		res, err := RunText(context.Background(), m, letters{}, "b", tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Stop != tc.stop || res.Stop.FinishReason() != tc.fr {
			t.Errorf("%+v: %s %s", tc.opts, res.Stop, res.Stop.FinishReason())
		}
	}
	res, err := RunText(context.Background(), m, letters{}, "g", Options{})
	if err != nil || res.Stop != StopContext || res.Stop.FinishReason() != "length" {
		t.Errorf("context full: %v %v", res, err)
	}
}

func TestSampledRun(t *testing.T) {
	run := func(seed uint64) *Result {
		res, err := RunText(context.Background(), tree, letters{}, "", Options{
			Sample:   sample.Options{Temperature: 1, Rand: rand.New(rand.NewPCG(seed, 0))},
			LogProbs: true, TopLogProbs: 2,
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a := run(1)
	if b := run(1); !slices.Equal(a.IDs, b.IDs) {
		t.Errorf("same seed: %v vs %v", a.IDs, b.IDs)
	}
	if len(a.LogProbs) != len(a.IDs) {
		t.Fatalf("%d logprobs for %d ids", len(a.LogProbs), len(a.IDs))
	}
	last := 0
	for i, id := range a.IDs {
		lp := a.LogProbs[i]
		if lp.ID != id || math.Abs(lp.LogProb-tree.lp(last, id)) > 1e-6 || len(lp.Top) != 2 {
			t.Errorf("step %d: %+v, want id %d logprob %v", i, lp, id, tree.lp(last, id))
		}
		last = id
	}
	// Any seed: every id drawn has probability > 0 in the table.
	for seed := range uint64(30) {
		res := run(seed)
		last := 0
		for _, id := range res.IDs {
			if _, ok := tree.table[last][id]; !ok {
				t.Fatalf("seed %d: id %d after %d", seed, id, last)
			}
			last = id
		}
	}
	if _, err := RunText(context.Background(), tree, letters{}, "", Options{Sample: sample.Options{TopP: 2}}); !errors.Is(err, sample.ErrInvalidOption) {
		t.Errorf("bad top-p: %v", err)
	}
}

func TestBeamSearch(t *testing.T) {
	ctx := context.Background()
	greedy, err := Greedy(ctx, tree, letters{}, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(greedy.IDs, []int{1, 2}) {
		t.Fatalf("greedy ids %v", greedy.IDs)
	}
	one, err := RunText(ctx, tree, letters{}, "", Options{Beam: BeamOptions{Width: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(one.IDs, greedy.IDs) || one.Text != greedy.Text || len(one.Beams) != 1 {
		t.Errorf("width 1: %v %q, greedy %v %q", one.IDs, one.Text, greedy.IDs, greedy.Text)
	}
	two, err := RunText(ctx, tree, letters{}, "", Options{Beam: BeamOptions{Width: 2, EarlyStopping: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(two.Beams) != 2 || !slices.Equal(two.Beams[0].IDs, []int{2}) || !slices.Equal(two.Beams[1].IDs, []int{1, 2}) {
		t.Fatalf("width 2: %+v", two.Beams)
	}
	if two.Text != "c" || two.Stop != StopEOG {
		t.Errorf("best beam: %q %s", two.Text, two.Stop)
	}
	for _, bo := range []BeamOptions{{Width: 2, EarlyStopping: true}, {Width: 3, LengthPenalty: 1}, {Width: 4, N: 2, LengthPenalty: 0.5}} {
		res, err := RunText(ctx, tree, letters{}, "", Options{Beam: bo, MaxTokens: 4})
		if err != nil {
			t.Fatal(err)
		}
		want := bo.N
		if want == 0 {
			want = bo.Width
		}
		if len(res.Beams) != want {
			t.Errorf("%+v: %d beams", bo, len(res.Beams))
		}
		seen := map[string]bool{}
		for i, b := range res.Beams {
			k := ""
			for _, id := range b.IDs {
				k += string(rune('a' + id))
			}
			if seen[k] {
				t.Errorf("%+v: beam %q twice", bo, k)
			}
			seen[k] = true
			// Score = sum of the ids' log-probabilities (+ EOS's when it ended there).
			var sum float64
			last := 0
			for _, id := range b.IDs {
				sum += tree.lp(last, id)
				last = id
			}
			if b.Stop == StopEOG {
				sum += tree.lp(last, 5)
			}
			if math.Abs(sum-b.Score) > 1e-9 {
				t.Errorf("%+v beam %d %v: score %v, recomputed %v", bo, i, b.IDs, b.Score, sum)
			}
			if i > 0 && b.NormScore > res.Beams[i-1].NormScore {
				t.Errorf("%+v: beams not best first", bo)
			}
		}
	}
	for _, o := range []Options{
		{Beam: BeamOptions{Width: 2}, Sample: sample.Options{TopK: 3}},
		{Beam: BeamOptions{Width: 2, N: 3}},
		{Beam: BeamOptions{Width: -1}},
	} {
		if _, err := RunText(ctx, tree, letters{}, "", o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// TestBeamContext: beams that reach the end of the context finish with
// StopContext, like greedy decoding.
func TestBeamContext(t *testing.T) {
	loop := tableModel{ctx: 5, table: map[int]map[int]float64{0: {7: 1}, 7: {7: 0.9, 6: 0.1}, 6: {6: 1}}}
	g, err := Greedy(context.Background(), loop, letters{}, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := RunText(context.Background(), loop, letters{}, "", Options{Beam: BeamOptions{Width: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if g.Stop != StopContext || b.Stop != StopContext || !slices.Equal(g.IDs, b.IDs) {
		t.Errorf("greedy %v %s, beam %v %s", g.IDs, g.Stop, b.IDs, b.Stop)
	}
}

// cloneModel is tree with sequences that can Clone themselves and a count
// of the positions run.
type cloneModel struct {
	tableModel
	clone bool
	ran   *int
}

type cloneSeq struct {
	tableSeq
	ran *int
}

type cloneableSeq struct{ *cloneSeq }

func (s cloneableSeq) Clone() model.Sequence {
	c := *s.cloneSeq
	return cloneableSeq{&c}
}

func (m cloneModel) NewSequence(model.SequenceOptions) model.Sequence {
	s := &cloneSeq{tableSeq: tableSeq{m: m.tableModel}, ran: m.ran}
	if m.clone {
		return cloneableSeq{s}
	}
	return s
}

func (s *cloneSeq) Forward(ids []int, all bool) ([]float32, error) {
	*s.ran += len(ids)
	return s.tableSeq.Forward(ids, all)
}

// TestBeamClone: with sequences that can Clone, beams fork without
// re-running their prefix, with the same result.
func TestBeamClone(t *testing.T) {
	var results [2]*Result
	var ran [2]int
	for i, clone := range []bool{false, true} {
		m := cloneModel{tableModel: tree, clone: clone, ran: &ran[i]}
		res, err := RunText(context.Background(), m, letters{}, "", Options{Beam: BeamOptions{Width: 4, LengthPenalty: 1}, MaxTokens: 6})
		if err != nil {
			t.Fatal(err)
		}
		results[i] = res
	}
	if len(results[0].Beams) != len(results[1].Beams) {
		t.Fatalf("%d vs %d beams", len(results[0].Beams), len(results[1].Beams))
	}
	for i := range results[0].Beams {
		a, b := results[0].Beams[i], results[1].Beams[i]
		if !slices.Equal(a.IDs, b.IDs) || a.Score != b.Score {
			t.Errorf("beam %d: %v %v vs cloned %v %v", i, a.IDs, a.Score, b.IDs, b.Score)
		}
	}
	if ran[1] >= ran[0] {
		t.Errorf("positions run: %d with Clone, %d without", ran[1], ran[0])
	}
	t.Logf("positions run: %d re-running prefixes, %d with Clone", ran[0], ran[1])
}

// scriptModel emits script one id at a time (one-hot logits), whatever the
// input: the id after n cached positions is script[n-prompt].
type scriptModel struct {
	script []int
	prompt int
}

func (m scriptModel) Arch() string       { return "script" }
func (m scriptModel) ContextLength() int { return 64 }
func (m scriptModel) VocabSize() int     { return 260 }
func (m scriptModel) NewSequence(model.SequenceOptions) model.Sequence {
	return &scriptSeq{m: m}
}

type scriptSeq struct {
	m scriptModel
	n int
}

func (s *scriptSeq) Len() int { return s.n }
func (s *scriptSeq) Forward(ids []int, all bool) ([]float32, error) {
	s.n += len(ids)
	out := make([]float32, 260)
	out[s.m.script[min(s.n-s.m.prompt, len(s.m.script)-1)]] = 1
	return out, nil
}

// bytesTok is a byte-level fake tokenizer: ids 0–255 are bytes, 256 BOS,
// 257 EOS, 258 an end-of-turn id (both end generation).
type bytesTok struct{}

func (bytesTok) Encode(text string, opts tokenizer.EncodeOptions) ([]int, error) {
	var ids []int
	if opts.AddSpecial {
		ids = append(ids, 256)
	}
	for i := 0; i < len(text); i++ {
		ids = append(ids, int(text[i]))
	}
	return ids, nil
}

func (bytesTok) Decode(ids []int, opts tokenizer.DecodeOptions) (string, error) {
	var b []byte
	for _, id := range ids {
		if id < 256 {
			b = append(b, byte(id))
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

func (bytesTok) VocabSize() int { return 260 }
func (bytesTok) Specials() tokenizer.Specials {
	s := tokenizer.NoSpecials()
	s.BOS, s.EOS, s.EOG = 256, 257, []int{258}
	return s
}

func script(text string, end int) []int {
	var ids []int
	for i := 0; i < len(text); i++ {
		ids = append(ids, int(text[i]))
	}
	return append(ids, end, 'z', 'z')
}

// TestStreamStopUTF8: a stop string whose first character is split over two
// byte tokens; no piece of it (not even a lone byte) is streamed.
func TestStreamStopUTF8(t *testing.T) {
	for _, tc := range []struct {
		stop, want string
	}{
		{"é!", "ab "},
		{"é?", "ab é! cd"},
		{"!", "ab é"},
	} {
		var pieces []string
		m := scriptModel{script: script("ab é! cd", 257), prompt: 2}
		res, err := RunText(context.Background(), m, bytesTok{}, "x", Options{Stop: []string{tc.stop}, OnText: func(s string) error {
			if !utf8.ValidString(s) {
				t.Errorf("piece %q is not valid UTF-8", s)
			}
			pieces = append(pieces, s)
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Text != tc.want || strings.Join(pieces, "") != tc.want {
			t.Errorf("stop %q: text %q streamed %q, want %q", tc.stop, res.Text, pieces, tc.want)
		}
	}
}

// TestEveryEOGStops: generation ends at EOS and at any other
// end-of-generation id (Llama 3's <|eot_id|> and <|end_of_text|>).
func TestEveryEOGStops(t *testing.T) {
	for _, end := range []int{257, 258} {
		m := scriptModel{script: script("hi", end), prompt: 2}
		res, err := RunText(context.Background(), m, bytesTok{}, "x", Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Text != "hi" || res.Stop != StopEOG || len(res.IDs) != 2 {
			t.Errorf("end id %d: %q %s %v", end, res.Text, res.Stop, res.IDs)
		}
		b, err := RunText(context.Background(), m, bytesTok{}, "x", Options{Beam: BeamOptions{Width: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if b.Text != "hi" || b.Stop != StopEOG {
			t.Errorf("beams, end id %d: %q %s", end, b.Text, b.Stop)
		}
	}
}

// digitsThenEnd is a Constraint: exactly three digits ('0'–'9' bytes), then
// only EOS.
type digitsThenEnd struct{ n int }

func (c *digitsThenEnd) Mask(l []float32) {
	for i := range l {
		ok := c.n < 3 && i >= '0' && i <= '9' || c.n == 3 && i == 257
		if !ok {
			l[i] = float32(math.Inf(-1))
		}
	}
}

func (c *digitsThenEnd) Accept(id int) error {
	if id < '0' || id > '9' || c.n >= 3 {
		return errors.New("not allowed")
	}
	c.n++
	return nil
}

// TestConstraintThroughRun: a Constraint in Options.Sample masks every step
// of the loop (here against a model that wants to write "hello"), sees every
// generated id, and lets generation end only where it allows EOS.
func TestConstraintThroughRun(t *testing.T) {
	m := scriptModel{script: script("hello", 257), prompt: 2}
	for _, temp := range []float64{0, 1} {
		c := &digitsThenEnd{}
		res, err := RunText(context.Background(), m, bytesTok{}, "x", Options{Sample: sample.Options{
			Constraint: c, Temperature: temp, Rand: rand.New(rand.NewPCG(1, 1)),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Text) != 3 || strings.Trim(res.Text, "0123456789") != "" || res.Stop != StopEOG || c.n != 3 {
			t.Errorf("temperature %v: %q %s, constraint saw %d ids", temp, res.Text, res.Stop, c.n)
		}
	}
}

// TestBeamStopString: a beam whose text reaches a stop string finishes
// there (score: its ids' log-probabilities, the completing id included).
func TestBeamStopString(t *testing.T) {
	res, err := RunText(context.Background(), tree, letters{}, "", Options{Beam: BeamOptions{Width: 2, EarlyStopping: true}, Stop: []string{"bc"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Beams) != 2 {
		t.Fatalf("%+v", res.Beams)
	}
	b := res.Beams[1]
	want := tree.lp(0, 1) + tree.lp(1, 2)
	if !slices.Equal(b.IDs, []int{1, 2}) || b.Text != "" || b.Stop != StopString || b.StopString != "bc" || math.Abs(b.Score-want) > 1e-9 {
		t.Errorf("stopped beam %+v, want ids [1 2] text \"\" score %v", b, want)
	}
	if res.Beams[0].Text != "c" || res.Beams[0].Stop != StopEOG {
		t.Errorf("best beam %+v", res.Beams[0])
	}
}
