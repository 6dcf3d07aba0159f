package bpe

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveApply is the specification: repeatedly merge the lowest-ranked
// adjacent pair, leftmost on ties.
func naiveApply(m *Merges, syms []int) []int {
	s := slices.Clone(syms)
	for {
		best, at := noRank, -1
		for i := 0; i+1 < len(s); i++ {
			if r := m.rank(s[i], s[i+1]); r < best {
				best, at = r, i
			}
		}
		if at < 0 {
			return s
		}
		mg, _ := m.Lookup(s[at], s[at+1])
		s = slices.Replace(s, at, at+2, int(mg.ID))
	}
}

func TestApplyMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 300; trial++ {
		alpha := 2 + rng.IntN(4)
		m := NewMerges(0)
		next := alpha
		for r := 0; r < 40; r++ {
			// Merges over existing symbols, with some equal ranks to exercise ties.
			m.Add(rng.IntN(next), rng.IntN(next), rng.IntN(30), next)
			next++
		}
		for _, n := range []int{0, 1, 2, 3, 7, 20, heapThreshold, heapThreshold + 1, 200} {
			in := make([]int, n)
			for i := range in {
				in[i] = rng.IntN(alpha)
			}
			want := naiveApply(m, in)
			got := m.Apply(slices.Clone(in))
			if !slices.Equal(got, want) {
				t.Fatalf("trial %d n=%d: Apply=%v want %v (in %v)", trial, n, got, want, in)
			}
		}
	}
}

func TestAddKeepsLowerRank(t *testing.T) {
	m := NewMerges(2)
	m.Add(1, 2, 5, 10)
	m.Add(1, 2, 3, 11)
	m.Add(1, 2, 7, 12)
	if mg, _ := m.Lookup(1, 2); mg.Rank != 3 || mg.ID != 11 {
		t.Fatalf("Lookup(1,2) = %+v, want rank 3 id 11", mg)
	}
}

func TestSetKeepsLastEntry(t *testing.T) {
	m := NewMerges(2)
	m.Set(1, 2, 3, 10)
	m.Set(1, 2, 7, 11)
	if mg, _ := m.Lookup(1, 2); mg.Rank != 7 || mg.ID != 11 {
		t.Fatalf("Lookup(1,2) = %+v, want rank 7 id 11", mg)
	}
}
