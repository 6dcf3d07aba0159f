package sample

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Candidate is one token still in the running: its id and current logit.
type Candidate struct {
	ID    int
	Logit float32
}

// ErrNoCandidates is returned (wrapped) when every token is masked or
// banned, so nothing can be chosen.
var ErrNoCandidates = errors.New("no token left to choose (every logit is -Inf)")

// byLogit orders candidates by descending logit, the lower id first among
// equal logits: the order every processor that sorts uses.
func byLogit(a, b Candidate) int {
	if a.Logit != b.Logit {
		if a.Logit > b.Logit {
			return -1
		}
		return 1
	}
	return cmp.Compare(a.ID, b.ID)
}

// better reports whether a comes before b in byLogit order.
func better(a, b Candidate) bool {
	return a.Logit > b.Logit || (a.Logit == b.Logit && a.ID < b.ID)
}

// SortDesc sorts c by descending logit, the lower id first among equals.
// Large slices are sorted as packed integer keys, several times faster than
// a comparison function.
func SortDesc(c []Candidate) {
	if len(c) < 2048 || len(c) > math.MaxUint32 {
		slices.SortFunc(c, byLogit)
		return
	}
	keys := make([]uint64, len(c))
	for i, x := range c {
		if x.ID < 0 || x.ID > math.MaxUint32 {
			slices.SortFunc(c, byLogit)
			return
		}
		keys[i] = uint64(descKey(x.Logit))<<32 | uint64(x.ID)
	}
	slices.Sort(keys)
	for i, k := range keys {
		id := int(uint32(k))
		c[i] = Candidate{ID: id, Logit: fromDescKey(uint32(k >> 32))}
	}
}

// descKey maps a float32 (not NaN) to a uint32 whose ascending order is the
// float's descending order; -0 counts as +0 (fromDescKey gives +0 back).
func descKey(f float32) uint32 {
	if f == 0 {
		f = 0
	}
	b := math.Float32bits(f)
	if b&0x80000000 != 0 {
		b = ^b
	} else {
		b |= 0x80000000
	}
	return ^b
}

func fromDescKey(k uint32) float32 {
	b := ^k
	if b&0x80000000 != 0 {
		b &^= 0x80000000
	} else {
		b = ^b
	}
	return math.Float32frombits(b)
}

func isSorted(c []Candidate) bool { return slices.IsSortedFunc(c, byLogit) }

// Candidates appends to dst every id whose logit is not -Inf. NaN or +Inf
// is an error naming the id.
func Candidates(dst []Candidate, logits []float32) ([]Candidate, error) {
	for i, v := range logits {
		if v != v || v > math.MaxFloat32 {
			return dst, fmt.Errorf("sample: logit of id %d is %v", i, v)
		}
		if v >= -math.MaxFloat32 {
			dst = append(dst, Candidate{ID: i, Logit: v})
		}
	}
	return dst, nil
}

// ApplyLogitBias adds bias[id] to logits[id]; an id outside logits is an
// error.
func ApplyLogitBias(logits []float32, bias map[int]float32) error {
	for id, b := range bias {
		if id < 0 || id >= len(logits) {
			return fmt.Errorf("sample: LogitBias id %d outside the vocabulary of %d: %w", id, len(logits), ErrInvalidOption)
		}
		logits[id] += b
	}
	return nil
}

// ApplyPenalties applies the repetition, frequency and presence penalties to
// the ids counted in counts (id → occurrences in the penalty window), as
// llama.cpp's penalties sampler does: a positive logit is divided by repeat,
// a negative (or zero) one multiplied by it, then count·freq + presence is
// subtracted. An id outside logits is an error.
func ApplyPenalties(logits []float32, counts map[int]int, repeat, freq, presence float32) error {
	for id, n := range counts {
		if id < 0 || id >= len(logits) {
			return fmt.Errorf("sample: penalty window id %d outside the vocabulary of %d", id, len(logits))
		}
		if n <= 0 {
			continue
		}
		l := logits[id]
		if l <= 0 {
			l *= repeat
		} else {
			l /= repeat
		}
		logits[id] = l - (float32(n)*freq + presence)
	}
	return nil
}

// TopK keeps the k largest logits (the lower id among equals) and returns
// them sorted, reordering c in place; k ≤ 0 returns c unchanged, and k ≥
// len(c) returns all of c sorted.
func TopK(c []Candidate, k int) []Candidate {
	if k <= 0 {
		return c
	}
	if k >= len(c) {
		SortDesc(c)
		return c
	}
	selectTop(c, k)
	SortDesc(c[:k])
	return c[:k]
}

// selectTop moves the k best candidates (byLogit order) into c[:k], in no
// particular order, with a heap whose root is the worst of the k kept.
func selectTop(c []Candidate, k int) {
	h := c[:k]
	for i := k/2 - 1; i >= 0; i-- {
		siftWorst(h, i)
	}
	for i := k; i < len(c); i++ {
		if better(c[i], h[0]) {
			h[0], c[i] = c[i], h[0]
			siftWorst(h, 0)
		}
	}
}

// siftWorst restores the heap property of h (every parent is worse than its
// children) below i.
func siftWorst(h []Candidate, i int) {
	for {
		w, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && better(h[w], h[l]) {
			w = l
		}
		if r < len(h) && better(h[w], h[r]) {
			w = r
		}
		if w == i {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

// softmax writes the softmax of c's logits into dst (grown as needed) and
// returns it, computed in float64.
func softmax(dst []float64, c []Candidate) []float64 {
	dst = slices.Grow(dst[:0], len(c))[:len(c)]
	if len(c) == 0 {
		return dst
	}
	mx := c[0].Logit
	for _, x := range c {
		mx = max(mx, x.Logit)
	}
	var sum float64
	for i, x := range c {
		p := math.Exp(float64(x.Logit) - float64(mx))
		dst[i] = p
		sum += p
	}
	for i := range dst {
		dst[i] /= sum
	}
	return dst
}

// Softmax returns the probabilities of c's logits, in c's order.
func Softmax(c []Candidate) []float64 { return softmax(nil, c) }

// TypicalP keeps the locally typical tokens (Meister et al. 2022, llama.cpp's
// typical sampler): with p the softmax of c and H its entropy, tokens sorted
// by |−log p − H| (ties: the more likely, then the lower id, first) are kept
// until their mass exceeds mass, and at least minKeep. mass ≥ 1 (or ≤ 0)
// returns c unchanged. The result is in that typicality order, except for a
// large c (over 1024 candidates, minKeep ≤ 1), where, as in TopP, only the
// bucket where the mass crosses is sorted and the tokens before it keep c's
// order.
func TypicalP(c []Candidate, mass float64, minKeep int) []Candidate {
	if mass <= 0 || mass >= 1 || len(c) == 0 {
		return c
	}
	minKeep = max(minKeep, 1)
	mx := c[0].Logit
	for _, x := range c {
		mx = max(mx, x.Logit)
	}
	e := make([]float64, len(c)) // exp(logit − max), by position in c
	var sum float64
	for i, x := range c {
		e[i] = math.Exp(float64(x.Logit) - float64(mx))
		sum += e[i]
	}
	lse := math.Log(sum)
	// −log p = lse − (logit − max), so H and the shifts need no logarithm
	// per token.
	var h float64
	for i, x := range c {
		h += e[i] / sum * (lse - (float64(x.Logit) - float64(mx)))
	}
	shift := func(x Candidate) float64 { return math.Abs(lse - (float64(x.Logit) - float64(mx)) - h) }
	prob := func(x Candidate) float64 { return math.Exp(float64(x.Logit)-float64(mx)) / sum }
	byShift := func(a, b Candidate) int {
		if sa, sb := shift(a), shift(b); sa != sb {
			return cmp.Compare(sa, sb)
		}
		return byLogit(a, b)
	}
	if len(c) > 1024 && minKeep == 1 {
		const nb = 4096
		var smax float64
		for _, x := range c {
			smax = max(smax, shift(x))
		}
		if smax > 0 && !math.IsInf(smax, 0) {
			scale := float64(nb-1) / smax
			bk := make([]uint16, len(c))
			var bmass [nb]float64
			for i, x := range c {
				b := int(shift(x) * scale)
				bk[i] = uint16(b)
				bmass[b] += e[i] / sum
			}
			cross, cum := nb-1, 0.0
			for b := range bmass {
				if cum+bmass[b] > mass {
					cross = b
					break
				}
				cum += bmass[b]
			}
			var edge []Candidate
			n := 0
			for i, x := range c {
				switch b := int(bk[i]); {
				case b < cross:
					c[n] = x
					n++
				case b == cross:
					edge = append(edge, x)
				}
			}
			slices.SortFunc(edge, byShift)
			for _, x := range edge {
				c[n] = x
				n++
				if cum += prob(x); cum > mass {
					break
				}
			}
			return c[:n]
		}
	}
	slices.SortFunc(c, byShift)
	var cum float64
	for i, x := range c {
		cum += prob(x)
		if cum > mass && i+1 >= minKeep {
			return c[:i+1]
		}
	}
	return c
}

// TopP keeps the smallest set of most likely candidates whose probability
// (softmax of c) reaches mass, and at least minKeep (llama.cpp's top-p,
// Holtzman et al. 2020). mass ≥ 1 (or ≤ 0) returns c unchanged. The result
// is sorted by descending logit (c is reordered in place), except for a
// large unsorted c (over 1024 candidates, minKeep ≤ 1): there the tokens
// above the cut are found by bucketing the logits, keep c's order, and only
// the bucket where the mass crosses is sorted.
func TopP(c []Candidate, mass float64, minKeep int) []Candidate {
	if mass <= 0 || mass >= 1 || len(c) == 0 {
		return c
	}
	minKeep = max(minKeep, 1)
	if len(c) > 1024 && minKeep == 1 && !isSorted(c) {
		if out, ok := topPBuckets(c, mass); ok {
			return out
		}
	}
	mx := c[0].Logit
	for _, x := range c {
		mx = max(mx, x.Logit)
	}
	var sum float64
	for _, x := range c {
		sum += math.Exp(float64(x.Logit) - float64(mx))
	}
	SortDesc(c)
	var cum float64
	for i := range c {
		cum += math.Exp(float64(c[i].Logit)-float64(mx)) / sum
		if cum >= mass && i+1 >= minKeep {
			return c[:i+1]
		}
	}
	return c
}

// topPBuckets is TopP for a large unsorted c: the logits fall into 4096
// buckets by value (higher logit, lower bucket); the buckets above the one
// where the mass reaches it are kept whole, and that bucket is sorted to
// find the cut. ok is false when the logits do not spread (all equal).
func topPBuckets(c []Candidate, mass float64) ([]Candidate, bool) {
	const nb = 4096
	mx, mn := c[0].Logit, c[0].Logit
	for _, x := range c {
		mx, mn = max(mx, x.Logit), min(mn, x.Logit)
	}
	if !(mx > mn) || math.IsInf(float64(mx-mn), 0) {
		return nil, false
	}
	scale := float64(nb-1) / (float64(mx) - float64(mn))
	bucket := func(l float32) int { return int((float64(mx) - float64(l)) * scale) }
	var bmass [nb]float64
	var sum float64
	for _, x := range c {
		q := math.Exp(float64(x.Logit) - float64(mx))
		bmass[bucket(x.Logit)] += q
		sum += q
	}
	cross, cum := nb-1, 0.0
	for b := range bmass {
		if cum+bmass[b]/sum >= mass {
			cross = b
			break
		}
		cum += bmass[b] / sum
	}
	// Keep the buckets above cross in c's order, then cross's members sorted.
	var edge []Candidate
	n := 0
	for _, x := range c {
		switch b := bucket(x.Logit); {
		case b < cross:
			c[n] = x
			n++
		case b == cross:
			edge = append(edge, x)
		}
	}
	SortDesc(edge)
	for _, x := range edge {
		c[n] = x
		n++
		cum += math.Exp(float64(x.Logit)-float64(mx)) / sum
		if cum >= mass {
			return c[:n], true
		}
	}
	return c[:n], true
}

// MinP keeps the candidates whose probability is at least ratio times the
// largest, i.e. logit ≥ max + ln(ratio) (Nguyen et al. 2024, llama.cpp's
// min-p), and at least minKeep (the most likely ones). ratio ≤ 0 returns c
// unchanged. Survivors keep their order unless minKeep forced a sort.
func MinP(c []Candidate, ratio float64, minKeep int) []Candidate {
	if ratio <= 0 || len(c) == 0 {
		return c
	}
	minKeep = max(minKeep, 1)
	mx := c[0].Logit
	for _, x := range c {
		mx = max(mx, x.Logit)
	}
	thr := mx + float32(math.Log(ratio))
	n := 0
	for _, x := range c {
		if x.Logit >= thr {
			n++
		}
	}
	if n >= minKeep {
		out := c[:0]
		for _, x := range c {
			if x.Logit >= thr {
				out = append(out, x)
			}
		}
		return out
	}
	SortDesc(c)
	return c[:min(minKeep, len(c))]
}

// ApplyTemperature divides every logit by t (t > 0).
func ApplyTemperature(c []Candidate, t float64) {
	if t == 1 {
		return
	}
	tf := float32(t)
	for i := range c {
		c[i].Logit /= tf
	}
}

// Argmax returns the id of the largest logit in c, the lowest id among
// equal ones; -1 when c is empty.
func Argmax(c []Candidate) int {
	if len(c) == 0 {
		return -1
	}
	best := c[0]
	for _, x := range c[1:] {
		if better(x, best) {
			best = x
		}
	}
	return best.ID
}

// Draw picks one candidate with probability softmax(logits), as llama.cpp's
// dist sampler does: u uniform in [0,1) from r, the first candidate (in c's
// order) where the running sum of exp(logit − max) exceeds u·sum. It
// returns the candidate's id; -1 when c is empty.
func Draw(c []Candidate, r *rand.Rand) int {
	id, _ := draw(c, r, nil)
	return id
}

// draw is Draw with a scratch buffer for the exponentials, returned grown.
func draw(c []Candidate, r *rand.Rand, buf []float64) (int, []float64) {
	if len(c) == 0 {
		return -1, buf
	}
	mx := c[0].Logit
	for _, x := range c {
		mx = max(mx, x.Logit)
	}
	buf = slices.Grow(buf[:0], len(c))[:len(c)]
	var sum float64
	for i, x := range c {
		p := math.Exp(float64(x.Logit) - float64(mx))
		buf[i] = p
		sum += p
	}
	target := r.Float64() * sum
	var run float64
	last := c[0].ID
	for i, p := range buf {
		if p > 0 {
			last = c[i].ID
		}
		run += p
		if run > target {
			return c[i].ID, buf
		}
	}
	return last, buf
}

// topKLogits is TopK(Candidates(dst, logits), k) for 0 < k, without
// building the whole candidate list: one pass over logits with a heap of k.
func topKLogits(dst []Candidate, logits []float32, k int) ([]Candidate, error) {
	h := dst[:0]
	for i, v := range logits {
		if v != v || v > math.MaxFloat32 {
			return h, fmt.Errorf("sample: logit of id %d is %v", i, v)
		}
		if v < -math.MaxFloat32 {
			continue
		}
		x := Candidate{ID: i, Logit: v}
		if len(h) < k {
			h = append(h, x)
			if len(h) == k {
				for j := k/2 - 1; j >= 0; j-- {
					siftWorst(h, j)
				}
			}
			continue
		}
		if better(x, h[0]) {
			h[0] = x
			siftWorst(h, 0)
		}
	}
	SortDesc(h)
	return h, nil
}

// minPLogits is MinP(Candidates(dst, logits), ratio, minKeep) for
// 0 < ratio, building only the candidates that pass; ok is false when fewer
// than minKeep pass (the caller then takes the general path).
func minPLogits(dst []Candidate, logits []float32, ratio float64, minKeep int) ([]Candidate, bool, error) {
	mx, err := argmaxLogits(logits)
	if err != nil {
		return dst, false, err
	}
	thr := logits[mx] + float32(math.Log(ratio))
	c := dst[:0]
	for i, v := range logits {
		if v >= thr {
			c = append(c, Candidate{ID: i, Logit: v})
		}
	}
	return c, len(c) >= max(minKeep, 1), nil
}
