package sample

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

var negInf = float32(math.Inf(-1))

func ids(c []Candidate) []int {
	out := make([]int, len(c))
	for i, x := range c {
		out[i] = x.ID
	}
	return out
}

func cands(t *testing.T, logits ...float32) []Candidate {
	t.Helper()
	c, err := Candidates(nil, logits)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ln returns logits whose softmax is p (p sums to 1).
func ln(p ...float64) []float32 {
	out := make([]float32, len(p))
	for i, q := range p {
		out[i] = float32(math.Log(q))
	}
	return out
}

func TestCandidates(t *testing.T) {
	c := cands(t, 1, negInf, 2)
	if got := ids(c); !slices.Equal(got, []int{0, 2}) {
		t.Errorf("-Inf not dropped: %v", got)
	}
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
		if _, err := Candidates(nil, []float32{0, bad}); err == nil || !strings.Contains(err.Error(), "id 1") {
			t.Errorf("%v: err = %v", bad, err)
		}
	}
}

func TestTopK(t *testing.T) {
	cases := []struct {
		name   string
		logits []float32
		k      int
		want   []int
	}{
		{name: "two of four", logits: []float32{1, 3, 0, 2}, k: 2, want: []int{1, 3}},
		{name: "tie at the cut keeps the lower id", logits: []float32{3, 1, 3, 3}, k: 2, want: []int{0, 2}},
		{name: "k=1 tie", logits: []float32{0, 5, 5}, k: 1, want: []int{1}},
		{name: "k larger than vocab: all, sorted", logits: []float32{1, 3, 2}, k: 10, want: []int{1, 2, 0}},
		{name: "k=0 disables", logits: []float32{1, 3, 2}, k: 0, want: []int{0, 1, 2}},
		{name: "all equal", logits: []float32{7, 7, 7, 7}, k: 3, want: []int{0, 1, 2}},
		{name: "-Inf never kept", logits: []float32{negInf, 1, negInf}, k: 2, want: []int{1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(TopK(cands(t, tc.logits...), tc.k)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	// A large vocabulary (the heap path) agrees with a full sort.
	r := rand.New(rand.NewPCG(1, 2))
	big := make([]float32, 5000)
	for i := range big {
		big[i] = float32(r.IntN(300)) // many ties
	}
	for _, k := range []int{1, 40, 256, 4999} {
		want := cands(t, big...)
		SortDesc(want)
		if got := TopK(cands(t, big...), k); !slices.Equal(got, want[:k]) {
			t.Errorf("k=%d: heap selection differs from sorting", k)
		}
		withInf := slices.Clone(big)
		withInf[3], withInf[4000] = negInf, negInf
		want2 := cands(t, withInf...)
		SortDesc(want2)
		if got, err := topKLogits(nil, withInf, k); err != nil || !slices.Equal(got, want2[:min(k, len(want2))]) {
			t.Errorf("k=%d: one-pass selection from logits differs from sorting (%v)", k, err)
		}
	}
}

func TestTopP(t *testing.T) {
	cases := []struct {
		name    string
		logits  []float32
		p       float64
		minKeep int
		want    []int
	}{
		{name: "first alone reaches p", logits: ln(0.2, 0.5, 0.3), p: 0.45, want: []int{1}},
		{name: "two reach p", logits: ln(0.2, 0.5, 0.3), p: 0.75, want: []int{1, 2}},
		{name: "p=1 keeps all (unsorted)", logits: ln(0.2, 0.5, 0.3), p: 1, want: []int{0, 1, 2}},
		{name: "p just under 1 keeps all, sorted", logits: ln(0.2, 0.5, 0.3), p: 0.99, want: []int{1, 2, 0}},
		{name: "min_keep", logits: ln(0.2, 0.5, 0.3), p: 0.1, minKeep: 2, want: []int{1, 2}},
		{name: "all equal", logits: []float32{1, 1, 1, 1}, p: 0.45, want: []int{0, 1}},
		{name: "-Inf ignored", logits: []float32{negInf, 0, 0}, p: 0.4, want: []int{1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(TopP(cands(t, tc.logits...), tc.p, tc.minKeep)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	// Large unsorted sets take the best-256-first path; it must agree with
	// the plain one.
	r := rand.New(rand.NewPCG(3, 4))
	big := make([]float32, 3000)
	for i := range big {
		big[i] = float32(r.NormFloat64() * 3)
	}
	big[10], big[11], big[12] = 9, 9, 9 // ties at the top
	for _, p := range []float64{0.01, 0.1, 0.5, 0.9, 0.95, 0.999} {
		sorted := cands(t, big...)
		SortDesc(sorted)
		want := ids(TopP(sorted, p, 1))
		got := ids(TopP(cands(t, big...), p, 1))
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("p=%v: %d kept, sorted path %d", p, len(got), len(want))
		}
	}
}

func TestMinP(t *testing.T) {
	cases := []struct {
		name    string
		logits  []float32
		ratio   float64
		minKeep int
		want    []int
	}{
		{name: "half of max", logits: ln(0.2, 0.5, 0.3), ratio: 0.5, want: []int{1, 2}},
		{name: "ratio 0 disables", logits: ln(0.2, 0.5, 0.3), ratio: 0, want: []int{0, 1, 2}},
		{name: "ratio 1 keeps the max only", logits: ln(0.2, 0.5, 0.3), ratio: 1, want: []int{1}},
		{name: "ratio 1, ties at the max all kept", logits: []float32{2, 1, 2}, ratio: 1, want: []int{0, 2}},
		{name: "all equal", logits: []float32{3, 3, 3}, ratio: 0.9, want: []int{0, 1, 2}},
		{name: "min_keep pads with the most likely", logits: ln(0.2, 0.5, 0.3), ratio: 0.9, minKeep: 2, want: []int{1, 2}},
		{name: "tiny ratio keeps all", logits: ln(0.2, 0.5, 0.3), ratio: 1e-9, want: []int{0, 1, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(MinP(cands(t, tc.logits...), tc.ratio, tc.minKeep)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestTypicalP: p = (0.5, 0.3, 0.2) has entropy H = 1.0297; |−ln p − H| is
// (0.336, 0.174, 0.580), so the typical order is ids 1, 0, 2.
func TestTypicalP(t *testing.T) {
	logits := ln(0.5, 0.3, 0.2)
	for _, tc := range []struct {
		mass    float64
		minKeep int
		want    []int
	}{
		{mass: 0.2, want: []int{1}},
		{mass: 0.5, want: []int{1, 0}},
		{mass: 0.85, want: []int{1, 0, 2}},
		{mass: 0.2, minKeep: 2, want: []int{1, 0}},
		{mass: 1, want: []int{0, 1, 2}},
	} {
		if got := ids(TypicalP(cands(t, logits...), tc.mass, tc.minKeep)); !slices.Equal(got, tc.want) {
			t.Errorf("mass %v min_keep %d: got %v, want %v", tc.mass, tc.minKeep, got, tc.want)
		}
	}
	if got := ids(TypicalP(cands(t, 1, 1, 1), 0.5, 1)); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("all equal: got %v", got)
	}
}

// TestPenalties: llama.cpp divides positive logits and multiplies negative
// ones, then subtracts count·freq + presence.
func TestPenalties(t *testing.T) {
	logits := []float32{2, -2, 1, 0.5, 0}
	if err := ApplyPenalties(logits, map[int]int{0: 2, 1: 1, 4: 1}, 2, 0.1, 0.5); err != nil {
		t.Fatal(err)
	}
	want := []float32{2.0/2 - (2*0.1 + 0.5), -2*2 - (0.1 + 0.5), 1, 0.5, 0 - 0.6}
	for i := range want {
		if math.Abs(float64(logits[i]-want[i])) > 1e-6 {
			t.Errorf("logits %v, want %v", logits, want)
			break
		}
	}
	if err := ApplyPenalties(logits, map[int]int{9: 1}, 2, 0, 0); err == nil {
		t.Error("an id outside the vocabulary was accepted")
	}
}

func TestTemperatureAndArgmax(t *testing.T) {
	c := cands(t, 1, 4, -2)
	ApplyTemperature(c, 2)
	if c[0].Logit != 0.5 || c[1].Logit != 2 || c[2].Logit != -1 {
		t.Errorf("temperature 2: %v", c)
	}
	if got := Argmax(cands(t, 1, 4, 4, negInf)); got != 1 {
		t.Errorf("argmax tie: %d, want the lower id 1", got)
	}
}

func TestSamplerGreedy(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	logits := []float32{1, 5, 5, 2}
	id, err := s.Sample(logits)
	if err != nil || id != 1 {
		t.Fatalf("greedy: %d %v, want 1", id, err)
	}
	if !slices.Equal(logits, []float32{1, 5, 5, 2}) {
		t.Errorf("Sample changed its input: %v", logits)
	}
	// A bias of -Inf bans the argmax; the penalties then pick among the rest.
	s, _ = New(Options{LogitBias: map[int]float32{1: negInf, 2: negInf}})
	if id, _ := s.Sample(logits); id != 3 {
		t.Errorf("banned argmax: got %d, want 3", id)
	}
	s, _ = New(Options{LogitBias: map[int]float32{0: negInf, 1: negInf, 2: negInf, 3: negInf}})
	if _, err := s.Sample(logits); !errors.Is(err, ErrNoCandidates) {
		t.Errorf("everything banned: err = %v", err)
	}
	s, _ = New(Options{LogitBias: map[int]float32{7: 1}})
	if _, err := s.Sample(logits); err == nil || !strings.Contains(err.Error(), "id 7") {
		t.Errorf("bias outside vocab: err = %v", err)
	}
	s, _ = New(Options{})
	if _, err := s.Sample([]float32{1, float32(math.NaN())}); err == nil {
		t.Error("NaN logit accepted")
	}
}

// TestSamplerPenaltyWindow: the repetition penalty sees the last
// RepeatLastN ids only.
func TestSamplerPenaltyWindow(t *testing.T) {
	logits := []float32{3, 2.5, 0}
	for _, tc := range []struct {
		lastN int
		hist  []int
		want  int
	}{
		{lastN: 2, hist: []int{0, 2, 2}, want: 0}, // 0 left the window
		{lastN: 3, hist: []int{0, 2, 2}, want: 1}, // 3/2 < 2.5
		{lastN: -1, hist: []int{0, 2, 2, 2, 2}, want: 1},
		{lastN: 0, hist: append([]int{0}, make([]int, 0)...), want: 1}, // 0 means 64
	} {
		s, err := New(Options{RepeatPenalty: 2, RepeatLastN: tc.lastN})
		if err != nil {
			t.Fatal(err)
		}
		s.Observe(tc.hist[:1]...)
		for _, id := range tc.hist[1:] {
			if err := s.Accept(id); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := s.Sample(logits); got != tc.want {
			t.Errorf("last %d of %v: got %d, want %d", tc.lastN, tc.hist, got, tc.want)
		}
	}
}

// oddMask is a Constraint that allows only odd ids and records accepts.
type oddMask struct{ accepted []int }

func (m *oddMask) Mask(l []float32) {
	for i := 0; i < len(l); i += 2 {
		l[i] = negInf
	}
}

func (m *oddMask) Accept(id int) error {
	if id%2 == 0 {
		return fmt.Errorf("even id %d", id)
	}
	m.accepted = append(m.accepted, id)
	return nil
}

func TestConstraint(t *testing.T) {
	m := &oddMask{}
	s, err := New(Options{Constraint: m, Temperature: 1, TopK: 3, Rand: rand.New(rand.NewPCG(1, 1))})
	if err != nil {
		t.Fatal(err)
	}
	logits := []float32{9, 1, 8, 2, 7, 0}
	for range 50 {
		id, err := s.Sample(logits)
		if err != nil {
			t.Fatal(err)
		}
		if id%2 == 0 {
			t.Fatalf("masked id %d drawn", id)
		}
		if err := s.Accept(id); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.accepted) != 50 {
		t.Errorf("constraint saw %d accepts", len(m.accepted))
	}
	s.Observe(4) // the prompt does not reach the constraint
	if err := s.Accept(4); err == nil || !strings.Contains(err.Error(), "even id 4") {
		t.Errorf("refused id: err = %v", err)
	}
}

func TestValidate(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Temperature: -1}, "Temperature"},
		{Options{Temperature: math.NaN()}, "Temperature"},
		{Options{Temperature: 1}, "needs a Rand"},
		{Options{TopK: -1}, "TopK"},
		{Options{TopP: 1.5}, "TopP"},
		{Options{TopP: -0.1}, "TopP"},
		{Options{TopP: math.NaN()}, "TopP"},
		{Options{MinP: 2}, "MinP"},
		{Options{TypicalP: -1}, "TypicalP"},
		{Options{RepeatPenalty: -1}, "RepeatPenalty"},
		{Options{FrequencyPenalty: math.Inf(1)}, "FrequencyPenalty"},
		{Options{RepeatLastN: -2}, "RepeatLastN"},
		{Options{MinKeep: -1}, "MinKeep"},
		{Options{LogitBias: map[int]float32{-1: 1}}, "LogitBias"},
		{Options{LogitBias: map[int]float32{1: float32(math.NaN())}}, "LogitBias[1]"},
	} {
		_, err := New(tc.o)
		if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want one naming %s", tc.o, err, tc.want)
		}
	}
	if _, err := New(Options{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1, Rand: r}); err != nil {
		t.Errorf("llama.cpp's defaults: %v", err)
	}
	if (Options{TopP: 1, RepeatPenalty: 1, TypicalP: 1}).Neutral() != true || (Options{TopK: 1}).Neutral() {
		t.Error("Neutral")
	}
}

// TestSeedReproducible: the same seed gives the same ids; another seed
// differs.
func TestSeedReproducible(t *testing.T) {
	logits := make([]float32, 100)
	for i := range logits {
		logits[i] = float32(i%7) * 0.3
	}
	run := func(seed uint64) []int {
		s, err := New(Options{Temperature: 1, Rand: rand.New(rand.NewPCG(seed, 0))})
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for range 50 {
			id, err := s.Sample(logits)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	if !slices.Equal(a, b) {
		t.Error("same seed, different ids")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds, same 50 ids")
	}
}

// TestChiSquare: over many draws with a fixed seed, the frequencies of the
// sampled ids match the processed distribution (Distribution), and nothing
// outside it is ever drawn.
func TestChiSquare(t *testing.T) {
	small := []float32{2.0, 1.5, 1.4, 0.3, -0.5, 1.0, 0.9, -3, 0.2, 1.7, -1, 0.6}
	// A 2000-token vocabulary (top-p's bucketed path) with a few likely ids.
	large := make([]float32, 2000)
	for i := range large {
		large[i] = -10 - float32(i%13)*0.1
	}
	copy(large[100:], []float32{3, 2.2, 2.9, 1.5, 2.5, 0.7})
	type tc struct {
		logits []float32
		o      Options
	}
	for _, c := range []tc{
		{small, Options{Temperature: 1}},
		{small, Options{Temperature: 0.7, TopK: 8}},
		{small, Options{Temperature: 1.3, TopP: 0.9}},
		{small, Options{Temperature: 1, MinP: 0.2}},
		{small, Options{Temperature: 1, TypicalP: 0.8}},
		{small, Options{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.3}},
		{large, Options{Temperature: 1.2, TopP: 0.9}},
		{large, Options{Temperature: 0.9, TopK: 5}},
	} {
		logits, o := c.logits, c.o
		t.Run(fmt.Sprintf("%d/%+v", len(logits), o), func(t *testing.T) {
			o.Rand = rand.New(rand.NewPCG(42, 7))
			s, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			s.Observe(0, 9, 9)
			c, p, err := s.Distribution(logits)
			if err != nil {
				t.Fatal(err)
			}
			expect := map[int]float64{}
			for i, x := range c {
				expect[x.ID] = p[i]
			}
			n := 60000
			if len(logits) > 100 {
				n = 30000
			}
			count := map[int]int{}
			for range n {
				id, err := s.Sample(logits)
				if err != nil {
					t.Fatal(err)
				}
				count[id]++
			}
			var chi2 float64
			for id, k := range count {
				if _, ok := expect[id]; !ok {
					t.Fatalf("id %d drawn %d times but is not in the distribution %v", id, k, expect)
				}
			}
			for id, q := range expect {
				e := q * float64(n)
				d := float64(count[id]) - e
				chi2 += d * d / e
			}
			df := float64(len(expect) - 1)
			if df == 0 {
				return
			}
			// Wilson–Hilferty: the chi-square quantile at 1 − 0.001 (z = 3.09).
			crit := df * math.Pow(1-2/(9*df)+3.09*math.Sqrt(2/(9*df)), 3)
			if chi2 > crit {
				t.Errorf("chi² = %.1f > %.1f (df %v): counts %v, expected p %v", chi2, crit, df, count, expect)
			}
		})
	}
}

func TestLogProbs(t *testing.T) {
	logits := ln(0.5, 0.25, 0.125, 0.125)
	lp, err := LogProbs(logits, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(lp.LogProb-math.Log(0.125)) > 1e-6 || lp.ID != 2 {
		t.Errorf("chosen: %+v", lp.TokenLogProb)
	}
	wantIDs := []int{0, 1, 2} // 2 and 3 tie: the lower id
	for i, x := range lp.Top {
		if x.ID != wantIDs[i] {
			t.Errorf("top %+v, want ids %v", lp.Top, wantIDs)
			break
		}
	}
	if math.Abs(lp.Top[1].LogProb-math.Log(0.25)) > 1e-6 {
		t.Errorf("top[1] = %+v", lp.Top[1])
	}
	if _, err := LogProbs(logits, 4, 1); err == nil {
		t.Error("id outside the vocabulary accepted")
	}
	if got := TopLogits([]float32{1, 2}, 5); len(got) != 2 || got[0].ID != 1 {
		t.Errorf("n > vocab: %v", got)
	}
}

// TestSortDescKeys: the packed-key sort of large slices orders exactly as
// the comparison sort (ties, ±0, ±Inf included).
func TestSortDescKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	specials := []float32{0, float32(math.Copysign(0, -1)), negInf, float32(math.Inf(1)), math.MaxFloat32, -math.SmallestNonzeroFloat32}
	c := make([]Candidate, 10000)
	for i := range c {
		v := float32(r.IntN(50)) - 25
		if i%97 == 0 {
			v = specials[r.IntN(len(specials))]
		}
		c[i] = Candidate{ID: r.IntN(1 << 20), Logit: v}
	}
	want := slices.Clone(c)
	slices.SortStableFunc(want, byLogit)
	SortDesc(c)
	for i := range c {
		if c[i].ID != want[i].ID || c[i].Logit != want[i].Logit {
			t.Fatalf("position %d: %+v, comparison sort %+v", i, c[i], want[i])
		}
	}
}

// TestDrawFastPath: drawing straight from the logits (no filter on) picks
// the same ids as drawing from the candidate list.
func TestDrawFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	logits := make([]float32, 3000)
	for i := range logits {
		logits[i] = float32(r.NormFloat64() * 2)
	}
	logits[7], logits[100] = negInf, negInf
	for _, temp := range []float64{0.3, 1, 1.7} {
		s, err := New(Options{Temperature: temp, Rand: rand.New(rand.NewPCG(1, 2))})
		if err != nil {
			t.Fatal(err)
		}
		r2 := rand.New(rand.NewPCG(1, 2))
		for i := range 300 {
			got, err := s.Sample(logits)
			if err != nil {
				t.Fatal(err)
			}
			c := cands(t, logits...)
			ApplyTemperature(c, temp)
			if want := Draw(c, r2); got != want {
				t.Fatalf("temperature %v draw %d: %d, candidate path %d", temp, i, got, want)
			}
		}
	}
}

// TestMinPFastPath: with min-p the only filter, the sampler builds only the
// surviving candidates; the ids drawn equal the general path's.
func TestMinPFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	logits := make([]float32, 3000)
	for i := range logits {
		logits[i] = float32(r.NormFloat64() * 2)
	}
	logits[5] = negInf
	for _, ratio := range []float64{0.01, 0.3, 1} {
		s, err := New(Options{Temperature: 0.9, MinP: ratio, Rand: rand.New(rand.NewPCG(1, 2))})
		if err != nil {
			t.Fatal(err)
		}
		r2 := rand.New(rand.NewPCG(1, 2))
		for i := range 200 {
			got, err := s.Sample(logits)
			if err != nil {
				t.Fatal(err)
			}
			c := MinP(cands(t, logits...), ratio, 1)
			ApplyTemperature(c, 0.9)
			if want := Draw(c, r2); got != want {
				t.Fatalf("min-p %v draw %d: %d, general path %d", ratio, i, got, want)
			}
		}
	}
}

// TestTypicalPLarge: the bucketed path for large sets keeps the same tokens
// as the sorted path.
func TestTypicalPLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	big := make([]float32, 4000)
	for i := range big {
		big[i] = float32(r.NormFloat64() * 2)
	}
	big[1], big[2] = 8, 8
	for _, mass := range []float64{0.05, 0.3, 0.9, 0.99} {
		want := ids(TypicalP(cands(t, big...), mass, 2)) // minKeep 2: the sorted path
		got := ids(TypicalP(cands(t, big...), mass, 1))
		if len(want) < 2 || len(got) < 1 {
			t.Fatalf("mass %v: %d / %d kept", mass, len(want), len(got))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("mass %v: bucketed path kept %d, sorted path %d", mass, len(got), len(want))
		}
	}
}

// TestArgmaxLogitsFast: the fast scan gives argmaxScan's index or error on
// every length 0-70 and on a vocabulary's length, with ties, ±0, ±Inf and
// NaN at random places.
func TestArgmaxLogitsFast(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	specials := []float32{0, float32(math.Copysign(0, -1)), negInf, float32(math.Inf(1)), float32(math.NaN()), 3, -3}
	for trial := range 4000 {
		n := trial % 71
		if trial%100 == 99 {
			n = 32000 + trial%5
		}
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.IntN(7) - 3) // many ties
		}
		for range r.IntN(4) {
			if n > 0 {
				x[r.IntN(n)] = specials[r.IntN(len(specials))]
			}
		}
		if trial%3 == 0 { // mostly -Inf (a constrained vocabulary)
			for i := range x {
				if r.IntN(4) > 0 {
					x[i] = negInf
				}
			}
		}
		got, gerr := argmaxLogits(x)
		want, werr := argmaxScan(x)
		if got != want || (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
			t.Fatalf("%v: argmaxLogits %d, %v; argmaxScan %d, %v", x, got, gerr, want, werr)
		}
	}
}
