package grammar

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// allowedIDs runs Mask on zero logits and lists the ids left finite.
func allowedIDs(m *Matcher, n int) []int {
	logits := make([]float32, n)
	m.Mask(logits)
	var ids []int
	for i, l := range logits {
		if !math.IsInf(float64(l), -1) {
			ids = append(ids, i)
		}
	}
	return ids
}

func mustParse(t testing.TB, src string) *Grammar {
	t.Helper()
	g, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func vocabOf(toks ...string) [][]byte {
	v := make([][]byte, len(toks))
	for i, s := range toks {
		if s != "" {
			v[i] = []byte(s)
		}
	}
	return v
}

func TestMatcherMultiSymbolTokens(t *testing.T) {
	g := mustParse(t, `root ::= "{" ("\"a\":" [0-9]+) "}"`)
	//                 0    1   2      3       4      5     6      7     8
	vocab := vocabOf("", "{", "{\"", "\"a\":", "\"a", "12", "3}", "}", "a")
	m, err := NewMatcher(g, vocab, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	if got := allowedIDs(m, len(vocab)); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("start: allowed %v, want [1 2]", got)
	}
	if err := m.Accept(2); err != nil {
		t.Fatal(err)
	}
	if got := allowedIDs(m, len(vocab)); !slices.Equal(got, []int{8}) {
		t.Fatalf("after {\": allowed %v, want [8]", got)
	}
	if err := m.Accept(5); err == nil {
		t.Fatal("Accept of a disallowed token succeeded")
	}
	if err := m.Accept(8); err != nil {
		t.Fatal(err)
	}
	if got := allowedIDs(m, len(vocab)); len(got) != 0 {
		t.Fatalf("after {\"a: allowed %v, want none (the grammar wants \": and no token starts so)", got)
	}
	// Restart and take {  "a":  12  3}
	m, _ = NewMatcher(g, vocab, []int{0})
	for _, id := range []int{1, 3, 5} {
		if err := m.Accept(id); err != nil {
			t.Fatal(err)
		}
	}
	if got := allowedIDs(m, len(vocab)); !slices.Equal(got, []int{5, 6, 7}) {
		t.Fatalf("after digits: allowed %v, want [5 6 7]", got)
	}
	if m.CanEnd() || m.Done() {
		t.Fatal("complete too early")
	}
	if err := m.Accept(6); err != nil {
		t.Fatal(err)
	}
	if !m.Done() || !m.CanEnd() {
		t.Fatal("not complete after }")
	}
	if got := allowedIDs(m, len(vocab)); !slices.Equal(got, []int{0}) {
		t.Fatalf("at the end: allowed %v, want only eog [0]", got)
	}
	if err := m.Accept(0); err != nil {
		t.Fatal(err)
	}
	if err := m.Accept(1); err == nil {
		t.Fatal("Accept after eog succeeded")
	}
}

func TestMatcherPartialUTF8(t *testing.T) {
	g := mustParse(t, `root ::= "é" [α-ω]* "!"`)
	e := []byte("é")  // c3 a9
	a := []byte("αβ") // ce b1 ce b2
	vocab := [][]byte{
		nil,                // 0 eos
		{e[0]},             // 1 first byte of é
		{e[1]},             // 2 second byte of é
		{e[1], a[0]},       // 3 end of é + start of α
		{a[1]},             // 4 end of α
		{a[1], a[2], a[3]}, // 5 end of α + β
		[]byte("!"),        // 6
		{0xC3},             // 7 same as 1 (another id)
		{0xFF},             // 8 never valid UTF-8
		[]byte("é"),        // 9 whole é
		{a[2]},             // 10 start of β (ce)
	}
	m, err := NewMatcher(g, vocab, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	if got := allowedIDs(m, len(vocab)); !slices.Equal(got, []int{1, 7, 9}) {
		t.Fatalf("start: allowed %v, want [1 7 9]", got)
	}
	for _, id := range []int{1, 3} {
		if err := m.Accept(id); err != nil {
			t.Fatal(err)
		}
	}
	// Mid-character: only bytes that finish a Greek letter α-ω.
	if got := allowedIDs(m, len(vocab)); !slices.Equal(got, []int{4, 5}) {
		t.Fatalf("mid α: allowed %v, want [4 5]", got)
	}
	if err := m.Accept(5); err != nil {
		t.Fatal(err)
	}
	if got := allowedIDs(m, len(vocab)); !slices.Equal(got, []int{6, 10}) {
		t.Fatalf("after αβ: allowed %v, want [6 10]", got)
	}
	if err := m.Accept(6); err != nil {
		t.Fatal(err)
	}
	if !m.Done() {
		t.Fatal("not done")
	}
	if !g.Match([]byte("éαβ!")) || g.Match([]byte("éa!")) || g.Match([]byte{0xc3, 0xa9, 0xce, '!'}) {
		t.Fatal("Match disagrees")
	}
}

func TestMatcherEOG(t *testing.T) {
	g := mustParse(t, `root ::= "a"+`)
	vocab := vocabOf("a", "aa", "", "", "b")
	m, err := NewMatcher(g, vocab, []int{2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := allowedIDs(m, 6); !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("start: allowed %v (logits beyond the vocabulary must be masked too)", got)
	}
	if err := m.Accept(2); err == nil {
		t.Fatal("eog before a match was accepted")
	}
	if err := m.Accept(1); err != nil {
		t.Fatal(err)
	}
	if got := allowedIDs(m, 5); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Fatalf("after aa: allowed %v", got)
	}
	if m.Done() {
		t.Fatal("a+ can go on: not Done")
	}
	c := m.Clone()
	if err := c.Accept(3); err != nil {
		t.Fatal(err)
	}
	if !c.Done() || m.Done() {
		t.Fatal("clone state leaked")
	}
	if _, err := NewMatcher(g, vocab, []int{9}); err == nil {
		t.Fatal("eog id outside the vocabulary accepted")
	}
}

func TestMatcherBudget(t *testing.T) {
	g := mustParse(t, `root ::= "[" (item ("," item)*)? "]"
item ::= "x" | "{" item "}"`)
	vocab := vocabOf("", "[", "]", ",", "x", "{", "}", "[x", ",{", "}]", "x]")
	for budget := 2; budget <= 12; budget++ {
		m, _ := NewMatcher(g, vocab, []int{0})
		m.SetMaxTokens(budget)
		var out strings.Builder
		// Adversarial: always take the allowed token that opens the most.
		prefer := []int{8, 5, 3, 1, 4, 6, 9, 10, 2}
		for n := 0; n < budget; n++ {
			ids := allowedIDs(m, len(vocab))
			pick := -1
			for _, p := range prefer {
				if slices.Contains(ids, p) {
					pick = p
					break
				}
			}
			if pick < 0 {
				break
			}
			if err := m.Accept(pick); err != nil {
				t.Fatal(err)
			}
			out.Write(vocab[pick])
		}
		if !g.Match([]byte(out.String())) {
			t.Errorf("budget %d: %q is not a full match", budget, out.String())
		}
	}
}

// TestUTF8Validity holds the automaton to RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF, whatever the grammar allows.
func TestUTF8Validity(t *testing.T) {
	g := mustParse(t, `root ::= .`)
	for _, tc := range []struct {
		b    []byte
		want bool
	}{
		{[]byte{0x7F}, true},
		{[]byte{0xC2, 0x80}, true},
		{[]byte{0xC0, 0x80}, false}, // overlong NUL
		{[]byte{0xC1, 0xBF}, false},
		{[]byte{0xE0, 0xA0, 0x80}, true},
		{[]byte{0xE0, 0x80, 0x80}, false}, // overlong
		{[]byte{0xED, 0x9F, 0xBF}, true},  // U+D7FF
		{[]byte{0xED, 0xA0, 0x80}, false}, // U+D800, a surrogate
		{[]byte{0xEE, 0x80, 0x80}, true},
		{[]byte{0xF0, 0x90, 0x80, 0x80}, true},
		{[]byte{0xF0, 0x80, 0x80, 0x80}, false}, // overlong
		{[]byte{0xF4, 0x8F, 0xBF, 0xBF}, true},  // U+10FFFF
		{[]byte{0xF4, 0x90, 0x80, 0x80}, false}, // above U+10FFFF
		{[]byte{0xF5, 0x80, 0x80, 0x80}, false},
		{[]byte{0x80}, false},
		{[]byte{0xC3}, false}, // incomplete
	} {
		if got := g.Match(tc.b); got != tc.want {
			t.Errorf("% x: Match = %v, want %v", tc.b, got, tc.want)
		}
	}
}

// TestPartialUTF8Classes checks that partial characters are judged by the
// class: after the byte C3 (U+00C0-U+00FF) a class that leaves out é
// (C3 A9) must still refuse A9 while allowing A0 (à), and a class holding
// the whole block allows every continuation.
func TestPartialUTF8Classes(t *testing.T) {
	vocab := [][]byte{nil, {0xC3}, {0xA9}, {0xA0}, []byte("a"), {0xC2}}
	for _, tc := range []struct {
		src  string
		want []int // allowed after C3
	}{
		{`root ::= [^é]+`, []int{3}},
		{`root ::= [^a]+`, []int{2, 3}},
		{`root ::= [à-é]+`, []int{2, 3}},
		{`root ::= [à-è]+ | "é!"`, []int{2, 3}},
		{`root ::= [a-z]+`, nil},
	} {
		g := mustParse(t, tc.src)
		m, err := NewMatcher(g, vocab, []int{0})
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == nil {
			if m.Allowed(1) {
				t.Errorf("%s: C3 allowed", tc.src)
			}
			continue
		}
		// Prime the automaton with another partial value (C2) first, so a
		// wrongly shared state would show.
		if p := m.Clone(); p.Allowed(5) {
			if err := p.Accept(5); err != nil {
				t.Fatal(err)
			}
			allowedIDs(p, len(vocab))
		}
		if err := m.Accept(1); err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if got := allowedIDs(m, len(vocab)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: after C3 allowed %v, want %v", tc.src, got, tc.want)
		}
	}
	// The representative of a shared partial state must not leak: after
	// "é" (wild in [^a]) comes a check on the full character.
	g := mustParse(t, `root ::= [^a]* "!"`)
	for _, s := range []string{"é!", "à!", "日本!", "😀!"} {
		if !g.Match([]byte(s)) {
			t.Errorf("%q should match", s)
		}
	}
}

// TestClonesConcurrent runs clones of one matcher (beams) from several
// goroutines; they share the automaton and its caches (run with -race).
func TestClonesConcurrent(t *testing.T) {
	g := mustParse(t, `root ::= "[" ([a-c]{1,3} ("," [a-c]{1,3})*)? "]"`)
	vocab := vocabOf("", "[", "]", ",", "a", "b", "c", "ab", "bc]", "[a", "c,")
	m, err := NewMatcher(g, vocab, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	for w := range 4 {
		c := m.Clone()
		go func() {
			var out strings.Builder
			logits := make([]float32, len(vocab))
			r := uint64(w + 1)
			for step := 0; step < 30 && !c.Done(); step++ {
				clear(logits)
				c.Mask(logits)
				var ids []int
				for id, l := range logits {
					if !math.IsInf(float64(l), -1) {
						ids = append(ids, id)
					}
				}
				if len(ids) == 0 {
					break
				}
				r = r*6364136223846793005 + 1442695040888963407
				id := ids[(r>>33)%uint64(len(ids))]
				if c.Accept(id) != nil {
					break
				}
				out.Write(vocab[id])
			}
			done <- out.String()
		}()
	}
	for range 4 {
		if s := <-done; !g.MatchPrefix([]byte(s)) {
			t.Errorf("%q is not a prefix of the grammar", s)
		}
	}
}
